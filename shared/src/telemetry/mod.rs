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

/// Crates whose own logging below INFO holds what must never be logged: the Lambda runtime logs
/// raw events (with passwords) at TRACE, the AWS SDK's smithy runtime and its HTTP stack log
/// requests and responses (with password hashes and tokens in DynamoDB items). They are held at
/// INFO whatever level is chosen (targets match by prefix: `aws_smithy` covers every
/// `aws_smithy_*` crate, `hyper` covers `hyper_util`).
pub const HELD_AT_INFO: &[&str] = &[
    "lambda_runtime",
    "lambda_http",
    "aws_smithy",
    "aws_sdk",
    "aws_runtime",
    "aws_config",
    "hyper",
    "h2",
    "rustls",
];

/// The log filter for `level` (`info`, `debug`, ...: what `RUST_LOG` or Lambda's
/// `AWS_LAMBDA_LOG_LEVEL` says), with [`HELD_AT_INFO`] kept at INFO.
pub fn log_filter(level: &str) -> EnvFilter {
    let directives = std::iter::once(level.to_lowercase())
        .chain(HELD_AT_INFO.iter().map(|target| format!("{target}=info")))
        .collect::<Vec<_>>()
        .join(",");
    EnvFilter::try_new(&directives).unwrap_or_else(|_| log_filter("info"))
}

/// Installs the JSON log subscriber. `RUST_LOG` (or Lambda's `AWS_LAMBDA_LOG_LEVEL`) sets the
/// level, `info` by default, through [`log_filter`]; token-verification reasons are logged at
/// `debug`. Lines logged while an invocation runs carry its span, and with it the invocation's
/// X-Ray trace id.
pub fn init() {
    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(log_filter(&level))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;
        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    /// What a subscriber filtered at `level` writes of one line per target and level.
    fn logged_at(level: &str) -> String {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_env_filter(log_filter(level))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime::layers::api_response", "raw event password=hunter2");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", "item passwordHash=x");
            tracing::debug!(target: "aws_smithy_runtime_api::http", "response body");
            tracing::trace!(target: "hyper_util::client", "bytes");
            tracing::trace!(target: "h2::codec", "frame");
            tracing::info!(target: "lambda_runtime", "runtime info");
            tracing::debug!(target: "shared::auth", "token refused: expired");
        });
        let text = captured.0.lock().expect("lock").clone();
        String::from_utf8(text).expect("utf-8")
    }

    #[test]
    fn at_trace_the_runtime_and_the_sdk_still_log_nothing_below_info() {
        let logged = logged_at("TRACE");
        for hidden in ["hunter2", "passwordHash", "response body", "bytes", "frame"] {
            assert!(!logged.contains(hidden), "{hidden} logged: {logged}");
        }
        assert!(logged.contains("runtime info"), "{logged}");
        assert!(
            logged.contains("token refused"),
            "our own debug lines stay: {logged}"
        );
    }

    #[test]
    fn at_info_our_debug_lines_are_off_too() {
        let logged = logged_at("info");
        assert!(!logged.contains("token refused"), "{logged}");
        assert!(logged.contains("runtime info"), "{logged}");
    }

    #[test]
    fn a_level_that_is_not_one_falls_back_to_info() {
        let logged = logged_at("loud please");
        assert!(logged.contains("runtime info"), "{logged}");
        assert!(!logged.contains("token refused"), "{logged}");
    }
}
