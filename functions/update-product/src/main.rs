//! Lambda entry point of `PUT /api/products/{id}`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::UPDATE_PRODUCT, update_product::handle)
}
