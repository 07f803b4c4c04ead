//! Lambda entry point of `DELETE /api/products/{id}`: see the crate's `handle` for what it does.

use shared::http::routes::DELETE_PRODUCT;
use shared::lambda_http::Error;
use shared::{telemetry, AppState};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    telemetry::init();
    // Configuration and the DynamoDB client are built once, at cold start.
    let state = AppState::from_env();
    shared::store::client::open_connection(&state.dynamo).await;
    shared::http::run(state, &DELETE_PRODUCT, delete_product::handle).await
}
