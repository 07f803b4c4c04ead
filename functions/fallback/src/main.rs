//! Lambda entry point of the `$default` route: see the crate's `handle` for what it does.

use shared::http::routes::FALLBACK;
use shared::lambda_http::Error;
use shared::{telemetry, AppState};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Configuration and the DynamoDB client are built once, at cold start.
    let state = AppState::from_env();
    shared::http::run(state, &FALLBACK, fallback::handle).await
}
