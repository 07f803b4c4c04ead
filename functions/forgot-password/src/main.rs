//! Lambda entry point of `POST /api/auth/password/forgot`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::FORGOT_PASSWORD, forgot_password::handle)
}
