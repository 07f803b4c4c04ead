//! The HTTP layer every function shares: request parsing, responses, problems, headers, CORS,
//! compression and the per-request pipeline that applies them.

pub mod after_response;
pub mod body;
pub mod caller;
pub mod compression;
pub mod context;
pub mod cors;
pub mod credentials;
pub mod event;
pub mod extract;
pub mod headers;
pub mod idempotency;
pub mod layers;
pub mod path;
pub mod pipeline;
pub mod preconditions;
pub mod problem;
pub mod query;
pub mod rate_limit;
pub mod response;
pub mod routes;

pub use body::{json_object, ReadBody};
pub use caller::Caller;
pub use context::RequestContextExt;
pub use extract::{FromRequestParts, Handler, Json, MergePatch};
pub use pipeline::{respond, respond_to_event, run, Answer};
pub use response::{data, json, no_content, with_header};
