//! Lambda entry point of `PATCH /api/profile`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::UPDATE_PROFILE, update_profile::handle)
}
