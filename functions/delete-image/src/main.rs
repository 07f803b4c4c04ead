//! Lambda entry point of `DELETE /api/products/{id}/images/{imageId}`: see the crate's `handle`
//! for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::DELETE_IMAGE, delete_image::handle)
}
