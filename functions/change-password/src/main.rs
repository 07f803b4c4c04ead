//! Lambda entry point of `PUT /api/profile/password`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::CHANGE_PASSWORD, change_password::handle)
}
