//! `DELETE /api/profile`: deletes the caller's account, after checking its password again (a
//! wrong one counts as a failed login, reserved before argon2 runs, like login's).
//!
//! One transaction deletes the account (on the condition that its password is still the one
//! checked) and owes the purge of what it owned: from that moment no token of it works, its
//! sessions being read with it, and the email can register again. The purger then deletes its
//! products and sessions, however many, without this request waiting for it.

use shared::auth::limits::{Counted, LoginGuard};
use shared::auth::password::verify_password;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{AccountDeletion, DeleteAccountRequest};
use shared::http::body::ReadBody;
use shared::http::caller;
use shared::http::context::source_ip;
use shared::http::credentials::logged_out;
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let stored = &caller(&req)?.user;
    let deletion = AccountDeletion::try_from(DeleteAccountRequest::read(&req)?)?;

    let ip = source_ip(&req);
    let now = state.clock.now();
    let guard = LoginGuard::reserve(
        state.limits(),
        &state.config.limits,
        (&stored.user.email, ip.as_deref()),
        Counted::Email,
        now,
    )
    .await?;
    let verified_hash = stored.password_hash.clone();
    match verify_password(deletion.password, verified_hash.clone()).await {
        Ok(true) => guard.forgive().await?,
        Ok(false) => {
            guard.keep();
            return Err(ApiError::Unauthorized(
                "The password is incorrect.".to_owned(),
            ));
        }
        Err(error) => {
            guard.release().await;
            return Err(error);
        }
    }

    let purge = OutboxEntry::new(
        Job::Purge {
            user_id: stored.user.id.clone(),
            email: stored.user.email.clone(),
        },
        now,
    )?;
    if !accounts::delete_account(
        state.users(),
        state.outbox(),
        stored,
        &verified_hash,
        &purge,
    )
    .await?
    {
        return Err(ApiError::Conflict(
            "The account changed while this request ran; try again.".to_owned(),
        ));
    }
    // The account is gone: the browser drops its token too.
    Ok(logged_out())
}
