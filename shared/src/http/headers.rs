//! Headers every response carries, whatever its status.

use lambda_http::http::header::{HeaderMap, HeaderName, HeaderValue};

/// The security headers every response carries. The API serves JSON only, so the policy forbids everything.
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    (
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// Adds the security headers and `X-Request-Id`, and removes anything naming the software.
pub fn apply_standard_headers(headers: &mut HeaderMap, request_id: &str) {
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    headers.remove("server");
    headers.remove("x-powered-by");
}

/// Whether a request carries credentials: an `Authorization` header or the token cookie.
pub fn carries_credentials(headers: &HeaderMap) -> bool {
    let token = |pair: &str| {
        pair.trim()
            .strip_prefix(crate::http::credentials::TOKEN_COOKIE)
            .is_some_and(|rest| rest.starts_with('='))
    };
    headers.contains_key("authorization")
        || headers
            .get_all("cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|value| value.split(';').any(token))
}

/// A response to a request with credentials is never stored by a shared cache: a `public`
/// `Cache-Control` becomes `private` (the front door's cache keys on credentials, and then
/// stores nothing for them).
pub fn keep_private(headers: &mut HeaderMap) {
    let Some(public) = headers
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("public"))
        .map(|rest| format!("private{rest}"))
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&public) {
        headers.insert(HeaderName::from_static("cache-control"), value);
    }
}

/// Appends to `Vary` without duplicating a value already there.
pub fn add_vary(headers: &mut HeaderMap, value: &str) {
    let current = headers
        .get("vary")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let present = current
        .split(',')
        .any(|existing| existing.trim().eq_ignore_ascii_case(value));
    if present {
        return;
    }
    let combined = if current.is_empty() {
        value.to_owned()
    } else {
        format!("{current}, {value}")
    };
    if let Ok(value) = HeaderValue::from_str(&combined) {
        headers.insert("vary", value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vary_values_accumulate_once() {
        let mut headers = HeaderMap::new();
        add_vary(&mut headers, "Origin");
        add_vary(&mut headers, "Accept-Encoding");
        add_vary(&mut headers, "origin");
        assert_eq!(headers["vary"], "Origin, Accept-Encoding");
    }

    #[test]
    fn server_header_is_removed() {
        let mut headers = HeaderMap::new();
        headers.insert("server", HeaderValue::from_static("something"));
        apply_standard_headers(&mut headers, "req-1");
        assert!(headers.get("server").is_none());
        assert_eq!(headers["x-request-id"], "req-1");
        assert_eq!(headers["x-frame-options"], "DENY");
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn the_token_cookie_or_an_authorization_header_are_credentials_other_cookies_not() {
        assert!(carries_credentials(&headers(&[(
            "authorization",
            "Bearer x"
        )])));
        assert!(carries_credentials(&headers(&[(
            "cookie",
            "a=1; __Host-token=x"
        )])));
        assert!(!carries_credentials(&headers(&[("cookie", "theme=dark")])));
        assert!(!carries_credentials(&headers(&[])));
    }

    #[test]
    fn a_public_response_becomes_private_and_others_stay_as_they_are() {
        let mut public = headers(&[("cache-control", "public, max-age=5")]);
        keep_private(&mut public);
        assert_eq!(public["cache-control"], "private, max-age=5");
        for kept in ["no-store", "no-cache", "private, max-age=5"] {
            let mut other = headers(&[("cache-control", kept)]);
            keep_private(&mut other);
            assert_eq!(other["cache-control"], kept);
        }
    }
}
