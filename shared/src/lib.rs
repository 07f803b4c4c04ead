//! The shared library of the products API: every function is a thin `main` around a handler
//! built from these pieces.

pub mod auth;
pub mod aws;
pub mod clock;
pub mod config;
pub mod deadline;
pub mod deploy;
pub mod domain;
pub mod error;
pub mod front_door;
pub mod http;
pub mod join;
pub mod mail;
pub mod media;
pub mod pagination;
pub mod secrets;
pub mod state;
pub mod store;
pub mod tables;
pub mod telemetry;
pub mod worker;

pub use clock::{Clock, Timestamp};
pub use config::Config;
pub use error::{ApiError, FieldError};
pub use http::run;
pub use state::AppState;

/// Re-exported so function crates need no direct dependency on the runtime crates.
pub use lambda_http;
pub use tokio;
