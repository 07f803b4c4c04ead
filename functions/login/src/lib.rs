//! `POST /api/auth/login`: exchanges email and password for a session and its token, returned
//! in the body and as the `__Host-token` cookie.
//!
//! Every attempt is counted against the email's failed-login limits (from this source address,
//! and from all together) and the source address's own before the password is verified —
//! atomically, so concurrent guesses cannot pass a limit — and given back if it succeeds. Unknown emails are verified against a dummy hash, so both failures cost
//! one argon2 verification and give the same 401.

use serde::Serialize;
use shared::auth::jwt::TOKEN_LIFETIME;
use shared::auth::limits::{Limit, LoginAttempt, LoginFailures, Reservation};
use shared::auth::password::{verify_password, DUMMY_HASH};
use shared::domain::session::truncate_user_agent;
use shared::domain::{Credentials, LoginRequest, Session, SessionId};
use shared::http::body::ReadBody;
use shared::http::context::source_ip;
use shared::http::credentials::token_cookie;
use shared::http::{json, with_header, RequestContextExt};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::users::StoredUser;
use shared::store::{sessions, users};
use shared::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse<'a> {
    token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let credentials = Credentials::try_from(LoginRequest::read(&req)?)?;

    let limits = &state.config.limits;
    let ip = source_ip(&req);
    let failures = LoginFailures::of(limits, &credentials.email, ip.as_deref());
    let ip_limit = ip
        .as_deref()
        .map(|ip| Limit::login_failures_for_ip(limits, ip));

    // The account and both reservations in one round trip's time.
    let now = state.clock.now();
    let (stored, email_reserved, ip_reserved) = tokio::join!(
        users::find_by_email(state.users(), &credentials.email),
        failures.reserve(state.limits(), now),
        reserve(state, ip_limit.as_ref()),
    );
    // Refused by one limit (or storage): give back what the other counted.
    let (email_reserved, ip_reserved) = match (email_reserved, ip_reserved) {
        (Ok(email), Ok(ip)) => (email, ip),
        (Err(refusal), ip) => {
            give_back(state, &failures, None, ip_limit.as_ref(), ip.ok().flatten()).await;
            return Err(refusal);
        }
        (Ok(email), Err(refusal)) => {
            give_back(state, &failures, Some(email), None, None).await;
            return Err(refusal);
        }
    };

    let outcome = attempt(&credentials, stored).await;
    match outcome {
        Ok(stored) => {
            // A correct password: the attempt does not count, and this address's earlier
            // failures for the account are forgiven (no other address's).
            let (forgiven, released) = tokio::join!(
                failures.forgive(state.limits(), email_reserved),
                release(state, ip_limit.as_ref(), ip_reserved),
            );
            forgiven?;
            released?;
            start_session(state, &req, &stored, ip).await
        }
        // A wrong password (or unknown email) counts: the reservations stand.
        Err(error @ ApiError::Unauthorized(_)) => Err(error),
        // Anything else judged nothing: give the attempt back.
        Err(error) => {
            let ip = ip_limit.as_ref();
            give_back(state, &failures, Some(email_reserved), ip, ip_reserved).await;
            Err(error)
        }
    }
}

/// Verifies the password against the stored account (or the dummy hash, for an unknown email).
async fn attempt(
    credentials: &Credentials,
    stored: Result<Option<StoredUser>, ApiError>,
) -> Result<StoredUser, ApiError> {
    let stored = stored?;
    let hash = stored
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |s| s.password_hash.clone());
    let matches = verify_password(credentials.password.clone(), hash).await?;
    stored
        .filter(|_| matches)
        .ok_or_else(|| ApiError::Unauthorized("The email or password is incorrect.".to_owned()))
}

/// Starts a session in the account's current epoch and answers with its token. A password
/// change that slipped in since the account was read moved the epoch on, so this session is
/// over before it begins: a login never outlives the password it used.
async fn start_session(
    state: &AppState,
    req: &Request,
    stored: &StoredUser,
    ip: Option<String>,
) -> Result<Response<Body>, ApiError> {
    let now = state.clock.now();
    let id = SessionId::generate(now)?;
    let issued = state.signer()?.issue(&stored.user, &id, now)?;
    let session = Session {
        id,
        user_id: stored.user.id.clone(),
        created_at: now,
        expires_at: issued.expires_at,
        source_ip: ip,
        user_agent: req.header_str("user-agent").and_then(truncate_user_agent),
        epoch: stored.session_epoch,
    };
    sessions::insert(state.sessions(), &session).await?;
    // One session more than the limit at most, and only until this ends the oldest.
    sessions::end_beyond_limit(state.sessions(), &session.user_id, session.epoch, now).await?;
    req.record_user(stored.user.id.as_str());

    let response = json(
        StatusCode::OK,
        &TokenResponse {
            token: &issued.token,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME.as_secs(),
        },
    )?;
    let response = with_header(response, "set-cookie", &token_cookie(&issued.token));
    Ok(with_header(response, "cache-control", "no-store"))
}

async fn reserve(state: &AppState, limit: Option<&Limit>) -> Result<Option<Reservation>, ApiError> {
    match limit {
        Some(limit) => limit
            .reserve(state.limits(), state.clock.now())
            .await
            .map(Some),
        None => Ok(None),
    }
}

async fn release(
    state: &AppState,
    limit: Option<&Limit>,
    reservation: Option<Reservation>,
) -> Result<(), ApiError> {
    match (limit, reservation) {
        (Some(limit), Some(reservation)) => limit.release(state.limits(), reservation).await,
        _ => Ok(()),
    }
}

/// Gives back reserved attempts on a path that answers with another error; a failure to give
/// back is logged, not answered, since that error is the one the client must see.
async fn give_back(
    state: &AppState,
    failures: &LoginFailures,
    email: Option<LoginAttempt>,
    ip_limit: Option<&Limit>,
    ip: Option<Reservation>,
) {
    let email = async {
        match email {
            Some(attempt) => failures.release(state.limits(), attempt).await,
            None => Ok(()),
        }
    };
    let (email, ip) = tokio::join!(email, release(state, ip_limit, ip));
    if let Err(error) = email.and(ip) {
        tracing::warn!(error = %error, "could not give back a login attempt");
    }
}
