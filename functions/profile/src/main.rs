//! Lambda entry point of `GET /api/profile`: see the crate's `handle` for what it does.

use shared::http::routes::PROFILE;
use shared::lambda_http::Error;
use shared::{telemetry, AppState};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Configuration and the DynamoDB client are built once, at cold start.
    let state = AppState::from_env();
    shared::store::client::open_connection(&state.dynamo).await;
    shared::http::run(state, &PROFILE, profile::handle).await
}
