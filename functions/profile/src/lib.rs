//! `GET /api/profile`: the account of the token's user.

use shared::http::Caller;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::ApiError;

/// The pipeline read the account with the session, in one round trip.
pub async fn handle(caller: Caller) -> Result<Response<Body>, ApiError> {
    let response = data(StatusCode::OK, caller.user())?;
    Ok(with_header(response, "cache-control", "no-store"))
}
