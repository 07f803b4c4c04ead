//! Where a request carries its token, and the cookie that carries it in a browser.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::context::RequestContextExt;
use super::response::{no_content, with_header};
use crate::domain::session::SESSION_LIFETIME;
use crate::error::ApiError;

/// Name of the cookie login sets. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`, so a sibling subdomain cannot plant one of its own
/// (RFC 6265bis §4.1.3.2). No other cookie name is read.
pub const TOKEN_COOKIE: &str = "__Host-token";

/// A token as a request presents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presented<'a> {
    pub token: &'a str,
    /// It came in the cookie rather than the `Authorization` header.
    pub by_cookie: bool,
}

/// The token of `req`: `Authorization: Bearer`, or failing that the token cookie; 401 without.
pub fn presented(req: &Request) -> Result<Presented<'_>, ApiError> {
    let missing = || ApiError::Unauthorized("Authentication is required.".to_owned());
    if let Some(authorization) = req.header_str("authorization") {
        let (scheme, token) = authorization.trim().split_once(' ').ok_or_else(missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(missing());
        }
        return Ok(Presented {
            token: token.trim(),
            by_cookie: false,
        });
    }
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == TOKEN_COOKIE && !value.is_empty())
        .map(|(_, token)| Presented {
            token,
            by_cookie: true,
        })
        .ok_or_else(missing)
}

/// A browser attaches cookies to cross-site requests by itself; only an allowed `Origin` shows a
/// cookie-authenticated write was made by one of the API's own front ends (403 otherwise).
pub fn check_cookie_write(
    req: &Request,
    presented: Presented<'_>,
    is_allowed_origin: impl Fn(&str) -> bool,
) -> Result<(), ApiError> {
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    );
    let origin_allowed = req.header_str("origin").is_some_and(is_allowed_origin);
    if presented.by_cookie && is_write && !origin_allowed {
        return Err(ApiError::Forbidden(
            "Cookie-authenticated writes must come from an allowed Origin.".to_owned(),
        ));
    }
    Ok(())
}

/// The `Set-Cookie` value login answers with.
pub fn token_cookie(token: &str) -> String {
    format!(
        "{TOKEN_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={}",
        SESSION_LIFETIME.as_secs()
    )
}

/// The answer to a logout: 204, and the token cookie expired so the browser drops it.
pub fn logged_out() -> Response<Body> {
    let expired = format!("{TOKEN_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    let response = with_header(no_content(), "set-cookie", &expired);
    with_header(response, "cache-control", "no-store")
}
