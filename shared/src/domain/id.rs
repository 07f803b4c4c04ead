//! Server-chosen identifiers: time-sortable, 26 characters of Crockford base32 (the ULID layout:
//! 48 bits of milliseconds, then 80 random bits).

use std::fmt;

use crate::clock::Timestamp;
use crate::error::ApiError;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const LENGTH: usize = 26;

/// An identifier of a user or a product. Ids sort by creation time, then by their random part.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);

impl Id {
    /// A fresh id for something created at `at`.
    pub fn generate(at: Timestamp) -> Result<Self, ApiError> {
        let mut random = [0u8; 10];
        getrandom::getrandom(&mut random).map_err(|e| ApiError::unexpected("generate id", e))?;
        let mut value: u128 = (at.millis().max(0) as u128 & ((1 << 48) - 1)) << 80;
        for (i, byte) in random.iter().enumerate() {
            value |= u128::from(*byte) << (8 * (9 - i));
        }
        let mut text = String::with_capacity(LENGTH);
        for i in (0..LENGTH).rev() {
            text.push(char::from(ALPHABET[((value >> (5 * i)) & 31) as usize]));
        }
        Ok(Self(text))
    }

    /// Accepts only the exact shape [`Id::generate`] produces; anything else names nothing.
    pub fn parse(text: &str) -> Option<Self> {
        let shape_ok = text.len() == LENGTH
            && text.as_bytes()[0] <= b'7'
            && text.bytes().all(|b| ALPHABET.contains(&b));
        shape_ok.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = Id::generate(Timestamp::from_millis(1_795_521_600_000)).expect("random");
        assert_eq!(Id::parse(id.as_str()), Some(id));
    }

    #[test]
    fn later_ids_sort_after_earlier_ones() {
        let earlier = Id::generate(Timestamp::from_millis(1_000)).expect("random");
        let later = Id::generate(Timestamp::from_millis(1_001)).expect("random");
        assert!(earlier < later);
    }

    #[test]
    fn ids_of_the_same_millisecond_differ() {
        let at = Timestamp::from_millis(5);
        assert_ne!(
            Id::generate(at).expect("random"),
            Id::generate(at).expect("random")
        );
    }

    #[test]
    fn text_of_the_wrong_shape_is_not_an_id() {
        for text in [
            "",
            "123",
            "01ARZ3NDEKTSV4RRFFQ69G5FAVX",
            "01arz3ndektsv4rrffq69g5fav",
            "01ARZ3NDEKTSV4RRFFQ69G5FAU",
            "81ARZ3NDEKTSV4RRFFQ69G5FAV",
            "../../etc/passwd",
        ] {
            assert_eq!(Id::parse(text), None, "{text:?}");
        }
    }
}
