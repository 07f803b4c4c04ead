//! Logging: one JSON object per line, as CloudWatch Logs Insights reads best.

use tracing_subscriber::EnvFilter;

/// Installs the JSON log subscriber. `RUST_LOG` (or Lambda's `AWS_LAMBDA_LOG_LEVEL`) sets the
/// level, `info` by default; token-verification reasons are logged at `debug`.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL"))
        .map(|level| EnvFilter::new(level.to_lowercase()))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}
