//! The caller of a route whose callers are signed in, produced for its handler: 401 without a
//! valid token of a live session, 403 for a cookie write from a foreign origin, and on a route
//! for verified callers, 403 for a caller whose email is not verified when
//! `REQUIRE_VERIFIED_EMAIL` is on. No impl exists for a public route's callers, so a public
//! route's handler cannot ask for a caller.

use lambda_http::Request;

use super::context::RequestContextExt;
use super::credentials::{check_cookie_write, presented};
use super::extract::FromRequestParts;
use crate::auth::authenticate;
use crate::config::VerifiedEmail;
use crate::deploy::{SignedIn, Verified};
use crate::error::ApiError;
use crate::state::AppState;

pub use crate::auth::Caller;

impl<'a> FromRequestParts<'a, SignedIn> for Caller {
    async fn from_request_parts(state: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        signed_in(state, req).await
    }
}

impl<'a> FromRequestParts<'a, Verified> for Caller {
    async fn from_request_parts(state: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        let caller = signed_in(state, req).await?;
        let required = state.config.verified_email == VerifiedEmail::Required;
        if required && !caller.user().email_verified {
            return Err(ApiError::Forbidden(
                "Verify your email address first: open the link of the verification mail (POST /api/auth/email/verify/resend sends a new one).".to_owned(),
            ));
        }
        Ok(caller)
    }
}

/// The caller `req`'s token names, recorded for the request's log line.
async fn signed_in(state: &AppState, req: &Request) -> Result<Caller, ApiError> {
    let presented = presented(req)?;
    check_cookie_write(req, presented, |origin| {
        state.config.is_allowed_origin(origin)
    })?;
    let now = state.clock.now();
    let caller = authenticate(
        &state.tokens,
        state.users(),
        state.sessions(),
        presented.token,
        now,
    )
    .await?;
    req.record_user(caller.user_id().as_str());
    Ok(caller)
}
