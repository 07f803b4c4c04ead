//! Lambda entry point of `GET /api/products`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::LIST_PRODUCTS, list_products::handle)
}
