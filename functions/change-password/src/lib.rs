//! `PUT /api/profile/password`: replaces the password after verifying the current one, and ends
//! every other session of the user.
//!
//! A wrong current password counts as a failed login for the account's lockout, reserved before
//! the verification like login's. The new hash and the end of the other sessions are one
//! conditional transaction (`store::accounts::change_password`).

use shared::auth::limits::{Counted, LoginGuard};
use shared::auth::password::{hash_password, verify_password};
use shared::domain::{PasswordChange, PasswordChangeRequest};
use shared::http::body::ReadBody;
use shared::http::caller;
use shared::http::context::source_ip;
use shared::http::{no_content, with_header};
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts::{self, PasswordChange as Outcome};
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let caller = caller(&req)?;
    let change = PasswordChange::try_from(PasswordChangeRequest::read(&req)?)?;

    let ip = source_ip(&req);
    let guard = LoginGuard::reserve(
        state.limits(),
        &state.config.limits,
        (&caller.user.user.email, ip.as_deref()),
        Counted::Email,
        state.clock.now(),
    )
    .await?;
    let verified_hash = caller.user.password_hash.clone();
    match verify_password(change.current, verified_hash.clone()).await {
        Ok(true) => {}
        Ok(false) => {
            guard.keep();
            return Err(ApiError::Unauthorized(
                "The current password is incorrect.".to_owned(),
            ));
        }
        Err(error) => {
            guard.release().await;
            return Err(error);
        }
    }

    let (forgiven, new_hash) =
        tokio::join!(guard.forgive(), hash_password(change.new.secret().clone()));
    forgiven?;
    let new_hash = new_hash?;
    let (users, sessions) = (state.users(), state.sessions());
    let keep = &caller.session.id;
    let changed = accounts::change_password(
        users,
        sessions,
        &caller.user,
        &verified_hash,
        &new_hash,
        keep,
    );
    match changed.await? {
        Outcome::Changed => Ok(with_header(no_content(), "cache-control", "no-store")),
        Outcome::Conflict => Err(ApiError::Conflict(
            "The password or the sessions changed while this request ran; try again.".to_owned(),
        )),
        Outcome::SessionEnded => Err(ApiError::Unauthorized(
            "The session ended while this request ran.".to_owned(),
        )),
    }
}
