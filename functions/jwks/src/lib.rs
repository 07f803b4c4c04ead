//! `GET /api/auth/jwks.json`: the public keys tokens are signed with, as a JSON Web Key Set
//! (RFC 7517), for clients and services that verify tokens themselves.
//!
//! Cacheable for an hour: a new signing key is published here (added to `JWT_PUBLIC_KEYS`) at
//! least that long before login signs with it, so no cache is ever without it (docs/deploying.md,
//! "Rotating the signing key").

use shared::auth::keys::{jwks, PublicKey};
use shared::http::{json, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::{ApiError, AppState};

/// How long clients may cache the key set.
pub const CACHE_CONTROL: &str = "public, max-age=3600";

pub async fn handle(state: &AppState) -> Result<Response<Body>, ApiError> {
    let keys: Vec<PublicKey> = state.tokens.public_keys().cloned().collect();
    let response = json(StatusCode::OK, &jwks(&keys))?;
    Ok(with_header(response, "cache-control", CACHE_CONTROL))
}
