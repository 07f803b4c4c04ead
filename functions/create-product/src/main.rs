//! Lambda entry point of `POST /api/products`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::CREATE_PRODUCT, create_product::handle)
}
