//! Lambda entry point of `GET /api/products/{id}`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::GET_PRODUCT, get_product::handle)
}
