//! Lambda entry point of `GET /api/profile`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::PROFILE, profile::handle)
}
