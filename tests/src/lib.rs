//! Test support shared by the integration tests and the local stack: the tables of
//! `template.yaml`, DynamoDB Local, the sample events of `events/`, and a spawned app.

pub mod app;
pub mod bench;
pub mod dynamodb_local;
pub mod events;
pub mod tables;

pub use app::{TestApp, TestResponse};
pub use events::Event;
