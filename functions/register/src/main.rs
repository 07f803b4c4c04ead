//! Lambda entry point of `POST /api/auth/register`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::REGISTER, register::handle)
}
