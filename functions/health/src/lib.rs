//! `GET /api/health`: answers while the function can run at all. It touches no storage, so a
//! load balancer or uptime check never adds DynamoDB traffic.

use serde::Serialize;
use shared::http::{data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::{ApiError, AppState};

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

pub async fn handle(_state: &AppState, _req: Request) -> Result<Response<Body>, ApiError> {
    let health = Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    };
    let response = data(StatusCode::OK, &health)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
