//! `POST /api/auth/password/reset`: sets a new password with the token of a reset mail.
//!
//! One transaction (`store::accounts::reset_password`) uses the token, on the condition that it
//! still works (so of two resets racing with one token exactly one succeeds), replaces the
//! password hash and moves the account to a new session epoch (every session ends), clears the
//! email's failed-login counter, and owes the "password changed" notice.

use shared::auth::password::hash_password;
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::token::TokenPurpose;
use shared::domain::{PasswordReset, ResetPasswordRequest};
use shared::error::FieldError;
use shared::http::{no_content, with_header, Json};
use shared::lambda_http::{Body, Response};
use shared::store::accounts::{self, Reset, TokenUse};
use shared::store::tokens;
use shared::{ApiError, AppState};

/// The 400 of a token that does not work: unknown, used or expired alike.
pub fn token_refused() -> ApiError {
    ApiError::invalid_fields(vec![FieldError::new(
        "token",
        "does not work: it was used, has expired, or was never issued; ask for a new link",
    )])
}

pub async fn handle(
    state: &AppState,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<Response<Body>, ApiError> {
    let reset = PasswordReset::try_from(body)?;
    let hash = reset.token.hash();
    let now = state.clock.now();
    let token = tokens::find(state.tokens(), &hash)
        .await?
        .filter(|token| token.works_for(TokenPurpose::ResetPassword, now))
        .ok_or_else(token_refused)?;

    let new_hash = hash_password(reset.password.secret().clone()).await?;
    let notice = Job::Mail {
        kind: MailKind::PasswordChanged,
        to: token.email.clone(),
        user_id: token.user_id.clone(),
        epoch: token.epoch.unwrap_or_default(),
    };
    let tables = (
        state.tokens(),
        state.users(),
        state.limits(),
        state.outbox(),
    );
    let reset = Reset {
        hash: &hash,
        user_id: &token.user_id,
        email: &token.email,
        epoch: token.epoch,
        new_hash: &new_hash,
        now,
    };
    match accounts::reset_password(tables, &reset, &OutboxEntry::new(notice, now)?).await? {
        TokenUse::Done => Ok(with_header(no_content(), "cache-control", "no-store")),
        TokenUse::Refused => Err(token_refused()),
    }
}
