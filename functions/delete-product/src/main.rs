//! Lambda entry point of `DELETE /api/products/{id}`: see the crate's `handle` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(
        &shared::http::routes::DELETE_PRODUCT,
        delete_product::handle,
    )
    .await
}
