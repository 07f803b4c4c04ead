//! `POST /api/products/{id}/images/{imageId}/complete`: the client says its upload is done. The
//! object is checked before anything is made of it: there (400 if not yet), of the declared size,
//! its bytes an image of the declared type by their signature (never by what the client said),
//! at most [`MAX_PIXELS`] by its header, read before anything is decoded. A bad upload is
//! deleted, with its image (400). A good one is marked processing, in one transaction with the
//! image worker's job (202). Completing again answers as the first time.

use serde::Serialize;
use shared::domain::image::{
    dimensions, ImageStatus, ImageType, ProductImage, HEADER_BYTES, MAX_PIXELS,
};
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{product_not_found, Id, WriteRefused};
use shared::http::path::{image_not_found, ImagePath, InPath};
use shared::http::response::{data, with_header};
use shared::http::Caller;
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::media::keys::upload_key;
use shared::media::Media;
use shared::store::products::{self, ImagesEdit};
use shared::{ApiError, AppState};

#[derive(Serialize)]
struct Accepted<'a> {
    id: &'a Id,
    status: &'static str,
}

fn accepted(id: &Id, status: ImageStatus) -> Result<Response<Body>, ApiError> {
    let response = data(
        StatusCode::ACCEPTED,
        &Accepted {
            id,
            status: status.as_str(),
        },
    )?;
    Ok(with_header(response, "cache-control", "no-store"))
}

pub async fn handle(
    state: &AppState,
    caller: Caller,
    media: &Media,
    InPath(path): InPath<ImagePath>,
) -> Result<Response<Body>, ApiError> {
    let product = products::find(state.products(), &path.product)
        .await?
        .ok_or_else(product_not_found)?;
    if &product.owner_id != caller.user_id() {
        return Err(WriteRefused::NotOwner.into());
    }
    let image = product
        .images
        .find(&path.image)
        .ok_or_else(image_not_found)?;
    if image.status != ImageStatus::Pending {
        return accepted(&image.id, ImageStatus::Processing);
    }
    let key = upload_key(&path.product, &path.image);
    if let Some(reason) = refusal(media, &key, image).await? {
        // What was uploaded is of no use, and the image's place is free again.
        media.delete(&[key]).await?;
        drop_pending(state, caller.user_id(), &path).await?;
        return Err(ApiError::bad_request(reason));
    }
    let now = state.clock.now();
    let job = OutboxEntry::new(
        Job::Image {
            product_id: path.product.clone(),
            image_id: path.image.clone(),
        },
        now,
    )?;
    products::change_images(
        state.products(),
        &path.product,
        Some(caller.user_id()),
        state.shards(),
        now,
        |product| {
            let image = product
                .images
                .find(&path.image)
                .ok_or_else(image_not_found)?;
            if image.status != ImageStatus::Pending {
                return Ok(ImagesEdit::Nothing(()));
            }
            let processing = ProductImage {
                status: ImageStatus::Processing,
                ..image.clone()
            };
            Ok(ImagesEdit::Write {
                images: product.images.with(processing),
                job: Some((state.outbox(), job.clone())),
                answer: (),
            })
        },
    )
    .await?;
    accepted(&path.image, ImageStatus::Processing)
}

/// Why the upload at `key` is not what `image` declared, if it is not. `Err` only when the
/// bucket cannot be read, and for an upload not there yet (400: it may still come).
async fn refusal(
    media: &Media,
    key: &str,
    image: &ProductImage,
) -> Result<Option<String>, ApiError> {
    let Some(size) = media.size_of(key).await? else {
        return Err(ApiError::bad_request(
            "Nothing has been uploaded for this image yet: send the file with its upload form \
             first.",
        ));
    };
    if size != image.size {
        return Ok(Some(format!(
            "The file is {size} bytes, not the {} declared: upload it again.",
            image.size
        )));
    }
    let head = media.read_start(key, HEADER_BYTES).await?;
    let declared = image.content_type;
    if ImageType::sniff(&head) != Some(declared) {
        return Ok(Some(format!(
            "The file is not a {declared} image (its first bytes say so, whatever its name or \
             type)."
        )));
    }
    let Some((width, height)) = dimensions(declared, &head) else {
        return Ok(Some(format!(
            "The file's {declared} header does not say its size in pixels."
        )));
    };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Ok(Some(format!(
            "The image is {width} × {height} pixels: at most {} megapixels are taken.",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(None)
}

/// Removes the pending image of `path`, if it is still pending.
async fn drop_pending(state: &AppState, owner: &Id, path: &ImagePath) -> Result<(), ApiError> {
    products::change_images(
        state.products(),
        &path.product,
        Some(owner),
        state.shards(),
        state.clock.now(),
        |product| match product.images.find(&path.image) {
            Some(image) if image.status == ImageStatus::Pending => Ok(ImagesEdit::Write {
                images: product.images.without(&path.image),
                job: None,
                answer: (),
            }),
            _ => Ok(ImagesEdit::Nothing(())),
        },
    )
    .await
}
