//! Lambda entry point of `POST /api/auth/logout-all`: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::http::routes::LOGOUT_ALL, logout_all::handle).await
}
