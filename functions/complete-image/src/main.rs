//! Lambda entry point of `POST /api/products/{id}/images/{imageId}/complete`: see the crate's
//! `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::COMPLETE_IMAGE, complete_image::handle)
}
