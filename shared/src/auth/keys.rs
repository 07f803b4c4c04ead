//! Ed25519 token keys (RFC 8037): the public keys every verifying function is configured with,
//! the private key only login holds, and the JWK Set (RFC 7517) that publishes the public ones.
//!
//! A key's `kid` is its JWK thumbprint (RFC 7638), so it is derived from the key itself and
//! cannot be configured out of step with it.

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{DecodingKey, EncodingKey};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

/// Bytes of an Ed25519 public key.
const PUBLIC_KEY_BYTES: usize = 32;

/// A verifying key: the `x` of its JWK and the `kid` derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    x: String,
}

impl PublicKey {
    /// Reads the base64url (unpadded) encoding of a 32-byte Ed25519 public key, a JWK's `x`.
    pub fn parse(x: &str) -> Result<Self, String> {
        let x = x.trim();
        let bytes = URL_SAFE_NO_PAD
            .decode(x)
            .map_err(|_| format!("{x:?} is not unpadded base64url"))?;
        if bytes.len() != PUBLIC_KEY_BYTES {
            return Err(format!(
                "an Ed25519 public key has {PUBLIC_KEY_BYTES} bytes, {x:?} has {}",
                bytes.len()
            ));
        }
        Ok(Self::from_bytes(&bytes))
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        let x = URL_SAFE_NO_PAD.encode(bytes);
        // RFC 7638 §3.2: the required members in lexicographic order, no white space.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()));
        Self { kid, x }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn x(&self) -> &str {
        &self.x
    }

    pub(crate) fn decoding_key(&self) -> DecodingKey {
        // `x` was checked in `parse`; the fallback only keeps this infallible.
        DecodingKey::from_ed_components(&self.x).unwrap_or_else(|_| DecodingKey::from_ed_der(&[]))
    }
}

/// The private key tokens are signed with, and its public half.
pub struct SigningKey {
    encoding: EncodingKey,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PKCS#8 Ed25519 private key in PEM (`-----BEGIN PRIVATE KEY-----`), as
    /// `openssl genpkey -algorithm ed25519` and `keygen` write it.
    pub fn from_pem(pem: &SecretString) -> Result<Self, String> {
        let text = pem.expose_secret();
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("-----"))
            .collect();
        if !text.contains("-----BEGIN PRIVATE KEY-----") {
            return Err("not a PEM private key (-----BEGIN PRIVATE KEY-----)".to_owned());
        }
        let der = STANDARD
            .decode(body)
            .map_err(|_| "the PEM body is not base64".to_owned())?;
        Self::from_pkcs8(&der)
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let pair = Ed25519KeyPair::from_pkcs8(der)
            .map_err(|_| "not a PKCS#8 Ed25519 private key".to_owned())?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der),
            public: PublicKey::from_bytes(pair.public_key().as_ref()),
        })
    }

    /// A new random key, and its PEM for storing.
    pub fn generate() -> Result<(Self, SecretString), String> {
        let der = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| "the system random source failed".to_owned())?;
        let key = Self::from_pkcs8(der.as_ref())?;
        let base64 = STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in base64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        Ok((key, SecretString::from(pem)))
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.encoding
    }
}

/// One entry of a JWK Set.
#[derive(Debug, Serialize)]
struct Jwk<'a> {
    kty: &'static str,
    crv: &'static str,
    x: &'a str,
    kid: &'a str,
    alg: &'static str,
    #[serde(rename = "use")]
    usage: &'static str,
}

/// The JWK Set document (RFC 7517 §5) of `keys`.
pub fn jwks(keys: &[PublicKey]) -> serde_json::Value {
    let keys: Vec<Jwk<'_>> = keys
        .iter()
        .map(|key| Jwk {
            kty: "OKP",
            crv: "Ed25519",
            x: &key.x,
            kid: &key.kid,
            alg: "EdDSA",
            usage: "sig",
        })
        .collect();
    serde_json::json!({ "keys": keys })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the example key of A.2.
        let key = PublicKey::parse("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").expect("key");
        assert_eq!(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }

    #[test]
    fn a_public_key_of_the_wrong_length_is_refused() {
        assert!(PublicKey::parse("AAAA").is_err());
        assert!(PublicKey::parse("not base64 !").is_err());
    }

    #[test]
    fn a_generated_key_reads_back_from_its_pem() {
        let (key, pem) = SigningKey::generate().expect("key");
        let again = SigningKey::from_pem(&pem).expect("pem");
        assert_eq!(again.public(), key.public());
        assert_eq!(
            PublicKey::parse(key.public().x()).expect("x"),
            *key.public()
        );
    }

    #[test]
    fn text_that_is_not_a_private_key_is_refused() {
        for text in [
            "",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            "key",
        ] {
            assert!(
                SigningKey::from_pem(&SecretString::from(text)).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn the_jwks_lists_each_key_as_an_okp_signing_key() {
        let (key, _) = SigningKey::generate().expect("key");
        let document = jwks(std::slice::from_ref(key.public()));
        assert_eq!(
            document,
            serde_json::json!({ "keys": [{
                "kty": "OKP", "crv": "Ed25519", "x": key.public().x(),
                "kid": key.public().kid(), "alg": "EdDSA", "use": "sig"
            }] })
        );
    }
}
