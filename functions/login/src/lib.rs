//! `POST /api/auth/login`: exchanges email and password for a session and its token, returned
//! in the body and as the `__Host-token` cookie.
//!
//! Every attempt is counted against the email's failed-login limits (from this source address,
//! and from all together) and the source address's own before the password is verified —
//! atomically, so concurrent guesses cannot pass a limit — by a guard that settles the attempt
//! by the check's outcome (`auth::limits::LoginGuard`). Unknown emails are verified against a
//! dummy hash, so both failures cost one argon2 verification and give the same 401.

use serde::Serialize;
use shared::auth::jwt::{TokenSigner, TOKEN_LIFETIME};
use shared::auth::limits::{Counted, LoginGuard};
use shared::auth::password::verify_account;
use shared::domain::session::truncate_user_agent;
use shared::domain::{Credentials, LoginRequest, Session, SessionId};
use shared::http::context::source_ip;
use shared::http::credentials::token_cookie;
use shared::http::{json, with_header, Json, RequestContextExt};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::{sessions, users};
use shared::{ApiError, AppState};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse<'a> {
    token: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

pub async fn handle(
    state: &AppState,
    signer: &TokenSigner,
    Json(body): Json<LoginRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let credentials = Credentials::try_from(body)?;
    let ip = source_ip(&req);

    // The account, and the attempt counted before its password is checked, in one round trip's
    // time.
    let (account, guard) = tokio::join!(
        users::find_by_email(state.users(), &credentials.email),
        LoginGuard::reserve(
            state.limits(),
            &state.config.limits,
            (&credentials.email, ip.as_deref()),
            Counted::EmailAndAddress,
            state.clock.now(),
        ),
    );
    let check = async {
        let account = account?;
        let matches = verify_account(credentials.password, account.as_ref()).await?;
        Ok(account.filter(|_| matches))
    };
    let account = guard?
        .settle(check, "The email or password is incorrect.")
        .await?;

    // A session in the account's current epoch, and its token. A password change that slipped
    // in since the account was read moved the epoch on, so this session is over before it
    // begins: a login never outlives the password it used.
    let now = state.clock.now();
    let id = SessionId::generate(now)?;
    let issued = signer.issue(&account.user, &id, now)?;
    let session = Session {
        id,
        user_id: account.user.id.clone(),
        created_at: now,
        expires_at: issued.expires_at,
        source_ip: ip,
        user_agent: req.header_str("user-agent").and_then(truncate_user_agent),
        epoch: account.session_epoch,
    };
    sessions::start(state.sessions(), &session, now).await?;
    req.record_user(account.user.id.as_str());

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
