//! Lambda entry point of `POST /api/auth/email/verify`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::VERIFY_EMAIL, verify_email::handle)
}
