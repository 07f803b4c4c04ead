//! Authentication: password hashing, tokens, the request authenticator and brute-force limits.

pub mod authenticate;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod password;

pub use authenticate::{authenticate, Caller};
pub use jwt::{TokenSigner, TokenSubject, TokenVerifier};
