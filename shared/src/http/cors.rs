//! CORS for browser clients on the origins in `ALLOWED_ORIGINS` (the Fetch standard's CORS
//! protocol).
//!
//! The functions answer CORS themselves, so local runs and API Gateway behave the same.

use lambda_http::http::header::{HeaderMap, HeaderValue};

use super::headers::add_vary;
use super::routes::all_methods;
use crate::config::Config;

pub const ALLOW_HEADERS: &str =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key";
pub const EXPOSE_HEADERS: &str =
    "ETag, Location, Retry-After, X-Request-Id, RateLimit, RateLimit-Policy, Idempotent-Replayed";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE_SECONDS: &str = "600";

/// Adds the CORS response headers when `origin` is allowed; a disallowed origin gets none.
/// `Vary: Origin` is always set, since the answer depends on the origin either way.
pub fn apply_cors(headers: &mut HeaderMap, config: &Config, origin: Option<&str>) {
    add_vary(headers, "Origin");
    let Some(origin) = origin.filter(|origin| config.is_allowed_origin(origin)) else {
        return;
    };
    let Ok(origin) = HeaderValue::from_str(origin) else {
        return;
    };
    headers.insert("access-control-allow-origin", origin);
    headers.insert(
        "access-control-allow-credentials",
        HeaderValue::from_static("true"),
    );
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

/// Adds what a preflight answer carries beyond the ordinary CORS headers.
pub fn apply_preflight(headers: &mut HeaderMap, config: &Config, origin: Option<&str>) {
    if !origin.is_some_and(|origin| config.is_allowed_origin(origin)) {
        return;
    }
    // Every method of the manifest's routes: derived from it, never listed by hand.
    headers.insert(
        "access-control-allow-methods",
        HeaderValue::from_static(all_methods()),
    );
    headers.insert(
        "access-control-allow-headers",
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    headers.insert(
        "access-control-max-age",
        HeaderValue::from_static(MAX_AGE_SECONDS),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|name| match name {
            "JWT_PUBLIC_KEYS" => Some("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo".to_owned()),
            "ALLOWED_ORIGINS" => Some("https://app.example".to_owned()),
            _ => None,
        })
        .expect("config")
    }

    #[test]
    fn allowed_origin_is_echoed_with_credentials() {
        let mut headers = HeaderMap::new();
        apply_cors(&mut headers, &config(), Some("https://app.example"));
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example"
        );
        assert_eq!(headers["access-control-allow-credentials"], "true");
        assert_eq!(headers["vary"], "Origin");
    }

    #[test]
    fn disallowed_origin_gets_no_allow_origin_header() {
        let mut headers = HeaderMap::new();
        apply_cors(&mut headers, &config(), Some("https://evil.example"));
        apply_preflight(&mut headers, &config(), Some("https://evil.example"));
        assert!(headers.get("access-control-allow-origin").is_none());
        assert!(headers.get("access-control-allow-methods").is_none());
    }

    #[test]
    fn origin_comparison_is_exact() {
        let mut headers = HeaderMap::new();
        apply_cors(
            &mut headers,
            &config(),
            Some("https://app.example.evil.test"),
        );
        assert!(headers.get("access-control-allow-origin").is_none());
    }
}
