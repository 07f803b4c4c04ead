//! `PUT /api/profile/password`: replaces the password after verifying the current one, and ends
//! every other session of the user.
//!
//! A wrong current password counts as a failed login for the account's lockout, reserved before
//! the verification like login's. The new hash and the end of the other sessions are one
//! conditional transaction (`store::accounts::change_password`), which also ends every reset
//! link of the account and owes the notice of the change.

use shared::auth::limits::{Counted, LoginGuard};
use shared::auth::password::{hash_password, verify_account};
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{PasswordChange, PasswordChangeRequest};
use shared::http::context::source_ip;
use shared::http::{no_content, with_header, Caller, Json};
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts::{self, PasswordChange as Outcome};
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    Json(body): Json<PasswordChangeRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let change = PasswordChange::try_from(body)?;

    let ip = source_ip(&req);
    let guard = LoginGuard::reserve(
        state.limits(),
        &state.config.limits,
        (&caller.user().email, ip.as_deref()),
        Counted::Email,
        state.clock.now(),
    )
    .await?;
    let check = async {
        let matches = verify_account(change.current, Some(caller.account())).await?;
        Ok(matches.then_some(()))
    };
    guard
        .settle(check, "The current password is incorrect.")
        .await?;

    let new_hash = hash_password(change.new.secret().clone()).await?;
    let user = caller.user();
    let notice = Job::Mail {
        kind: MailKind::PasswordChanged,
        to: user.email.clone(),
        user_id: user.id.clone(),
        epoch: caller.session_epoch(),
    };
    let notice = OutboxEntry::new(notice, state.clock.now())?;
    let tables = (state.users(), state.sessions(), state.outbox());
    let keep = &caller.session.id;
    let changed = accounts::change_password(tables, caller.account(), &new_hash, keep, &notice);
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
