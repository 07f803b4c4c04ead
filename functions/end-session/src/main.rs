//! Lambda entry point of `DELETE /api/auth/sessions/{id}`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::END_SESSION, end_session::handle)
}
