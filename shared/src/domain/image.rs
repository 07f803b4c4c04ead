//! Product images: the kinds of file the API takes, what a stored product keeps of each of its
//! images (pending an upload, being processed, ready to serve), and what a client sees of them.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::field::Field;
use super::id::Id;
use crate::clock::Timestamp;
use crate::error::{ApiError, FieldError};

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

/// The longest `alt` text, in characters.
pub const MAX_ALT_CHARS: usize = 500;

request_body!(
    /// The body of `POST /api/products/{id}/images`, as received.
    ImageUploadRequest {
        content_type: "contentType",
        size: "size",
        alt: "alt",
    }
);

/// An upload a client asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUpload {
    pub content_type: ImageType,
    /// The file's exact size in bytes.
    pub size: u64,
    pub alt: Option<String>,
}

impl ImageUpload {
    /// `request` checked, with uploads of at most `max_bytes`.
    pub fn parse(request: &ImageUploadRequest, max_bytes: u64) -> Result<Self, ApiError> {
        let (content_type, size, alt) = collect_fields!(
            content_type = request.content_type.required_string().and_then(|text| {
                ImageType::parse(&text).ok_or_else(|| {
                    request
                        .content_type
                        .error("must be image/jpeg, image/png or image/webp")
                })
            }),
            size = byte_count(&request.size, max_bytes),
            alt = alt_text(&request.alt),
        )?;
        Ok(Self {
            content_type,
            size,
            alt,
        })
    }
}

/// A whole number of bytes from 1 to `max_bytes`.
fn byte_count(field: &Field, max_bytes: u64) -> Result<u64, FieldError> {
    let text = field.json().ok_or_else(|| field.error("is required"))?;
    let size: u64 = text
        .parse()
        .map_err(|_| field.error("must be a whole number of bytes"))?;
    if size == 0 || size > max_bytes {
        return Err(field.error(format!("must be from 1 to {max_bytes} bytes")));
    }
    Ok(size)
}

/// Optional text of up to [`MAX_ALT_CHARS`] characters, trimmed; empty is none.
fn alt_text(field: &Field) -> Result<Option<String>, FieldError> {
    let Some(text) = field.optional_string()? else {
        return Ok(None);
    };
    let text = text.trim();
    if text.chars().count() > MAX_ALT_CHARS {
        return Err(field.error(format!("must be at most {MAX_ALT_CHARS} characters")));
    }
    if text.chars().any(char::is_control) {
        return Err(field.error("must not contain control characters"));
    }
    Ok((!text.is_empty()).then(|| text.to_owned()))
}

/// How many bytes of a file are read to find its size in pixels: a JPEG's size follows its
/// metadata segments (a phone's EXIF with its preview is up to 64 KiB each).
pub const HEADER_BYTES: u64 = 512 * 1024;

