//! Test support shared by the integration tests and the local stack: the tables of
//! `template.yaml`, DynamoDB Local, the sample events of `events/`, and a spawned app.

pub mod app;
pub mod calls;
pub mod catalogue;
pub mod dispatch;
pub mod dynamodb_local;
pub mod dynamodb_proxy;
pub mod emf;
pub mod events;
pub mod every_route;
pub mod forward;
pub mod images;
pub mod mails;
pub mod mapping;
pub mod media;
pub mod outbox;
pub mod runtime_api;
pub mod secrets;
pub mod ses_refusals;
pub mod tables;

pub use app::{TestApp, TestResponse};
pub use events::Event;

pub use shared::join::join_all;

/// A label made unique in this run (`label-<nanoseconds>`), for addresses and job ids no other
/// test uses.
pub fn unique(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{label}-{nanos}")
}
