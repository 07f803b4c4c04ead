//! The image worker: makes what is served of an upload that complete-image checked, then shows
//! the image in its product.
//!
//! It decodes the upload within the pixel cap (`render`: the decoder refuses past it before it
//! allocates), writes the original re-encoded without metadata and its thumbnails under keys no
//! file had before, and then marks the image ready in one conditional write of the product (its
//! version and ETag change). A product or image deleted meanwhile gets nothing: the files just
//! written are deleted again. Either way the upload goes.
//!
//! A job given again (after a timeout, say) finds the image ready and does nothing. An upload
//! that cannot be decoded never will be: the image is dropped from the product and the job goes
//! to the failure queue, whose alarm an operator answers; the upload stays there for the day its
//! prefix keeps uploads, for them to look at.

mod render;

use shared::domain::image::{ImageStatus, ProductImage, Rendition, Served};
use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::Id;
use shared::join::join_all;
use shared::media::keys::{served_key, upload_key};
use shared::media::Media;
use shared::store::products::{self, ImagesEdit};
use shared::worker::JobError;
use shared::{ApiError, AppState};

pub use render::{render, Rendered};

pub async fn handle(state: &AppState, media: &Media, entry: OutboxEntry) -> Result<(), JobError> {
    let Job::Image {
        product_id,
        image_id,
    } = entry.job
    else {
        return Ok(());
    };
    let Some(product) = products::find(state.products(), &product_id).await? else {
        // Deleted: its deletion deletes its objects.
        return Ok(());
    };
    let Some(image) = product.images.find(&image_id).cloned() else {
        // Deleted: delete-image deleted its upload.
        return Ok(());
    };
    if image.status != ImageStatus::Processing {
        return Ok(());
    }
    let upload = upload_key(&product_id, &image_id);
    let bytes = media.read(&upload).await?;
    let kind = image.content_type;
    // CPU-bound: off the runtime's thread, so the invocation's timers keep running.
    let rendered = shared::tokio::task::spawn_blocking(move || render(&bytes, kind))
        .await
        .map_err(|e| ApiError::unexpected("render image", e.to_string()))?;
    let rendered = match rendered {
        Ok(rendered) => rendered,
        Err(reason) => {
            drop_image(state, &product_id, &image_id).await?;
            return Err(JobError::Final(format!(
                "the upload cannot be served: {reason}"
            )));
        }
    };
    let served = store_files(media, &product_id, &image, rendered).await?;
    let keys = served.keys.clone();
    let ready = ProductImage {
        status: ImageStatus::Ready,
        served: Some(served),
        ..image
    };
    let shown = products::change_images(
        state.products(),
        &product_id,
        None,
        state.shards(),
        state.clock.now(),
        |product| match product.images.find(&image_id) {
            Some(current) if current.status == ImageStatus::Processing => Ok(ImagesEdit::Write {
                images: product.images.with(ready.clone()),
                job: None,
                answer: true,
            }),
            _ => Ok(ImagesEdit::Nothing(false)),
        },
    )
    .await;
    let shown = match shown {
        Ok(shown) => shown,
        Err(ApiError::NotFound(_)) => false,
        Err(error) => return Err(error.into()),
    };
    if !shown {
        media.delete(&keys).await?;
    }
    media.delete(&[upload]).await?;
    tracing::info!(productId = %product_id, imageId = %image_id, shown, "image made");
    Ok(())
}

/// Writes the rendered files under a part of their keys no earlier file had; what they are.
async fn store_files(
    media: &Media,
    product_id: &Id,
    image: &ProductImage,
    rendered: Rendered,
) -> Result<Served, ApiError> {
    let fresh = shared::domain::session::random_128_bits()?;
    let kind = image.content_type;
    let key_of = |name: &str| served_key(product_id, &image.id, &fresh, name, kind.extension());
    let Rendered {
        original,
        thumbnails,
    } = rendered;
    let files: Vec<(String, render::File)> = std::iter::once(original)
        .chain(thumbnails.into_iter().map(|(_, file)| file))
        .map(|file| (key_of(&file.name), file))
        .collect();
    let rendition = |key: &str, file: &render::File| Rendition {
        url: media.url_of(key),
        width: file.width,
        height: file.height,
    };
    let served = Served {
        original: rendition(&files[0].0, &files[0].1),
        thumbnails: files[1..]
            .iter()
            .map(|(key, file)| {
                let size = file.name.parse().unwrap_or_default();
                (size, rendition(key, file))
            })
            .collect(),
        keys: files.iter().map(|(key, _)| key.clone()).collect(),
    };
    let writes = files
        .into_iter()
        .map(|(key, file)| async move { media.put_served(&key, file.bytes, kind.as_str()).await });
    for written in join_all(writes).await {
        written?;
    }
    Ok(served)
}

/// Removes image `image_id` from its product, if it is still being processed.
async fn drop_image(state: &AppState, product_id: &Id, image_id: &Id) -> Result<(), ApiError> {
    let dropped = products::change_images(
        state.products(),
        product_id,
        None,
        state.shards(),
        state.clock.now(),
        |product| match product.images.find(image_id) {
            Some(image) if image.status == ImageStatus::Processing => Ok(ImagesEdit::Write {
                images: product.images.without(image_id),
                job: None,
                answer: (),
            }),
            _ => Ok(ImagesEdit::Nothing(())),
        },
    )
    .await;
    match dropped {
        Ok(()) | Err(ApiError::NotFound(_)) => Ok(()),
        Err(error) => Err(error),
    }
}
