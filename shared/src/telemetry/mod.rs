//! What a function tells its operators: one JSON object per log line, as CloudWatch Logs
//! Insights reads best, and per request one line that is both the request log and its metrics
//! in CloudWatch Embedded Metric Format ([`request_line`]).
//!
//! Metrics: a small module of our own rather than a crate. EMF is one JSON shape
//! (CloudWatch's Embedded Metric Format specification),
//! which the request's log line already almost is; the EMF crates on crates.io either pull in a
//! logging stack of their own or write a second line per request.

pub mod request_line;
pub mod storage_time;

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;

pub use request_line::{RequestLine, Telemetry};
pub use storage_time::StorageTimer;

/// Installs the JSON log subscriber. `RUST_LOG` (or Lambda's `AWS_LAMBDA_LOG_LEVEL`) sets the
/// level, `info` by default; token-verification reasons are logged at `debug`. Lines logged
/// while an invocation runs carry its span, and with it the invocation's X-Ray trace id.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .map(|level| EnvFilter::new(level.to_lowercase()))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}

/// Where request lines go: standard output (CloudWatch Logs, on Lambda), or memory, for tests
/// that read what a function logged.
#[derive(Debug, Clone, Default)]
pub enum LogSink {
    #[default]
    Stdout,
    Memory(Arc<Mutex<Vec<String>>>),
}

impl LogSink {
    /// A sink that keeps its lines.
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// Writes one line, whole: a line is one write, so lines of concurrent requests never mix.
    pub fn write(&self, line: &str) {
        match self {
            Self::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
            }
            Self::Memory(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(line.to_owned());
                }
            }
        }
    }

    /// The lines kept so far (none for standard output).
    pub fn lines(&self) -> Vec<String> {
        match self {
            Self::Stdout => Vec::new(),
            Self::Memory(lines) => lines.lock().map(|l| l.clone()).unwrap_or_default(),
        }
    }
}
