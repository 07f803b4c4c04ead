//! The request's one log line, which is also its metrics in CloudWatch Embedded Metric Format:
//! CloudWatch Logs extracts the metrics named in `_aws` from the values beside it, under the
//! dimension sets `[Service]` and `[Service, Route]`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lambda_http::http::StatusCode;
use serde::Serialize;

use super::LogSink;
use crate::clock::Timestamp;

/// One metric definition of the `_aws` block: its name and CloudWatch unit.
#[derive(Debug, Serialize)]
pub struct Metric {
    #[serde(rename = "Name")]
    pub name: &'static str,
    #[serde(rename = "Unit")]
    pub unit: &'static str,
}

const fn metric(name: &'static str, unit: &'static str) -> Metric {
    Metric { name, unit }
}

/// The metrics of every request line, defined once: nothing is built per request.
pub const METRICS: &[Metric] = &[
    metric("Latency", "Milliseconds"),
    metric("StorageLatency", "Milliseconds"),
    metric("Requests", "Count"),
    metric("ClientErrors", "Count"),
    metric("ServerErrors", "Count"),
    metric("Throttled", "Count"),
    metric("Unauthorized", "Count"),
    metric("ColdStart", "Count"),
];

/// The dimension sets every metric is published under.
pub const DIMENSIONS: &[&[&str]] = &[&["Service"], &["Service", "Route"]];

/// Where the metrics go and under which service name, from configuration.
#[derive(Debug, Clone)]
pub struct Telemetry {
    /// `METRICS_NAMESPACE`, `ProductsApi` by default.
    pub namespace: String,
    /// `SERVICE_NAME`, `products-api` by default.
    pub service: String,
    pub sink: LogSink,
}

/// Whether this process has answered a request yet: its first request line is its cold start.
static COLD: AtomicBool = AtomicBool::new(true);

/// What one request's line says.
#[derive(Debug)]
pub struct RequestLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub route: &'a str,
    pub status: StatusCode,
    pub duration: Duration,
    pub storage: Duration,
    pub user_id: Option<&'a str>,
    pub trace_id: Option<&'a str>,
    /// The cause chain of a server-side failure.
    pub error: Option<&'a str>,
    pub at: Timestamp,
}

#[derive(Serialize)]
struct Directive<'a> {
    #[serde(rename = "Namespace")]
    namespace: &'a str,
    #[serde(rename = "Dimensions")]
    dimensions: &'static [&'static [&'static str]],
    #[serde(rename = "Metrics")]
    metrics: &'static [Metric],
}

#[derive(Serialize)]
struct Aws<'a> {
    #[serde(rename = "Timestamp")]
    timestamp: i64,
    #[serde(rename = "CloudWatchMetrics")]
    cloudwatch_metrics: [Directive<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    timestamp: String,
    level: &'static str,
    message: &'static str,
    request_id: &'a str,
    method: &'a str,
    route: &'a str,
    status: u16,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(rename = "_aws")]
    aws: Aws<'a>,
    #[serde(rename = "Service")]
    service: &'a str,
    #[serde(rename = "Route")]
    route_dimension: &'a str,
    #[serde(rename = "Latency")]
    latency: f64,
    #[serde(rename = "StorageLatency")]
    storage_latency: f64,
    #[serde(rename = "Requests")]
    requests: u8,
    #[serde(rename = "ClientErrors")]
    client_errors: u8,
    #[serde(rename = "ServerErrors")]
    server_errors: u8,
    #[serde(rename = "Throttled")]
    throttled: u8,
    #[serde(rename = "Unauthorized")]
    unauthorized: u8,
    #[serde(rename = "ColdStart")]
    cold_start: u8,
}

/// Milliseconds to the microsecond.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

impl Telemetry {
    /// Writes the request's line. It is always written, whatever the log level: it carries the
    /// metrics.
    pub fn record(&self, request: &RequestLine<'_>) {
        let status = request.status;
        let server_error = status.is_server_error();
        let latency = millis(request.duration);
        let line = Line {
            timestamp: request.at.to_string(),
            level: if server_error { "ERROR" } else { "INFO" },
            message: if server_error {
                "request failed"
            } else {
                "request"
            },
            request_id: request.request_id,
            method: request.method,
            route: request.route,
            status: status.as_u16(),
            duration_ms: latency,
            user_id: request.user_id,
            trace_id: request.trace_id,
            error: request.error,
            aws: Aws {
                timestamp: request.at.millis(),
                cloudwatch_metrics: [Directive {
                    namespace: &self.namespace,
                    dimensions: DIMENSIONS,
                    metrics: METRICS,
                }],
            },
            service: &self.service,
            route_dimension: request.route,
            latency,
            storage_latency: millis(request.storage),
            requests: 1,
            client_errors: u8::from(status.is_client_error()),
            server_errors: u8::from(server_error),
            throttled: u8::from(status == StatusCode::TOO_MANY_REQUESTS),
            unauthorized: u8::from(status == StatusCode::UNAUTHORIZED),
            cold_start: u8::from(COLD.swap(false, Ordering::Relaxed)),
        };
        if let Ok(text) = serde_json::to_string(&line) {
            self.sink.write(&text);
        }
    }
}
