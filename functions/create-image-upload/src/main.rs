//! Lambda entry point of `POST /api/products/{id}/images`: see the crate's `handle` for what it
//! does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(
        &shared::deploy::CREATE_IMAGE_UPLOAD,
        create_image_upload::handle,
    )
}
