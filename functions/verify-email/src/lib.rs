//! `POST /api/auth/email/verify`: marks an account's email verified with the token of its
//! verification mail, in one transaction that also uses the token (once).

use shared::domain::token::TokenPurpose;
use shared::domain::VerifyEmailRequest;
use shared::error::FieldError;
use shared::http::{no_content, with_header, Json};
use shared::lambda_http::{Body, Response};
use shared::store::accounts::{self, TokenUse};
use shared::store::tokens;
use shared::{ApiError, AppState};

fn token_refused() -> ApiError {
    ApiError::invalid_fields(vec![FieldError::new(
        "token",
        "does not work: it was used, has expired, or was never issued; ask for a new link",
    )])
}

pub async fn handle(
    state: &AppState,
    Json(body): Json<VerifyEmailRequest>,
) -> Result<Response<Body>, ApiError> {
    let token = body.token()?;
    let hash = token.hash();
    let now = state.clock.now();
    let issued = tokens::find(state.tokens(), &hash)
        .await?
        .filter(|issued| issued.works_for(TokenPurpose::VerifyEmail, now))
        .ok_or_else(token_refused)?;
    let (tokens, users) = (state.tokens(), state.users());
    match accounts::verify_email(tokens, users, &hash, &issued.user_id, &issued.email, now).await? {
        TokenUse::Done => Ok(with_header(no_content(), "cache-control", "no-store")),
        TokenUse::Refused => Err(token_refused()),
    }
}
