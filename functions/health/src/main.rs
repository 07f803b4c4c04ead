//! Lambda entry point of `GET /api/health`: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::http::routes::HEALTH, health::handle).await
}
