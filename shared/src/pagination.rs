//! Page cursors: opaque to clients, signed so a tampered or foreign cursor is refused.
//!
//! A cursor names the last product of a page and is bound (by its signature) to the filter it
//! was issued for, so it cannot be replayed against another category.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::domain::{Category, Id};

/// Bytes of HMAC-SHA256 kept in a cursor: 128 bits is ample against forgery.
const TAG_BYTES: usize = 16;

/// The longest cursor accepted (openapi.yaml, `cursor`): anything longer is none this API made.
pub const MAX_CURSOR_CHARS: usize = 512;

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
        let derived = hmac::sign(&root, b"products-api/page-cursor/v1");
        Ok(Self(hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref())))
    }

    fn tag(&self, last: &Id, category: Option<&Category>) -> hmac::Tag {
        let message = format!("{}|{}", last, category.map_or("", Category::as_str));
        hmac::sign(&self.0, message.as_bytes())
    }

    /// The `nextCursor` for a page that ended at `last`.
    pub fn encode(&self, last: &Id, category: Option<&Category>) -> String {
        let tag = self.tag(last, category);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(last.as_str()),
            URL_SAFE_NO_PAD.encode(&tag.as_ref()[..TAG_BYTES])
        )
    }

    /// The last id of the previous page, if `cursor` is one this API issued for this filter.
    pub fn decode(&self, cursor: &str, category: Option<&Category>) -> Option<Id> {
        if cursor.len() > MAX_CURSOR_CHARS {
            return None;
        }
        let (id_part, tag_part) = cursor.split_once('.')?;
        let id_bytes = URL_SAFE_NO_PAD.decode(id_part).ok()?;
        let id = Id::parse(std::str::from_utf8(&id_bytes).ok()?)?;
        let tag = URL_SAFE_NO_PAD.decode(tag_part).ok()?;
        let expected = self.tag(&id, category);
        // Constant-time comparison of the truncated tag.
        let matches = tag.len() == TAG_BYTES
            && tag
                .iter()
                .zip(&expected.as_ref()[..TAG_BYTES])
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        matches.then_some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Id {
        Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV").expect("id")
    }

    #[test]
    fn cursor_round_trips() {
        let key = CursorKey::from_secret(b"0123456789abcdef0123456789abcdef").expect("key");
        let cursor = key.encode(&id(), None);
        assert_eq!(key.decode(&cursor, None), Some(id()));
    }

    #[test]
    fn tampered_cursor_is_refused() {
        let key = CursorKey::from_secret(b"0123456789abcdef0123456789abcdef").expect("key");
        let cursor = key.encode(&id(), None);
        let other = Id::parse("01ARZ3NDEKTSV4RRFFQ69G5FAW").expect("id");
        let (_, tag) = cursor.split_once('.').expect("two parts");
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(other.as_str()));
        assert_eq!(key.decode(&forged, None), None);
        for garbage in [
            "",
            ".",
            "abc",
            "abc.def",
            &cursor[1..],
            &format!("{cursor}x"),
        ] {
            assert_eq!(key.decode(garbage, None), None, "{garbage:?}");
        }
    }

    #[test]
    fn cursor_is_bound_to_its_category() {
        let key = CursorKey::from_secret(b"0123456789abcdef0123456789abcdef").expect("key");
        let books = Category::parse_str("books").expect("category");
        let cursor = key.encode(&id(), Some(&books));
        assert_eq!(key.decode(&cursor, Some(&books)), Some(id()));
        assert_eq!(key.decode(&cursor, None), None);
    }

    #[test]
    fn cursor_from_another_secret_is_refused() {
        let ours = CursorKey::from_secret(b"0123456789abcdef0123456789abcdef").expect("key");
        let theirs = CursorKey::from_secret(b"fedcba9876543210fedcba9876543210").expect("key");
        assert_eq!(ours.decode(&theirs.encode(&id(), None), None), None);
    }

    #[test]
    fn a_key_shorter_than_32_bytes_is_refused() {
        assert!(CursorKey::from_secret(b"short").is_err());
    }
}
