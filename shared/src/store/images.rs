//! A product's images as its item keeps them: a map from image id to the image (`images`),
//! which a change of the product writes back with it; and `imageRevision`, moved on by every
//! change of that map, so that a write conditioned on the product as read also sees an image
//! added or removed since (a pending image does not change the product's version).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::domain::image::{ImageStatus, ImageType, Images, ProductImage, Rendition, Served};
use crate::domain::Id;
use crate::error::ApiError;

use super::corrupt_item;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImageItem {
    status: String,
    content_type: String,
    size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alt: Option<String>,
    added_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    served: Option<ServedItem>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServedItem {
    original: RenditionItem,
    thumbnails: BTreeMap<String, RenditionItem>,
    keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RenditionItem {
    url: String,
    width: u32,
    height: u32,
}

impl From<&Rendition> for RenditionItem {
    fn from(rendition: &Rendition) -> Self {
        Self {
            url: rendition.url.clone(),
            width: rendition.width,
            height: rendition.height,
        }
    }
}

impl From<RenditionItem> for Rendition {
    fn from(item: RenditionItem) -> Self {
        Self {
            url: item.url,
            width: item.width,
            height: item.height,
        }
    }
}

/// The `images` map of a product's item.
pub(super) fn items_of(images: &Images) -> BTreeMap<String, ImageItem> {
    images
        .all()
        .iter()
        .map(|image| {
            let item = ImageItem {
                status: image.status.as_str().to_owned(),
                content_type: image.content_type.as_str().to_owned(),
                size: image.size,
                alt: image.alt.clone(),
                added_at: image.added_at.to_string(),
                served: image.served.as_ref().map(|served| ServedItem {
                    original: RenditionItem::from(&served.original),
                    thumbnails: served
                        .thumbnails
                        .iter()
                        .map(|(size, rendition)| (size.to_string(), rendition.into()))
                        .collect(),
                    keys: served.keys.clone(),
                }),
            };
            (image.id.to_string(), item)
        })
        .collect()
}

/// The images of product `product_id` from its item's `images` map.
pub(super) fn images_of(
    product_id: &str,
    items: BTreeMap<String, ImageItem>,
) -> Result<Images, ApiError> {
    let bad = |what: &str| corrupt_item("read product", format!("{what} of product {product_id}"));
    let images = items
        .into_iter()
        .map(|(id, item)| {
            let served = match item.served {
                Some(served) => Some(Served {
                    original: served.original.into(),
                    thumbnails: served
                        .thumbnails
                        .into_iter()
                        .map(|(size, rendition)| {
                            let size = size.parse().map_err(|_| bad("an image's thumbnail"))?;
                            Ok((size, rendition.into()))
                        })
                        .collect::<Result<_, ApiError>>()?,
                    keys: served.keys,
                }),
                None => None,
            };
            Ok(ProductImage {
                id: Id::parse(&id).ok_or_else(|| bad("an image's id"))?,
                status: ImageStatus::parse(&item.status).ok_or_else(|| bad("an image's status"))?,
                content_type: ImageType::parse(&item.content_type)
                    .ok_or_else(|| bad("an image's type"))?,
                size: item.size,
                alt: item.alt,
                added_at: Timestamp::parse_rfc3339(&item.added_at)
                    .ok_or_else(|| bad("an image's time"))?,
                served,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Images::new(images))
}
