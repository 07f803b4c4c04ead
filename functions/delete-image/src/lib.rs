//! `DELETE /api/products/{id}/images/{imageId}`: removes an image from the caller's product
//! (its version and ETag change if it was shown), then deletes its upload and every file served
//! of it.

use shared::domain::image::ImageStatus;
use shared::http::no_content;
use shared::http::path::{image_not_found, ImagePath, InPath};
use shared::http::Caller;
use shared::lambda_http::{Body, Response};
use shared::media::keys::upload_key;
use shared::media::Media;
use shared::store::products::{self, ImagesEdit};
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    media: &Media,
    InPath(path): InPath<ImagePath>,
) -> Result<Response<Body>, ApiError> {
    let removed = products::change_images(
        state.products(),
        &path.product,
        Some(caller.user_id()),
        state.shards(),
        state.clock.now(),
        |product| {
            let image = product
                .images
                .find(&path.image)
                .ok_or_else(image_not_found)?;
            Ok(ImagesEdit::Write {
                images: product.images.without(&path.image),
                job: None,
                answer: image.clone(),
            })
        },
    )
    .await?;
    // An image still being made may yet get files; the image worker deletes them when it finds
    // the image gone.
    let mut keys = vec![upload_key(&path.product, &path.image)];
    if removed.status == ImageStatus::Ready {
        keys.extend(removed.served.iter().flat_map(|served| served.keys.clone()));
    }
    media.delete(&keys).await?;
    Ok(no_content())
}
