//! Product images: the kinds of file the API takes, what a stored product keeps of each of its
//! images (pending an upload, being processed, ready to serve), and what a client sees of them.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::id::Id;
use crate::clock::Timestamp;

/// The most images a product may have, pending ones included.
pub const MAX_IMAGES: usize = 10;

/// The most pixels an image may have, read from its header before anything is decoded: what
/// bounds the memory a decode takes (40 megapixels of RGBA are 160 MB).
pub const MAX_PIXELS: u64 = 40_000_000;

/// The long side of each thumbnail, in pixels.
pub const THUMBNAIL_SIZES: [u32; 2] = [200, 800];

/// The kinds of image the API takes. Anything else — SVG above all, which is a document that
/// can run script — is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    Jpeg,
    Png,
    Webp,
}

impl ImageType {
    pub const ALL: [Self; 3] = [Self::Jpeg, Self::Png, Self::Webp];

    /// The type a client names by its media type, exactly as the contract spells it.
    pub fn parse(media_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == media_type)
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    /// The type a file's first bytes say it is (its signature), whatever anyone declared.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }
}

impl fmt::Display for ImageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an image is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageStatus {
    /// An upload was handed out; the file may or may not be there.
    Pending,
    /// The upload was checked; a worker is making what is served.
    Processing,
    /// Served: listed in the product's `images`.
    Ready,
}

impl ImageStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::Ready => "ready",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Processing, Self::Ready]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// A served file: its URL and its size in pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub url: String,
    pub width: u32,
    pub height: u32,
}

/// What a worker made of an upload: the original re-encoded and one thumbnail per
/// [`THUMBNAIL_SIZES`], each under its own object key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub original: Rendition,
    pub thumbnails: Vec<(u32, Rendition)>,
    /// Every object key of the files above: what deleting the image deletes.
    pub keys: Vec<String>,
}

/// One image of a product, in whatever state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImage {
    pub id: Id,
    pub status: ImageStatus,
    pub content_type: ImageType,
    /// The upload's exact size in bytes, as declared.
    pub size: u64,
    pub alt: Option<String>,
    pub added_at: Timestamp,
    /// Set once ready.
    pub served: Option<Served>,
}

/// A product's images in upload order. What a client sees of them are the ready ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Images(Vec<ProductImage>);

impl Images {
    /// The images in upload order (by when each was added, then by id).
    pub fn new(mut images: Vec<ProductImage>) -> Self {
        images.sort_by(|a, b| (a.added_at, a.id.as_str()).cmp(&(b.added_at, b.id.as_str())));
        Self(images)
    }

    pub fn all(&self) -> &[ProductImage] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn find(&self, id: &Id) -> Option<&ProductImage> {
        self.0.iter().find(|image| &image.id == id)
    }

    /// These images with `image` added, or in place of the one of its id.
    pub fn with(&self, image: ProductImage) -> Self {
        let mut images: Vec<ProductImage> = self
            .0
            .iter()
            .filter(|kept| kept.id != image.id)
            .cloned()
            .collect();
        images.push(image);
        Self::new(images)
    }

    /// These images without the one of `id`.
    pub fn without(&self, id: &Id) -> Self {
        Self(
            self.0
                .iter()
                .filter(|kept| &kept.id != id)
                .cloned()
                .collect(),
        )
    }

    fn ready(&self) -> impl Iterator<Item = (&ProductImage, &Served)> {
        self.0
            .iter()
            .filter_map(|image| match (&image.status, &image.served) {
                (ImageStatus::Ready, Some(served)) => Some((image, served)),
                _ => None,
            })
    }
}

/// The product's `images`: `[{"id", "url", "alt", "width", "height", "contentType",
/// "thumbnails": {"200": url, "800": url}}]`, the ready ones only.
impl Serialize for Images {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.ready()
                .map(|(image, served)| ReadyImage { image, served }),
        )
    }
}

struct ReadyImage<'a> {
    image: &'a ProductImage,
    served: &'a Served,
}

impl Serialize for ReadyImage<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(7))?;
        map.serialize_entry("id", &self.image.id)?;
        map.serialize_entry("url", &self.served.original.url)?;
        map.serialize_entry("alt", &self.image.alt)?;
        map.serialize_entry("width", &self.served.original.width)?;
        map.serialize_entry("height", &self.served.original.height)?;
        map.serialize_entry("contentType", self.image.content_type.as_str())?;
        map.serialize_entry("thumbnails", &Thumbnails(&self.served.thumbnails))?;
        map.end()
    }
}

struct Thumbnails<'a>(&'a [(u32, Rendition)]);

impl Serialize for Thumbnails<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (size, rendition) in self.0 {
            map.serialize_entry(&size.to_string(), &rendition.url)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(n: i64, status: ImageStatus) -> ProductImage {
        let added_at = Timestamp::from_millis(1_700_000_000_000 + n);
        let served = (status == ImageStatus::Ready).then(|| Served {
            original: Rendition {
                url: format!("https://media.example/{n}.jpg"),
                width: 1200,
                height: 900,
            },
            thumbnails: THUMBNAIL_SIZES
                .iter()
                .map(|&size| {
                    let url = format!("https://media.example/{n}-{size}.jpg");
                    (
                        size,
                        Rendition {
                            url,
                            width: size,
                            height: size * 3 / 4,
                        },
                    )
                })
                .collect(),
            keys: vec![],
        });
        ProductImage {
            id: Id::generate(added_at).expect("id"),
            status,
            content_type: ImageType::Jpeg,
            size: 1000,
            alt: None,
            added_at,
            served,
        }
    }

    #[test]
    fn only_ready_images_are_shown_in_upload_order() {
        let images = Images::new(vec![
            image(3, ImageStatus::Ready),
            image(1, ImageStatus::Ready),
            image(2, ImageStatus::Pending),
        ]);
        let shown = serde_json::to_value(&images).expect("json");
        let urls: Vec<&str> = shown
            .as_array()
            .expect("array")
            .iter()
            .map(|image| image["url"].as_str().expect("url"))
            .collect();
        assert_eq!(
            urls,
            ["https://media.example/1.jpg", "https://media.example/3.jpg"]
        );
        assert_eq!(
            shown[0]["thumbnails"],
            serde_json::json!({
                "200": "https://media.example/1-200.jpg",
                "800": "https://media.example/1-800.jpg"
            })
        );
        assert_eq!(shown[0]["alt"], serde_json::Value::Null);
        assert_eq!(shown[0]["contentType"], "image/jpeg");
        assert_eq!(images.len(), 3, "pending images count");
    }

    #[test]
    fn a_file_is_the_type_its_signature_says() {
        assert_eq!(
            ImageType::sniff(b"\xFF\xD8\xFF\xE0rest"),
            Some(ImageType::Jpeg)
        );
        assert_eq!(
            ImageType::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        assert_eq!(ImageType::sniff(b"<html><body>"), None);
        assert_eq!(ImageType::sniff(b"<svg xmlns="), None);
        assert_eq!(ImageType::sniff(b""), None);
    }

    #[test]
    fn only_the_three_image_types_are_taken() {
        assert_eq!(ImageType::parse("image/png"), Some(ImageType::Png));
        assert_eq!(ImageType::parse("image/svg+xml"), None);
        assert_eq!(ImageType::parse("IMAGE/PNG"), None);
        assert_eq!(ImageType::parse("text/html"), None);
    }
}
