//! Lambda entry point of `POST /api/auth/login`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::LOGIN, login::handle)
}
