//! `DELETE /api/profile`: deletes the caller's account, after checking its password again (a
//! wrong one counts as a failed login, reserved before argon2 runs, like login's).
//!
//! One transaction deletes the account (on the condition that its password is still the one
//! checked) and owes the purge of what it owned and the notice of the deletion: from that moment no token of it works, its
//! sessions being read with it, and the email can register again. The purger then deletes its
//! products and sessions, however many, without this request waiting for it.

use shared::auth::limits::{Counted, LoginGuard};
use shared::auth::password::verify_account;
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{AccountDeletion, DeleteAccountRequest};
use shared::http::context::source_ip;
use shared::http::credentials::logged_out;
use shared::http::{Caller, Json};
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    Json(body): Json<DeleteAccountRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let deletion = AccountDeletion::try_from(body)?;
    let user = caller.user();

    let ip = source_ip(&req);
    let now = state.clock.now();
    let guard = LoginGuard::reserve(
        state.limits(),
        &state.config.limits,
        (&user.email, ip.as_deref()),
        Counted::Email,
        now,
    )
    .await?;
    let check = async {
        let matches = verify_account(deletion.password, Some(caller.account())).await?;
        Ok(matches.then_some(()))
    };
    guard.settle(check, "The password is incorrect.").await?;

    let purge = Job::Purge {
        user_id: user.id.clone(),
        email: user.email.clone(),
    };
    let notice = Job::Mail {
        kind: MailKind::AccountDeleted,
        to: user.email.clone(),
        user_id: user.id.clone(),
        epoch: caller.session_epoch(),
    };
    let owed = (
        &OutboxEntry::new(purge, now)?,
        &OutboxEntry::new(notice, now)?,
    );
    if !accounts::delete_account(state.users(), state.outbox(), caller.account(), owed).await? {
        return Err(ApiError::Conflict(
            "The account changed while this request ran; try again.".to_owned(),
        ));
    }
    // The account is gone: the browser drops its token too.
    Ok(logged_out())
}
