//! `GET /api/profile`: the account of the token's user.

use shared::auth::authenticate;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::users;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let subject = authenticate(state, &req)?;
    // A token outlives nothing: if its account is gone (or the email now names another
    // account), the token no longer speaks for anyone.
    let stored = users::find_by_email(state, &subject.email)
        .await?
        .filter(|stored| stored.user.id == subject.user_id)
        .ok_or_else(|| ApiError::Unauthorized("The account no longer exists.".to_owned()))?;
    let response = data(StatusCode::OK, &stored.user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
