//! Lambda entry point of the purger, fed the purge jobs of the outbox by the outbox table's stream: see the
//! crate's `handle` for what it does.

fn main() -> Result<(), shared::lambda_http::Error> {
    shared::worker::run(&shared::deploy::PURGER, purger::handle)
}
