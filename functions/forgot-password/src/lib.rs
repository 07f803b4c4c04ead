//! `POST /api/auth/password/forgot`: owes a reset mail to the account of an email, if there is
//! one, and answers the same 202 either way.
//!
//! Nothing the answer waits for depends on whether the account exists: the request is checked
//! and counted against its source address's limit (429 past it), answered, and only then, after
//! the response, is the account looked up and, if it exists and its reset mails this hour are
//! under their limit, a reset mail owed (the outbox; the mailer sends it). So a client can tell
//! known emails from unknown ones neither by the answer nor by its timing.

use serde::Serialize;
use shared::auth::limits::Limit;
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{Email, ForgotPasswordRequest};
use shared::http::after_response::after_response;
use shared::http::context::source_ip;
use shared::http::{json, with_header, Json};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::{outbox, users};
use shared::{ApiError, AppState};

/// What every answer says, for every email.
pub const ACCEPTED: &str =
    "If an account with this email exists, a link to reset its password is on its way.";

#[derive(Serialize)]
struct Accepted {
    message: &'static str,
}

pub async fn handle(
    state: &AppState,
    Json(body): Json<ForgotPasswordRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let email = body.email()?;
    if let Some(ip) = source_ip(&req) {
        Limit::forgot_requests_for_ip(&state.config.limits, &ip)
            .consume(state.limits(), state.clock.now())
            .await?;
    }
    after_response(&req, move |state| Box::pin(owe_reset_mail(state, email)));
    let response = json(StatusCode::ACCEPTED, &Accepted { message: ACCEPTED })?;
    Ok(with_header(response, "cache-control", "no-store"))
}

/// After the response: a reset mail for the account of `email`, if there is one and the email's
/// reset mails are under their limit (past it, nothing happens, and nothing tells). The limit is
/// counted before the account is looked up, for every email alike, so that what the storage
/// does after the answer differs between known and unknown emails by the mail alone.
async fn owe_reset_mail(state: &AppState, email: Email) {
    let owed = async {
        let now = state.clock.now();
        let limit = Limit::reset_mails_for_email(&state.config.limits, &email);
        if let Err(ApiError::TooManyRequests { .. }) = limit.consume(state.limits(), now).await {
            tracing::info!("reset mail not owed: the email's limit this hour is reached");
            return Ok(());
        }
        let Some(stored) = users::find_by_email(state.users(), &email).await? else {
            return Ok(());
        };
        let job = Job::Mail {
            kind: MailKind::ResetPassword,
            to: email,
            user_id: stored.user.id,
            epoch: stored.session_epoch,
        };
        outbox::insert(state.outbox(), &OutboxEntry::new(job, now)?).await
    };
    if let Err(error) = owed.await {
        tracing::warn!(error = %error, "reset mail not owed");
    }
}
