//! Access tokens: HS256 JWTs over `JWT_SECRET` (<https://www.rfc-editor.org/rfc/rfc7519>).

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::config::JwtConfig;
use crate::domain::{Email, Id, User};
use crate::error::ApiError;

/// How long a token (and the login cookie) lives.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// The user a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: Id,
    pub email: Email,
}

/// Why a token was refused; logged at debug level only, never told to the client.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error("token expired")]
    Expired,
    #[error("token subject or email is malformed")]
    MalformedSubject,
}

/// Signing and verification keys, built once per cold start.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    pub fn new(config: &JwtConfig) -> Self {
        let secret = config.secret.expose_secret().as_bytes();
        // The algorithm is pinned: a token claiming any other (`none`, HS512, RS256) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        // Expiry is checked against the injected clock below, with no leeway.
        validation.validate_exp = false;
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
        }
    }

    /// A token for `user`, valid for [`TOKEN_LIFETIME`] from `now`.
    pub fn issue(&self, user: &User, now: Timestamp) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id.to_string(),
            email: user.email.to_string(),
            iat: now.seconds(),
            exp: now.plus(TOKEN_LIFETIME).seconds(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::unexpected("sign token", e))
    }

    /// Checks signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<TokenSubject, TokenError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?;
        let claims = data.claims;
        if claims.exp <= now.seconds() {
            return Err(TokenError::Expired);
        }
        let user_id = Id::parse(&claims.sub).ok_or(TokenError::MalformedSubject)?;
        let email = Email::parse(&claims.email).map_err(|_| TokenError::MalformedSubject)?;
        Ok(TokenSubject { user_id, email })
    }
}
