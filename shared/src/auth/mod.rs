//! Authentication: password hashing, tokens, the request authenticator and brute-force limits.

pub mod authenticate;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod password;

pub use authenticate::{authenticate, logged_out, token_cookie, Authenticated};
pub use jwt::{TokenSigner, TokenSubject, TokenVerifier};
