//! The one authenticator every protected route uses: a bearer token, or failing that the
//! `__Host-token` cookie, whose session must still be live, with a CSRF check for
//! cookie-authenticated writes.

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::jwt::TOKEN_LIFETIME;
use crate::domain::{Id, Session};
use crate::error::ApiError;
use crate::http::{no_content, with_header, RequestContextExt};
use crate::state::AppState;
use crate::store::sessions;
use crate::store::users::StoredUser;

/// Name of the cookie login sets. The `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain`, so a sibling subdomain cannot plant one of its own
/// (RFC 6265bis §4.1.3.2). No other cookie name is read.
pub const TOKEN_COOKIE: &str = "__Host-token";

/// Who is making a request, and in which session: both read in the same round trip.
#[derive(Debug)]
pub struct Authenticated {
    pub user: StoredUser,
    pub session: Session,
}

impl Authenticated {
    pub fn user_id(&self) -> &Id {
        &self.user.user.id
    }
}

enum Source {
    Bearer,
    Cookie,
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("The access token is invalid or has expired.".to_owned())
}

/// The user making `req`: 401 without a valid token of a live session, 403 for a cookie write
/// from a foreign origin.
pub async fn authenticate(state: &AppState, req: &Request) -> Result<Authenticated, ApiError> {
    let (token, source) = find_token(req)?;
    let now = state.clock.now();
    let subject = state.tokens.verify(token, now).map_err(|reason| {
        tracing::debug!(reason = %reason, "token refused");
        unauthorized()
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

    let found = sessions::read_with_user(
        state.users(),
        state.sessions(),
        &subject.email,
        &subject.user_id,
        &subject.session_id,
    )
    .await?;
    // The account must still be the one the token names, and the session one of its live ones.
    let user = found
        .user
        .filter(|stored| stored.user.id == subject.user_id)
        .ok_or_else(|| {
            tracing::debug!("token refused: account gone");
            unauthorized()
        })?;
    let session = found
        .session
        .filter(|session| session.is_live(user.session_epoch, now))
        .ok_or_else(|| {
            tracing::debug!("token refused: session ended");
            unauthorized()
        })?;
    req.record_user(user.user.id.as_str());
    Ok(Authenticated { user, session })
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
        "{TOKEN_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={}",
        TOKEN_LIFETIME.as_secs()
    )
}

/// The answer to a logout: 204, and the token cookie expired so the browser drops it.
pub fn logged_out() -> Response<Body> {
    let expired = format!("{TOKEN_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
    let response = with_header(no_content(), "set-cookie", &expired);
    with_header(response, "cache-control", "no-store")
}
