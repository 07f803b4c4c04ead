//! Page cursors: opaque to clients, signed so a tampered or foreign cursor is refused.
//!
//! A cursor holds a position in a listing's order (the last sort key a page examined) and is
//! bound, by its signature, to the listing it was issued for — its order, filters and the
//! number of shards — so it cannot be replayed against another query.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Bytes of HMAC-SHA256 kept in a cursor: 128 bits is ample against forgery.
const TAG_BYTES: usize = 16;

/// The longest position a cursor carries: a name sort key (a folded 200-character name, a tab
/// and an id) at its longest.
const MAX_POSITION_BYTES: usize = 1_024;

/// The longest cursor accepted (openapi.yaml, `cursor`): anything longer is none this API made.
pub const MAX_CURSOR_CHARS: usize = 1_400;

/// The shortest cursor key accepted: HMAC-SHA256 wants a key at least as long as its output.
pub const MIN_KEY_BYTES: usize = 32;

/// The key cursors are signed with: a secret of its own, held by list-products alone, under a
/// label of its own.
pub struct CursorKey(hmac::Key);

impl CursorKey {
    pub fn from_secret(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(format!(
                "must be at least {MIN_KEY_BYTES} bytes long (got {})",
                secret.len()
            ));
        }
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let derived = hmac::sign(&root, b"products-api/page-cursor/v2");
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())))
    }

    fn tag(&self, position: &str, listing: &str) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.0);
        // Length-prefixed, so no split of one message reads as another.
        context.update(&(position.len() as u64).to_be_bytes());
        context.update(position.as_bytes());
        context.update(listing.as_bytes());
        context.sign()
    }

    /// The `nextCursor` of a page of `listing` (a query's canonical line) that ended at
    /// `position`.
    pub fn encode(&self, position: &str, listing: &str) -> String {
        let tag = self.tag(position, listing);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(position),
            URL_SAFE_NO_PAD.encode(&tag.as_ref()[..TAG_BYTES])
        )
    }

    /// The position `cursor` holds, if it is one this API issued for `listing`.
    pub fn decode(&self, cursor: &str, listing: &str) -> Option<String> {
        if cursor.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let (position_part, tag_part) = cursor.split_once('.')?;
        let position = String::from_utf8(URL_SAFE_NO_PAD.decode(position_part).ok()?).ok()?;
        if position.is_empty() || position.len() > MAX_POSITION_BYTES {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag_part).ok()?;
        let expected = self.tag(&position, listing);
        // Constant-time comparison of the truncated tag.
        let matches = tag.len() == TAG_BYTES
            && tag
                .iter()
                .zip(&expected.as_ref()[..TAG_BYTES])
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        matches.then_some(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "sort=-createdAt|category=|min=|max=|q=|shards=16";

    fn key() -> CursorKey {
        CursorKey::from_secret(b"0123456789abcdef0123456789abcdef").expect("key")
    }

    #[test]
    fn cursor_round_trips() {
        let cursor = key().encode("01ARZ3NDEKTSV4RRFFQ69G5FAV", LISTING);
        assert_eq!(
            key().decode(&cursor, LISTING).as_deref(),
            Some("01ARZ3NDEKTSV4RRFFQ69G5FAV")
        );
    }

    #[test]
    fn the_longest_position_fits_in_a_cursor() {
        let position = format!("{}\t01ARZ3NDEKTSV4RRFFQ69G5FAV", "ж".repeat(200));
        let cursor = key().encode(&position, LISTING);
        assert!(cursor.len() <= MAX_CURSOR_CHARS, "{}", cursor.len());
        assert_eq!(key().decode(&cursor, LISTING), Some(position));
    }

    #[test]
    fn tampered_cursor_is_refused() {
        let cursor = key().encode("01ARZ3NDEKTSV4RRFFQ69G5FAV", LISTING);
        let (_, tag) = cursor.split_once('.').expect("two parts");
        let forged = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode("01ARZ3NDEKTSV4RRFFQ69G5FAW")
        );
        assert_eq!(key().decode(&forged, LISTING), None);
        for garbage in [
            "",
            ".",
            "abc",
            "abc.def",
            &cursor[1..],
            &format!("{cursor}x"),
        ] {
            assert_eq!(key().decode(garbage, LISTING), None, "{garbage:?}");
        }
    }

    #[test]
    fn cursor_is_bound_to_its_listing() {
        let cursor = key().encode("00000100#01ARZ3NDEKTSV4RRFFQ69G5FAV", LISTING);
        let other = LISTING.replace("shards=16", "shards=8");
        assert_eq!(key().decode(&cursor, &other), None);
    }

    #[test]
    fn cursor_from_another_secret_is_refused() {
        let theirs = CursorKey::from_secret(b"fedcba9876543210fedcba9876543210").expect("key");
        assert_eq!(key().decode(&theirs.encode("x", LISTING), LISTING), None);
    }

    #[test]
    fn a_key_shorter_than_32_bytes_is_refused() {
        assert!(CursorKey::from_secret(b"short").is_err());
    }
}
