//! Lambda entry point of `PUT /api/products/{id}`: see the crate's `handle` for what it does.

use shared::http::routes::UPDATE_PRODUCT;
use shared::lambda_http::Error;
use shared::{telemetry, AppState};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Configuration and the DynamoDB client are built once, at cold start.
    let state = AppState::from_env();
    shared::store::client::open_connection(&state.dynamo).await;
    shared::http::run(state, &UPDATE_PRODUCT, update_product::handle).await
}
