//! Lambda entry point of `DELETE /api/profile`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(&shared::deploy::DELETE_ACCOUNT, delete_account::handle)
}
