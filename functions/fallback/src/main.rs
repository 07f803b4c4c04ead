//! Lambda entry point of the `$default` route: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::http::routes::FALLBACK, fallback::handle).await
}
