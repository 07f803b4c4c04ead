//! Password hashing with argon2id at OWASP's minimum cost or above
//! (<https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html>).
//!
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking thread pool, never on
//! the async executor.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::error::ApiError;

/// Memory cost in KiB (19 MiB), iterations and lanes: OWASP's first recommended configuration.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

/// A well-formed hash, with the same parameters, that no known password matches. Logins for
/// unknown emails verify against it, so they cost as much as logins for real accounts and
/// reveal nothing.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kf1Dw4uEKVtqzJ0iYyF0sSPMYqYfSg7dJbiGOq7X8xI";

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .unwrap_or_else(|_| unreachable!("constant parameters are valid"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub async fn hash_password(password: SecretString) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::unexpected("hash password", e.to_string()))
    })
    .await
    .map_err(|e| ApiError::unexpected("hash password task", e))?
}

/// Whether `password` matches `stored` (a PHC string). A malformed stored hash never matches.
pub async fn verify_password(password: SecretString, stored: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        hasher()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok()
    })
    .await
    .map_err(|e| ApiError::unexpected("verify password task", e))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    async fn malformed_stored_hash_never_matches() {
        assert!(
            !verify_password(SecretString::from("x"), "not a hash".into())
                .await
                .expect("verify")
        );
    }
}
