//! Lambda entry point of the image worker, fed the image jobs of the outbox by the outbox table's
//! stream: see the crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::worker::run(&shared::deploy::IMAGER, imager::handle)
}
