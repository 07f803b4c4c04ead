//! `GET /api/health`: answers while the function can run at all. It touches no storage, so a
//! load balancer or uptime check never adds DynamoDB traffic.
//!
//! The body is the original API's, at the top level (not wrapped in `data`), as the monitors
//! and load balancers written for it read it: `{"status": "ok", "timestamp": ...}`.

use serde::Serialize;
use shared::http::{json, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::{ApiError, AppState, Timestamp};

#[derive(Serialize)]
struct Health {
    status: &'static str,
    timestamp: Timestamp,
    version: &'static str,
}

pub async fn handle(state: &AppState) -> Result<Response<Body>, ApiError> {
    let health = Health {
        status: "ok",
        timestamp: state.clock.now(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let response = json(StatusCode::OK, &health)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
