//! Lambda entry point of `POST /api/auth/password/reset`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::RESET_PASSWORD, reset_password::handle)
}
