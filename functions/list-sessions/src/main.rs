//! Lambda entry point of `GET /api/auth/sessions`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::LIST_SESSIONS, list_sessions::handle)
}
