//! Test images the project makes itself: a phone's photo (a JPEG of about 2 MB whose EXIF says
//! to turn it a quarter and where it was taken), and small PNGs and WebPs; and what a served
//! image is found to be when read back.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};

/// Where the photo says it was taken, as its EXIF writes it (52°31'12.34"N 13°24'56.78"E).
pub const GPS_LATITUDE: [(u32, u32); 3] = [(52, 1), (31, 1), (1234, 100)];

/// A photo as a phone takes it: `width` × `height` pixels of a scene with detail (so that it
/// weighs what photos do), stored sideways with EXIF orientation 6 (turn 90° clockwise to view)
/// and a GPS position.
pub fn phone_photo(width: u32, height: u32) -> Vec<u8> {
    let mut state: u32 = 0x2545_f491;
    let mut noise = move || {
        // xorshift: the same photo every run.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state >> 24) as u8
    };
    let scene = RgbImage::from_fn(width, height, |x, y| {
        // Noise enough to weigh what a phone's photo of this size does: 2.04 MB at 2400 × 1800.
        let n = noise() / 17;
        image::Rgb([
            ((x * 255 / width) as u8).wrapping_add(n),
            ((y * 255 / height) as u8).wrapping_add(n),
            (((x + y) % 256) as u8).wrapping_add(n),
        ])
    });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(scene)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, 90))
        .expect("encode the photo");
    with_exif(&jpeg, &exif_of_a_phone())
}

/// `jpeg` with an APP1 EXIF segment holding `tiff` right after its start.
fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(tiff);
    let length = u16::try_from(payload.len() + 2).expect("an APP1 segment's length");
    let mut file = jpeg[..2].to_vec();
    file.extend([0xFF, 0xE1]);
    file.extend(length.to_be_bytes());
    file.extend(payload);
    file.extend(&jpeg[2..]);
    file
}

/// A little-endian TIFF: IFD0 with Orientation 6 and a pointer to a GPS IFD, which holds the
/// latitude and longitude with their references.
fn exif_of_a_phone() -> Vec<u8> {
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut bytes = tag.to_le_bytes().to_vec();
        bytes.extend(kind.to_le_bytes());
        bytes.extend(count.to_le_bytes());
        bytes.extend(value.to_le_bytes());
        bytes
    };
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let gps_ifd = 8 + 2 + 2 * 12 + 4;
    let gps_data = gps_ifd + 2 + 4 * 12 + 4;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(entry(0x0112, SHORT, 1, 6));
    tiff.extend(entry(0x8825, LONG, 1, gps_ifd));
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(4u16.to_le_bytes());
    tiff.extend(entry(0x0001, ASCII, 2, u32::from(b'N')));
    tiff.extend(entry(0x0002, RATIONAL, 3, gps_data));
    tiff.extend(entry(0x0003, ASCII, 2, u32::from(b'E')));
    tiff.extend(entry(0x0004, RATIONAL, 3, gps_data + 24));
    tiff.extend(0u32.to_le_bytes());
    let longitude = [(13, 1), (24, 1), (5678, 100)];
    for (numerator, denominator) in GPS_LATITUDE.into_iter().chain(longitude) {
        tiff.extend(u32::to_le_bytes(numerator));
        tiff.extend(u32::to_le_bytes(denominator));
    }
    tiff
}

/// A `width` × `height` image with an alpha channel, as `format` (PNG or WebP).
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let picture = RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 128, 200])
    });
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(picture)
        .write_to(&mut bytes, format)
        .expect("encode the picture");
    bytes.into_inner()
}

/// What a served file is: its format by its bytes, and its size in pixels.
pub fn served(bytes: &[u8]) -> (ImageFormat, u32, u32) {
    let format = image::guess_format(bytes).expect("a served file is an image");
    let decoded = image::load_from_memory_with_format(bytes, format).expect("it decodes");
    (format, decoded.width(), decoded.height())
}

/// Whether `bytes` carry metadata: an EXIF block, or the photo's GPS latitude anywhere.
pub fn has_metadata(bytes: &[u8]) -> bool {
    let latitude: Vec<u8> = GPS_LATITUDE
        .iter()
        .flat_map(|(numerator, denominator)| {
            numerator
                .to_le_bytes()
                .into_iter()
                .chain(denominator.to_le_bytes())
        })
        .collect();
    bytes.windows(6).any(|w| w == b"Exif\0\0")
        || bytes
            .windows(latitude.len())
            .any(|w| w == latitude.as_slice())
}
