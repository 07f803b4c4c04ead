//! Response compression: gzip, or brotli where the client prefers it, for bodies of 1 KiB or more
//! (RFC 9110 §12.5.3, `Accept-Encoding`).

use std::io::Write;

/// Bodies smaller than this are sent as they are: compressing them saves too little.
pub const MIN_SIZE: usize = 1024;

/// A content coding the API can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Brotli,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Brotli => "br",
        }
    }
}

/// Picks the coding the client weights highest; gzip wins a tie, since every client decodes it.
pub fn negotiate(accept_encoding: &str) -> Option<Encoding> {
    let mut gzip: Option<f32> = None;
    let mut brotli: Option<f32> = None;
    let mut wildcard: Option<f32> = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut quality = 1.0_f32;
        for parameter in parts {
            if let Some((key, value)) = parameter.split_once('=') {
                if key.trim().eq_ignore_ascii_case("q") {
                    quality = value.trim().parse().unwrap_or(0.0);
                }
            }
        }
        match coding.as_str() {
            "gzip" | "x-gzip" => gzip = Some(quality),
            "br" => brotli = Some(quality),
            "*" => wildcard = Some(quality),
            _ => {}
        }
    }
    let gzip = gzip.or(wildcard).unwrap_or(0.0);
    let brotli = brotli.or(wildcard).unwrap_or(0.0);
    if brotli > gzip && brotli > 0.0 {
        Some(Encoding::Brotli)
    } else if gzip > 0.0 {
        Some(Encoding::Gzip)
    } else {
        None
    }
}

/// Compresses `body`; `None` if the encoder failed, in which case the body goes out as it is.
pub fn compress(body: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 3),
                flate2::Compression::new(6),
            );
            encoder.write_all(body).ok()?;
            encoder.finish().ok()
        }
        Encoding::Brotli => {
            let mut output = Vec::with_capacity(body.len() / 3);
            {
                let mut writer = brotli::CompressorWriter::new(&mut output, 4096, 5, 22);
                writer.write_all(body).ok()?;
                writer.flush().ok()?;
            }
            Some(output)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_is_chosen_when_asked() {
        assert_eq!(negotiate("gzip"), Some(Encoding::Gzip));
        assert_eq!(negotiate("deflate, gzip;q=0.5"), Some(Encoding::Gzip));
    }

    #[test]
    fn brotli_is_chosen_only_when_preferred() {
        assert_eq!(negotiate("br"), Some(Encoding::Brotli));
        assert_eq!(negotiate("gzip;q=0.5, br"), Some(Encoding::Brotli));
        assert_eq!(negotiate("gzip, deflate, br"), Some(Encoding::Gzip));
    }

    #[test]
    fn refused_or_unknown_codings_mean_no_compression() {
        assert_eq!(negotiate(""), None);
        assert_eq!(negotiate("identity"), None);
        assert_eq!(negotiate("gzip;q=0"), None);
        assert_eq!(negotiate("deflate"), None);
    }

    #[test]
    fn wildcard_allows_gzip() {
        assert_eq!(negotiate("*"), Some(Encoding::Gzip));
        assert_eq!(negotiate("*;q=0.1, gzip;q=0"), Some(Encoding::Brotli));
    }

    #[test]
    fn gzip_output_decompresses_to_the_input() {
        let body = "products ".repeat(300);
        let compressed = compress(body.as_bytes(), Encoding::Gzip).expect("gzip");
        assert!(compressed.len() < body.len());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, body);
    }

    #[test]
    fn brotli_output_decompresses_to_the_input() {
        let body = "products ".repeat(300);
        let compressed = compress(body.as_bytes(), Encoding::Brotli).expect("br");
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&compressed[..], 4096)
            .read_to_end(&mut decoded)
            .expect("valid brotli");
        assert_eq!(decoded, body.as_bytes());
    }
}
