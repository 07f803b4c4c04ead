//! `POST /api/auth/email/verify/resend`: owes the caller a new verification mail (202), unless
//! the email is verified already (204, nothing sent); at most a few an hour (429 beyond).

use serde::Serialize;
use shared::auth::limits::Limit;
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::http::{json, no_content, with_header, Caller};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::store::outbox;
use shared::{ApiError, AppState};

#[derive(Serialize)]
struct Accepted {
    message: &'static str,
}

pub async fn handle(state: &AppState, caller: Caller) -> Result<Response<Body>, ApiError> {
    let user = caller.user();
    if user.email_verified {
        return Ok(with_header(no_content(), "cache-control", "no-store"));
    }
    let now = state.clock.now();
    Limit::verification_mails_for_user(&state.config.limits, &user.id)
        .consume(state.limits(), now)
        .await?;
    let job = Job::Mail {
        kind: MailKind::VerifyEmail,
        to: user.email.clone(),
        user_id: user.id.clone(),
        epoch: caller.session_epoch(),
    };
    outbox::insert(state.outbox(), &OutboxEntry::new(job, now)?).await?;
    let message = "A new verification link is on its way to your email address.";
    let response = json(StatusCode::ACCEPTED, &Accepted { message })?;
    Ok(with_header(response, "cache-control", "no-store"))
}
