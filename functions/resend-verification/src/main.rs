//! Lambda entry point of `POST /api/auth/email/verify/resend`: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::run(
        &shared::deploy::RESEND_VERIFICATION,
        resend_verification::handle,
    )
}
