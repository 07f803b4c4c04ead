//! One-time tokens of the mails: password reset and email verification.
//!
//! A token is 256 bits from the operating system's random source, sent once, in a link of a
//! mail; only its SHA-256 hash is stored, so the stored item cannot be turned back into a link.
//! It is single use (a conditional write marks it used) and expires by the code's own check
//! (DynamoDB's TTL only tidies up).

use std::fmt;
use std::time::Duration;

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::field::Field;
use crate::error::{ApiError, FieldError};

/// Random bytes of a token: 256 bits.
const TOKEN_BYTES: usize = 32;
/// Characters of a token as a link carries it (base64url, no padding).
pub const TOKEN_CHARS: usize = 43;

/// What a token lets its holder do, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    ResetPassword,
    VerifyEmail,
}

impl TokenPurpose {
    /// How long a token of this purpose is valid: 30 minutes to reset, a day to verify.
    pub const fn lifetime(self) -> Duration {
        match self {
            Self::ResetPassword => Duration::from_secs(30 * 60),
            Self::VerifyEmail => Duration::from_secs(24 * 60 * 60),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset-password",
            Self::VerifyEmail => "verify-email",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::ResetPassword, Self::VerifyEmail]
            .into_iter()
            .find(|purpose| purpose.as_str() == text)
    }
}

/// A token as a mail's link carries it. Never logged: `Debug` hides it.
pub struct OneTimeToken(SecretString);

impl fmt::Debug for OneTimeToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeToken(..)")
    }
}

impl OneTimeToken {
    /// A fresh token from the operating system's random source.
    pub fn generate() -> Result<Self, ApiError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::getrandom(&mut bytes).map_err(|e| ApiError::unexpected("generate token", e))?;
        Ok(Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes))))
    }

    /// A token a client sends back: 43 base64url characters, or a field error. A token of the
    /// right shape that was never issued is found out when its hash names no stored token.
    pub fn parse(field: &Field) -> Result<Self, FieldError> {
        let invalid = || field.error("is not a valid token; ask for a new link");
        let text = field.required_string()?;
        let shape_ok = text.len() == TOKEN_CHARS
            && URL_SAFE_NO_PAD
                .decode(&text)
                .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES);
        shape_ok
            .then(|| Self(SecretString::from(text)))
            .ok_or_else(invalid)
    }

    /// The token's text, for the link of its mail alone.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What is stored in its place.
    pub fn hash(&self) -> TokenHash {
        let digest = digest::digest(&digest::SHA256, self.expose().as_bytes());
        TokenHash(URL_SAFE_NO_PAD.encode(digest.as_ref()))
    }
}

/// The SHA-256 of a token, the key it is stored under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    fn field(json: &str) -> Field {
        Field::new(
            "token",
            Some(RawValue::from_string(json.to_owned()).expect("json")),
        )
    }

    #[test]
    fn a_generated_token_parses_back_and_hashes_alike() {
        let token = OneTimeToken::generate().expect("random");
        assert_eq!(token.expose().len(), TOKEN_CHARS);
        let parsed =
            OneTimeToken::parse(&field(&format!("\"{}\"", token.expose()))).expect("token");
        assert_eq!(parsed.hash(), token.hash());
        assert_ne!(token.hash().as_str(), token.expose());
    }

    #[test]
    fn two_tokens_differ() {
        let (a, b) = (OneTimeToken::generate(), OneTimeToken::generate());
        assert_ne!(a.expect("a").hash(), b.expect("b").hash());
    }

    #[test]
    fn anything_of_another_shape_is_not_a_token() {
        for json in [
            "\"\"",
            "\"abc\"",
            "12",
            "null",
            &format!("\"{}\"", "!".repeat(43)),
        ] {
            assert!(OneTimeToken::parse(&field(json)).is_err(), "{json}");
        }
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = OneTimeToken::generate().expect("random");
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn reset_tokens_live_half_an_hour_and_verification_tokens_a_day() {
        assert_eq!(TokenPurpose::ResetPassword.lifetime().as_secs(), 1800);
        assert_eq!(TokenPurpose::VerifyEmail.lifetime().as_secs(), 86_400);
        for purpose in [TokenPurpose::ResetPassword, TokenPurpose::VerifyEmail] {
            assert_eq!(TokenPurpose::parse(purpose.as_str()), Some(purpose));
        }
    }
}
