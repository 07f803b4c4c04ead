//! The one authenticator every protected route uses: a bearer token, or failing that the
//! `token` cookie, with a CSRF check for cookie-authenticated writes.

use lambda_http::http::Method;
use lambda_http::Request;

use super::jwt::TokenSubject;
use crate::error::ApiError;
use crate::http::RequestContextExt;
use crate::state::AppState;

/// Name of the cookie login sets.
pub const TOKEN_COOKIE: &str = "token";

enum Source {
    Bearer,
    Cookie,
}

/// The user making `req`, or 401 (no or bad token) / 403 (cookie write from a foreign origin).
pub fn authenticate(state: &AppState, req: &Request) -> Result<TokenSubject, ApiError> {
    let (token, source) = find_token(req)?;
    let subject = state
        .tokens
        .verify(token, state.clock.now())
        .map_err(|reason| {
            tracing::debug!(reason = %reason, "token refused");
            ApiError::Unauthorized("The access token is invalid or has expired.".to_owned())
        })?;

    // A browser attaches cookies to cross-site requests by itself; only an allowed Origin shows
    // the write was made by one of our own front ends.
    let is_write = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    );
    if matches!(source, Source::Cookie) && is_write {
        let origin_allowed = req
            .header_str("origin")
            .is_some_and(|origin| state.config.is_allowed_origin(origin));
        if !origin_allowed {
            return Err(ApiError::Forbidden(
                "Cookie-authenticated writes must come from an allowed Origin.".to_owned(),
            ));
        }
    }
    req.record_user(subject.user_id.as_str());
    Ok(subject)
}

fn find_token(req: &Request) -> Result<(&str, Source), ApiError> {
    let missing = || ApiError::Unauthorized("Authentication is required.".to_owned());
    if let Some(authorization) = req.header_str("authorization") {
        let (scheme, token) = authorization.trim().split_once(' ').ok_or_else(missing)?;
        if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
            return Err(missing());
        }
        return Ok((token.trim(), Source::Bearer));
    }
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == TOKEN_COOKIE && !value.is_empty())
        .map(|(_, value)| (value, Source::Cookie))
        .ok_or_else(missing)
}

/// The `Set-Cookie` value login answers with.
pub fn token_cookie(token: &str) -> String {
    format!(
        "{TOKEN_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/api; Max-Age={}",
        super::jwt::TOKEN_LIFETIME.as_secs()
    )
}
