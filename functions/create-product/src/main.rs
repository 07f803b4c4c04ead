//! Lambda entry point of `POST /api/products`: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(
        &shared::http::routes::CREATE_PRODUCT,
        create_product::handle,
    )
    .await
}
