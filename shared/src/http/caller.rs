//! The caller of an authenticated route: found by the pipeline before the handler runs (the
//! route table says which routes need one), and handed to the handler with the request.

use std::sync::Arc;

use lambda_http::Request;

use super::context::RequestContextExt;
use super::credentials::{check_cookie_write, presented};
use crate::auth::{authenticate, Authenticated};
use crate::config::VerifiedEmail;
use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller, as the request carries it to the handler.
#[derive(Debug, Clone)]
struct Caller(Arc<Authenticated>);

/// Authenticates `req` and attaches its caller: 401 without a valid token of a live session,
/// 403 for a cookie write from a foreign origin, and 403 for a caller whose email is not
/// verified when the route asks for verified callers and `REQUIRE_VERIFIED_EMAIL` is on.
pub async fn attach(state: &AppState, req: &mut Request, verified: bool) -> Result<(), ApiError> {
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
    let must_be_verified = verified && state.config.verified_email == VerifiedEmail::Required;
    if must_be_verified && !caller.user.user.email_verified {
        return Err(ApiError::Forbidden(
            "Verify your email address first: open the link of the verification mail (POST /api/auth/email/verify/resend sends a new one).".to_owned(),
        ));
    }
    req.extensions_mut().insert(Caller(Arc::new(caller)));
    Ok(())
}

/// Who is calling: the user and session the pipeline authenticated for a route that declares
/// `auth`. A route that does not has no caller (a bug in the table, answered as a 500).
pub fn caller(req: &Request) -> Result<&Authenticated, ApiError> {
    req.extensions()
        .get::<Caller>()
        .map(|caller| caller.0.as_ref())
        .ok_or_else(|| ApiError::unexpected("caller", "the route does not declare auth"))
}
