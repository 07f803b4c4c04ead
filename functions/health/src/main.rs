//! Lambda entry point of `GET /api/health`: see the crate's `handle` for what it does.

use shared::http::routes::HEALTH;
use shared::lambda_http::Error;
use shared::{telemetry, AppState};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Configuration and the DynamoDB client are built once, at cold start.
    let state = AppState::from_env();
    shared::http::run(state, &HEALTH, health::handle).await
}
