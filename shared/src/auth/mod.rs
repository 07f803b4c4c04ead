//! Authentication: password hashing, tokens, the request authenticator and brute-force limits.

pub mod authenticate;
pub mod jwt;
pub mod limits;
pub mod password;

pub use authenticate::{authenticate, token_cookie};
pub use jwt::{TokenKeys, TokenSubject};
