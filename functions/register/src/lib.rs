//! `POST /api/auth/register`: creates an account. The email is unique atomically (a conditional
//! write), the password is stored only as an argon2id hash, and each source IP may make a
//! limited number of registration attempts (that pass validation) per window. The verification
//! mail is owed in the same transaction (the outbox; the mailer sends it).

use shared::auth::limits::Limit;
use shared::auth::password::hash_password;
use shared::domain::mail::MailKind;
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{Id, RegisterRequest, Registration, User};
use shared::http::context::source_ip;
use shared::http::Json;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    Json(body): Json<RegisterRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let registration = Registration::try_from(body)?;

    // Counted before the costly hash, atomically, so racing requests cannot pass the limit.
    if let Some(ip) = source_ip(&req) {
        Limit::registrations_for_ip(&state.config.limits, &ip)
            .consume(state.limits(), state.clock.now())
            .await?;
    }

    let now = state.clock.now();
    let user = User {
        id: Id::generate(now)?,
        email: registration.email,
        name: registration.name,
        email_verified: false,
        created_at: now,
    };
    let hash = hash_password(registration.password.secret().clone()).await?;
    let verify = Job::Mail {
        kind: MailKind::VerifyEmail,
        to: user.email.clone(),
        user_id: user.id.clone(),
        epoch: 0,
    };
    let verify = OutboxEntry::new(verify, now)?;
    if !accounts::register(state.users(), state.outbox(), &user, &hash, &verify).await? {
        return Err(ApiError::Conflict(
            "An account with this email already exists.".to_owned(),
        ));
    }

    let response = data(StatusCode::CREATED, &user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
