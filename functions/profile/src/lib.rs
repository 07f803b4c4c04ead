//! `GET /api/profile`: the account of the token's user.

use shared::auth::authenticate;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    // The account is read with the session, in the same round trip.
    let caller = authenticate(state, &req).await?;
    let response = data(StatusCode::OK, &caller.user.user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
