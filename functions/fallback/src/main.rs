//! Lambda entry point of the `$default` route: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::FALLBACK, fallback::handle)
}
