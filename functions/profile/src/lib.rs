//! `GET /api/profile`: the account of the token's user.

use shared::http::caller;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::{ApiError, AppState};

pub async fn handle(_state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    // The pipeline read the account with the session, in one round trip.
    let caller = caller(&req)?;
    let response = data(StatusCode::OK, &caller.user.user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
