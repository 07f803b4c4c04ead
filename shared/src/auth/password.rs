//! Password hashing with argon2id at the minimum cost of OWASP's Password Storage Cheat Sheet,
//! or above.
//!
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking thread pool, never on
//! the async executor.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use crate::deadline::excluded;
use crate::error::ApiError;
use crate::store::users::StoredUser;

/// Memory cost in KiB (19 MiB), iterations and lanes: OWASP's first recommended configuration.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;

/// A well-formed hash, with the same parameters, that no known password matches. Logins for
/// unknown emails verify against it, so they cost as much as logins for real accounts and
/// reveal nothing.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kf1Dw4uEKVtqzJ0iYyF0sSPMYqYfSg7dJbiGOq7X8xI";

/// The 19 MiB argon2 works in, allocated once and reused. Allocating it per hash lets the
/// allocator keep a copy per blocking thread: RSS then grows by 19 MiB for every thread the
/// runtime has used (over 200 MB was measured), where one reused buffer keeps it flat.
static MEMORY: Mutex<Vec<Block>> = Mutex::new(Vec::new());

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(HASH_BYTES))
        .unwrap_or_else(|_| unreachable!("constant parameters are valid"))
}

/// Runs argon2id with `params` over the shared memory, into `out`.
fn argon2id(
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let mut memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    if memory.len() != params.block_count() {
        *memory = vec![Block::default(); params.block_count()];
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into_with_memory(
        password,
        salt,
        out,
        memory.as_mut_slice(),
    )
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub async fn hash_password(password: SecretString) -> Result<String, ApiError> {
    excluded(tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; SALT_BYTES];
        getrandom::getrandom(&mut salt).map_err(|e| ApiError::unexpected("salt", e))?;
        let mut hash = [0u8; HASH_BYTES];
        argon2id(
            params(),
            password.expose_secret().as_bytes(),
            &salt,
            &mut hash,
        )
        .map_err(|e| ApiError::unexpected("hash password", e.to_string()))?;
        Ok(format!(
            "$argon2id$v=19$m={MEMORY_KIB},t={ITERATIONS},p={LANES}${}${}",
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(hash)
        ))
    }))
    .await
    .map_err(|e| ApiError::unexpected("hash password task", e))?
}

/// Whether `password` is the password of `account`. Without an account (an unknown email) it
/// is checked against [`DUMMY_HASH`], so both failures cost one argon2 verification.
pub async fn verify_account(
    password: SecretString,
    account: Option<&StoredUser>,
) -> Result<bool, ApiError> {
    let stored = account.map_or(DUMMY_HASH, |account| account.password_hash.as_str());
    let matches = verify_password(password, stored.to_owned()).await?;
    Ok(matches && account.is_some())
}

/// Whether `password` matches `stored` (a PHC string). A malformed stored hash never matches.
pub async fn verify_password(password: SecretString, stored: String) -> Result<bool, ApiError> {
    excluded(tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
            return false;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let mut salt_bytes = [0u8; 64];
        let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
            return false;
        };
        let is_argon2id = parsed.algorithm.as_str() == "argon2id";
        let mut computed = vec![0u8; expected.len()];
        is_argon2id
            && argon2id(params, password.expose_secret().as_bytes(), salt, &mut computed).is_ok()
            // Output's equality is constant-time.
            && Output::new(&computed).is_ok_and(|computed| computed == expected)
    }))
    .await
    .map_err(|e| ApiError::unexpected("verify password task", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};

    #[test]
    fn dummy_hash_uses_the_production_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("valid PHC string");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).expect("argon2 params");
        assert_eq!(params.m_cost(), MEMORY_KIB);
        assert_eq!(params.t_cost(), ITERATIONS);
        assert_eq!(params.p_cost(), LANES);
    }

    #[tokio::test]
    async fn hash_verifies_only_its_own_password() {
        let hash = hash_password(SecretString::from("correct horse"))
            .await
            .expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!hash.contains("correct horse"));
        assert!(
            verify_password(SecretString::from("correct horse"), hash.clone())
                .await
                .expect("verify")
        );
        assert!(!verify_password(SecretString::from("wrong horse"), hash)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ_by_salt() {
        let a = hash_password(SecretString::from("same password"))
            .await
            .expect("hash");
        let b = hash_password(SecretString::from("same password"))
            .await
            .expect("hash");
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_reference_implementation() {
        let ours = hash_password(SecretString::from("interop"))
            .await
            .expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC string");
        assert!(Argon2::default()
            .verify_password(b"interop", &parsed)
            .is_ok());

        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").expect("salt");
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"interop", &salt)
            .expect("reference hash")
            .to_string();
        assert!(verify_password(SecretString::from("interop"), reference)
            .await
            .expect("verify"));
    }

    #[tokio::test]
    async fn malformed_stored_hash_never_matches() {
        assert!(
            !verify_password(SecretString::from("x"), "not a hash".into())
                .await
                .expect("verify")
        );
    }
}
