//! `POST /api/products/{id}/images`: a new image of the caller's product, pending its upload,
//! and the form that uploads it straight to the media bucket (an S3 presigned POST whose policy
//! fixes the key, the content type and the exact size, for ten minutes). The file never passes
//! through a function. A product has at most ten images, pending ones included.

use serde::Serialize;
use shared::domain::image::{
    ImageStatus, ImageUpload, ImageUploadRequest, ProductImage, MAX_IMAGES,
};
use shared::domain::Id;
use shared::http::path::InPath;
use shared::http::response::{data, with_header};
use shared::http::{Caller, Json};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::media::keys::upload_key;
use shared::media::presign::UploadForm;
use shared::media::Media;
use shared::store::products::{self, ImagesEdit};
use shared::{ApiError, AppState};

/// What the client gets: the image's id and its upload form.
#[derive(Serialize)]
struct PendingImage<'a> {
    id: &'a Id,
    status: &'static str,
    upload: UploadForm,
}

pub async fn handle(
    state: &AppState,
    caller: Caller,
    media: &Media,
    InPath(product_id): InPath<Id>,
    Json(body): Json<ImageUploadRequest>,
) -> Result<Response<Body>, ApiError> {
    let upload = ImageUpload::parse(&body, media.config().max_image_bytes)?;
    let now = state.clock.now();
    let image = ProductImage {
        id: Id::generate(now)?,
        status: ImageStatus::Pending,
        content_type: upload.content_type,
        size: upload.size,
        alt: upload.alt,
        added_at: now,
        served: None,
    };
    products::change_images(
        state.products(),
        &product_id,
        Some(caller.user_id()),
        state.shards(),
        now,
        |product| {
            if product.images.len() >= MAX_IMAGES {
                return Err(ApiError::Conflict(format!(
                    "A product has at most {MAX_IMAGES} images, pending uploads included: \
                     delete one first."
                )));
            }
            Ok(ImagesEdit::Write {
                images: product.images.with(image.clone()),
                job: None,
                answer: (),
            })
        },
    )
    .await?;
    let key = upload_key(&product_id, &image.id);
    let form = media.upload_form(&key, image.content_type.as_str(), image.size, now);
    let pending = PendingImage {
        id: &image.id,
        status: ImageStatus::Pending.as_str(),
        upload: form,
    };
    // A signed form is the caller's alone, and good for ten minutes: no cache keeps it.
    Ok(with_header(
        data(StatusCode::CREATED, &pending)?,
        "cache-control",
        "no-store",
    ))
}
