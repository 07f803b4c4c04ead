//! Lambda entry point of `PATCH /api/products/{id}`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::PATCH_PRODUCT, patch_product::handle)
}
