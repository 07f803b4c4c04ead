//! Checks a request line against the CloudWatch Embedded Metric Format specification and against what the API promises to measure.

use serde_json::Value;
use shared::telemetry::request_line::{DIMENSIONS, METRICS};

/// The units CloudWatch accepts in a metric definition.
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Parses `line` and checks it is valid EMF carrying every metric of the API under
/// `namespace`, and a request log line besides; returns it.
pub fn check_request_line(line: &str, namespace: &str) -> Value {
    let value: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    let aws = &value["_aws"];
    assert!(aws["Timestamp"].is_i64(), "Timestamp in ms: {line}");
    let directives = aws["CloudWatchMetrics"]
        .as_array()
        .expect("CloudWatchMetrics");
    assert_eq!(directives.len(), 1, "{line}");
    let directive = &directives[0];
    assert_eq!(directive["Namespace"], namespace, "{line}");

    let dimension_sets = directive["Dimensions"].as_array().expect("Dimensions");
    let expected: Vec<Vec<&str>> = DIMENSIONS.iter().map(|set| set.to_vec()).collect();
    let found: Vec<Vec<&str>> = dimension_sets
        .iter()
        .map(|set| {
            set.as_array()
                .expect("a dimension set is a list")
                .iter()
                .map(|d| d.as_str().expect("dimension name"))
                .collect()
        })
        .collect();
    assert_eq!(found, expected, "{line}");
    for set in &found {
        assert!(set.len() <= 30, "{line}");
        for dimension in set {
            assert!(
                value[*dimension].as_str().is_some_and(|v| !v.is_empty()),
                "dimension {dimension} has a value on the line: {line}"
            );
        }
    }

    let metrics = directive["Metrics"].as_array().expect("Metrics");
    let names: Vec<&str> = metrics.iter().filter_map(|m| m["Name"].as_str()).collect();
    let promised: Vec<&str> = METRICS.iter().map(|metric| metric.name).collect();
    assert_eq!(names, promised, "{line}");
    for metric in metrics {
        let name = metric["Name"].as_str().expect("Name");
        let unit = metric["Unit"].as_str().expect("Unit");
        assert!(UNITS.contains(&unit), "{name}: unit {unit}");
        let number = value[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} is a number: {line}"));
        assert!(number >= 0.0, "{name}: {line}");
    }
    for counter in [
        "Requests",
        "ClientErrors",
        "ServerErrors",
        "Throttled",
        "Unauthorized",
        "ColdStart",
    ] {
        assert_eq!(
            metrics
                .iter()
                .find(|m| m["Name"] == counter)
                .map(|m| m["Unit"].clone()),
            Some(Value::from("Count")),
            "{counter}"
        );
    }
    assert_eq!(value["Requests"], 1, "{line}");

    // And the request log line it also is.
    for field in [
        "timestamp",
        "level",
        "message",
        "requestId",
        "method",
        "route",
    ] {
        assert!(value[field].is_string(), "{field}: {line}");
    }
    assert!(value["status"].is_u64(), "{line}");
    assert!(
        value["durationMs"].is_f64() || value["durationMs"].is_u64(),
        "{line}"
    );
    assert_eq!(value["route"], value["Route"], "{line}");
    value
}
