//! `POST /api/auth/login`: exchanges email and password for a token, returned in the body and
//! as an `HttpOnly` cookie.
//!
//! Unknown emails are verified against a dummy hash, so both failures cost one argon2
//! verification and give the same 401. Failed logins are counted per email and per source IP;
//! past the limit every login for that email (or from that IP) gets 429 until the window ends.

use serde::Serialize;
use shared::auth::jwt::TOKEN_LIFETIME;
use shared::auth::limits::Limit;
use shared::auth::password::{verify_password, DUMMY_HASH};
use shared::auth::token_cookie;
use shared::domain::{Credentials, LoginRequest};
use shared::http::context::source_ip;
use shared::http::{json, json_object, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::login;
use shared::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse<'a> {
    token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let mut body = json_object(&req, LoginRequest::FIELDS)?;
    let credentials = Credentials::try_from(LoginRequest {
        email: body.take("email"),
        password: body.take("password"),
    })?;

    let limits = &state.config.limits;
    let email_limit = Limit::login_failures_for_email(limits, &credentials.email);
    let ip_limit = source_ip(&req).map(|ip| Limit::login_failures_for_ip(limits, &ip));

    // The account and both counters in one round trip.
    let now = state.clock.now();
    let keys: Vec<&str> = std::iter::once(email_limit.key())
        .chain(ip_limit.as_ref().map(Limit::key))
        .collect();
    let reads = login::read(state, &credentials.email, &keys, now).await?;
    let email_window = email_limit.verdict(reads.windows.first().copied().flatten(), now)?;
    if let Some(limit) = &ip_limit {
        limit.verdict(reads.windows.get(1).copied().flatten(), now)?;
    }
    let stored = reads.user;

    let (hash, user) = match stored {
        Some(stored) => (stored.password_hash, Some(stored.user)),
        None => (DUMMY_HASH.to_owned(), None),
    };
    let password_matches = verify_password(credentials.password, hash).await?;
    let Some(user) = user.filter(|_| password_matches) else {
        let (email_recorded, ip_recorded) = tokio::join!(email_limit.record(state), async {
            match &ip_limit {
                Some(limit) => limit.record(state).await,
                None => Ok(()),
            }
        });
        email_recorded?;
        ip_recorded?;
        return Err(ApiError::Unauthorized(
            "The email or password is incorrect.".to_owned(),
        ));
    };

    if email_window.is_some() {
        email_limit.reset(state).await?;
    }
    let token = state.tokens.issue(&user, state.clock.now())?;
    let response = json(
        StatusCode::OK,
        &TokenResponse {
            token: &token,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME.as_secs(),
        },
    )?;
    let response = with_header(response, "set-cookie", &token_cookie(&token));
    Ok(with_header(response, "cache-control", "no-store"))
}
