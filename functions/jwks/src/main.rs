//! Lambda entry point of `GET /api/auth/jwks.json`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::JWKS, jwks::handle)
}
