//! What is served of an upload: the image decoded within the pixel cap, turned upright as its
//! metadata says, then encoded again in its own type — the original and one thumbnail per
//! [`THUMBNAIL_SIZES`] — by encoders that write no metadata: no EXIF, GPS, comments or
//! profiles survive.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use shared::domain::image::{ImageType, MAX_PIXELS, THUMBNAIL_SIZES};

/// The JPEG quality served files are encoded at.
const JPEG_QUALITY: u8 = 85;

/// One served file.
#[derive(Debug)]
pub struct File {
    /// `original`, or the thumbnail's size.
    pub name: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// What was made of an upload: the original, then the thumbnails in [`THUMBNAIL_SIZES`] order.
#[derive(Debug)]
pub struct Rendered {
    pub original: File,
    pub thumbnails: Vec<(u32, File)>,
}

fn format_of(kind: ImageType) -> ImageFormat {
    match kind {
        ImageType::Jpeg => ImageFormat::Jpeg,
        ImageType::Png => ImageFormat::Png,
        ImageType::Webp => ImageFormat::WebP,
    }
}

/// Decoding's limits: no side longer than the cap allows, and no more memory than an image of
/// [`MAX_PIXELS`] in 16-bit RGBA takes (the decoder refuses beyond, before allocating).
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(u32::try_from(MAX_PIXELS).unwrap_or(u32::MAX));
    limits.max_image_height = Some(u32::try_from(MAX_PIXELS).unwrap_or(u32::MAX));
    limits.max_alloc = Some(MAX_PIXELS * 8);
    limits
}

/// Makes the served files of `upload`, an image of type `kind`; why not, if it cannot be.
pub fn render(upload: &[u8], kind: ImageType) -> Result<Rendered, String> {
    let mut reader = ImageReader::with_format(Cursor::new(upload), format_of(kind));
    reader.limits(limits());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| format!("not a readable {kind}: {e}"))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!("{width} × {height} pixels: over the cap"));
    }
    let orientation = decoder
        .orientation()
        .map_err(|e| format!("unreadable orientation: {e}"))?;
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| format!("not a decodable {kind}: {e}"))?;
    image.apply_orientation(orientation);
    let original = encode("original".to_owned(), &image, kind)?;
    let thumbnails = THUMBNAIL_SIZES
        .iter()
        .map(|&size| {
            // Never enlarged: an image smaller than the size is served at its own.
            let scaled = if image.width().max(image.height()) > size {
                image.resize(size, size, FilterType::Triangle)
            } else {
                image.clone()
            };
            Ok((size, encode(size.to_string(), &scaled, kind)?))
        })
        .collect::<Result<_, String>>()?;
    Ok(Rendered {
        original,
        thumbnails,
    })
}

fn encode(name: String, image: &DynamicImage, kind: ImageType) -> Result<File, String> {
    let mut bytes = Vec::new();
    let written = match kind {
        // JPEG has no alpha, nor 16-bit samples.
        ImageType::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8())
            .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)),
        ImageType::Png => image.write_with_encoder(PngEncoder::new(&mut bytes)),
        // The pure-Rust WebP encoder is lossless, and takes 8-bit samples.
        ImageType::Webp => DynamicImage::ImageRgba8(image.to_rgba8())
            .write_with_encoder(WebPEncoder::new_lossless(&mut bytes)),
    };
    written.map_err(|e| format!("cannot encode the {name} as {kind}: {e}"))?;
    Ok(File {
        name,
        bytes,
        width: image.width(),
        height: image.height(),
    })
}
