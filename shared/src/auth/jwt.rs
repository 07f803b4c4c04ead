//! Access tokens: EdDSA (Ed25519) JWTs with a `kid` (RFC 7519, RFC 8037).
//!
//! Login alone signs ([`TokenSigner`], with the private key it fetched at cold start); every
//! other function only verifies ([`TokenVerifier`], with public keys from its configuration),
//! and accepts any configured key, so rotating the signing key logs nobody out.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::{PublicKey, SigningKey};
use crate::clock::Timestamp;
use crate::config::TokenConfig;
use crate::domain::{Email, Id, SessionId, User};
use crate::error::ApiError;

/// How long a token (and the login cookie, and the session) lives.
pub const TOKEN_LIFETIME: Duration = crate::domain::session::SESSION_LIFETIME;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub jti: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// The user and session a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: Id,
    pub email: Email,
    pub session_id: SessionId,
}

/// Why a token was refused; logged at debug level only, never told to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token algorithm {0:?} is not EdDSA")]
    Algorithm(Algorithm),
    #[error("token has no kid, or one of no configured key")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("token subject, session or email is malformed")]
    MalformedSubject,
    #[error("token typ {0:?} is not at+jwt")]
    Type(Option<String>),
}

/// The `typ` of an access token (RFC 9068 §2.1): other JWTs signed by the same key (an ID token,
/// a token of another kind) are not access tokens.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Whether `typ` names an access token: `at+jwt`, or its full media type, in any case (RFC 7515
/// §4.1.9: the `application/` prefix may be left out).
fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_some_and(|typ| {
        let typ = typ.to_ascii_lowercase();
        typ == ACCESS_TOKEN_TYPE || typ.strip_prefix("application/") == Some(ACCESS_TOKEN_TYPE)
    })
}

fn validation(config: &TokenConfig) -> Validation {
    // The algorithm is pinned: a token claiming any other (`none`, HS256, RS256) is refused.
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[&config.issuer]);
    validation.set_audience(&[&config.audience]);
    // Expiry is checked against the injected clock, with no leeway.
    validation.validate_exp = false;
    validation.leeway = 0;
    validation
}

/// Verifies tokens against the configured public keys.
pub struct TokenVerifier {
    keys: Vec<(PublicKey, DecodingKey)>,
    validation: Validation,
}

impl TokenVerifier {
    /// A verifier of the configured public keys; the reason if one of them is not an Ed25519
    /// public key.
    pub fn new(config: &TokenConfig) -> Result<Self, String> {
        let keys = config
            .public_keys
            .iter()
            .map(|x| PublicKey::parse(x).map(|key| (key.clone(), key.decoding_key())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            keys,
            validation: validation(config),
        })
    }

    /// The keys tokens may be signed with, for the JWKS document.
    pub fn public_keys(&self) -> impl Iterator<Item = &PublicKey> {
        self.keys.iter().map(|(key, _)| key)
    }

    /// Checks algorithm, type, key, signature, issuer, audience and expiry.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<TokenSubject, TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Algorithm(header.alg));
        }
        if !is_access_token_type(header.typ.as_deref()) {
            return Err(TokenError::Type(header.typ));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let (_, key) = self
            .keys
            .iter()
            .find(|(public, _)| public.kid() == kid)
            .ok_or(TokenError::UnknownKey)?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation)?.claims;
        if claims.exp <= now.seconds() {
            return Err(TokenError::Expired);
        }
        Ok(TokenSubject {
            user_id: Id::parse(&claims.sub).ok_or(TokenError::MalformedSubject)?,
            email: Email::parse(&claims.email).map_err(|_| TokenError::MalformedSubject)?,
            session_id: SessionId::parse(&claims.sid).ok_or(TokenError::MalformedSubject)?,
        })
    }
}

/// A token just issued, and when it stops being valid.
#[derive(Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: Timestamp,
}

/// Signs tokens with login's private key.
#[derive(Debug)]
pub struct TokenSigner {
    key: SigningKey,
    issuer: String,
    audience: String,
}

impl TokenSigner {
    /// A signer for `key`, which must be one of the configured public keys: otherwise no
    /// function could verify what it signs.
    pub fn new(key: SigningKey, config: &TokenConfig) -> Result<Self, String> {
        if !config.public_keys.iter().any(|x| x == key.public().x()) {
            return Err(format!(
                "the signing key's public key ({}) is not in JWT_PUBLIC_KEYS",
                key.public().x()
            ));
        }
        Ok(Self {
            key,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        })
    }

    /// A token for `user` in `session`, valid for [`TOKEN_LIFETIME`] from `now`.
    pub fn issue(
        &self,
        user: &User,
        session: &SessionId,
        now: Timestamp,
    ) -> Result<IssuedToken, ApiError> {
        let expires_at = now.plus(TOKEN_LIFETIME);
        let claims = Claims {
            sub: user.id.to_string(),
            sid: session.to_string(),
            jti: crate::domain::session::random_128_bits()?,
            email: user.email.to_string(),
            iat: now.seconds(),
            exp: expires_at.seconds(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(self.key.public().kid().to_owned());
        let token = jsonwebtoken::encode(&header, &claims, self.key.encoding_key())
            .map_err(|e| ApiError::unexpected("sign token", e))?;
        Ok(IssuedToken { token, expires_at })
    }
}