/// An image's width and height in pixels, read from the header of a file of type `kind`
/// (nothing is decoded); `None` when the header does not say.
pub fn dimensions(kind: ImageType, bytes: &[u8]) -> Option<(u32, u32)> {
    let be16 = |at: usize| Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    let le16 = |at: usize| Some(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
    let le24 = |at: usize| {
        Some(u32::from_le_bytes([
            *bytes.get(at)?,
            *bytes.get(at + 1)?,
            *bytes.get(at + 2)?,
            0,
        ]))
    };
    let be32 = |at: usize| Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let size = match kind {
        // The first chunk is IHDR: width and height, four bytes each.
        ImageType::Png => {
            (bytes.get(12..16)? == b"IHDR").then_some(())?;
            (be32(16)?, be32(20)?)
        }
        ImageType::Jpeg => {
            // Segments until a start of frame (SOF0–SOF15 but DHT, JPG and DAC), which holds the
            // height, then the width.
            let mut at = 2;
            loop {
                if *bytes.get(at)? != 0xFF {
                    return None;
                }
                let marker = *bytes.get(at + 1)?;
                match marker {
                    0xFF => at += 1,
                    0x01 | 0xD0..=0xD7 => at += 2,
                    0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                        break (u32::from(be16(at + 7)?), u32::from(be16(at + 5)?));
                    }
                    0xD9 | 0xDA => return None,
                    _ => at += 2 + usize::from(be16(at + 2)?),
                }
            }
        }
        ImageType::Webp => match bytes.get(12..16)? {
            // Lossy: the key frame's 14-bit sizes after its start code.
            b"VP8 " => {
                (bytes.get(23..26)? == [0x9d, 0x01, 0x2a]).then_some(())?;
                (u32::from(le16(26)? & 0x3fff), u32::from(le16(28)? & 0x3fff))
            }
            // Lossless: 14 bits each of width and height, less one, after the signature.
            b"VP8L" => {
                (*bytes.get(20)? == 0x2f).then_some(())?;
                let bits = u32::from_le_bytes(bytes.get(21..25)?.try_into().ok()?);
                ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1)
            }
            // Extended: the canvas, 24 bits each, less one.
            b"VP8X" => (le24(24)? + 1, le24(27)? + 1),
            _ => return None,
        },
    };
    (size.0 > 0 && size.1 > 0).then_some(size)
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

    /// Whether a client sees the same images in both (the ready ones).
    pub fn shows_the_same(&self, other: &Images) -> bool {
        self.ready()
            .map(|(image, _)| image)
            .eq(other.ready().map(|(image, _)| image))
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
    fn a_pngs_size_is_read_from_its_header() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend(100_000u32.to_be_bytes());
        png.extend(100_000u32.to_be_bytes());
        assert_eq!(dimensions(ImageType::Png, &png), Some((100_000, 100_000)));
        assert_eq!(dimensions(ImageType::Png, &png[..20]), None, "cut short");
    }

    #[test]
    fn a_jpegs_size_is_read_past_its_metadata() {
        let mut jpeg = vec![0xFF, 0xD8];
        // An APP1 (EXIF) segment of 100 bytes, then a baseline frame of 640 × 480.
        jpeg.extend([0xFF, 0xE1, 0, 100]);
        jpeg.extend([0u8; 98]);
        jpeg.extend([0xFF, 0xC0, 0, 17, 8, 0x01, 0xE0, 0x02, 0x80, 3]);
        assert_eq!(dimensions(ImageType::Jpeg, &jpeg), Some((640, 480)));
        assert_eq!(
            dimensions(ImageType::Jpeg, &jpeg[..50]),
            None,
            "no frame yet"
        );
    }

    #[test]
    fn a_webps_size_is_read_from_each_kind_of_header() {
        let riff = |chunk: &[u8; 4], body: &[u8]| {
            let mut file = b"RIFF\0\0\0\0WEBP".to_vec();
            file.extend(chunk);
            file.extend([0u8; 4]);
            file.extend(body);
            file
        };
        let lossy = riff(
            b"VP8 ",
            &[0, 0, 0, 0x9d, 0x01, 0x2a, 0x20, 0x03, 0x58, 0x02],
        );
        assert_eq!(dimensions(ImageType::Webp, &lossy), Some((800, 600)));
        let bits: u32 = (800 - 1) | ((600 - 1) << 14);
        let mut body = vec![0x2f];
        body.extend(bits.to_le_bytes());
        assert_eq!(
            dimensions(ImageType::Webp, &riff(b"VP8L", &body)),
            Some((800, 600))
        );
        let extended = riff(b"VP8X", &[0, 0, 0, 0, 0x1f, 0x03, 0, 0x57, 0x02, 0]);
        assert_eq!(dimensions(ImageType::Webp, &extended), Some((800, 600)));
    }

    #[test]
    fn only_the_three_image_types_are_taken() {
        assert_eq!(ImageType::parse("image/png"), Some(ImageType::Png));
        assert_eq!(ImageType::parse("image/svg+xml"), None);
        assert_eq!(ImageType::parse("IMAGE/PNG"), None);
        assert_eq!(ImageType::parse("text/html"), None);
    }
}
