//! Lambda entry point of `POST /api/auth/login`: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::http::routes::LOGIN, login::handle).await
}
