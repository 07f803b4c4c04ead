//! Sample API Gateway events (HTTP API, payload format 2.0) under `events/`, one per function,
//! for `cargo lambda invoke` and the tests. A missing one is written as a skeleton of its route;
//! one that exists is the developer's, and kept as it is.

use std::path::Path;

use serde_json::json;
use shared::deploy::{http_functions, Route};

use crate::Generated;

/// An id of the shape product and other ids take, for a path's `{id}`.
const SAMPLE_ID: &str = "01JDQ4ZK8X9T6S2V3M5N7P8Q9R";

/// The event file of a function.
pub fn path_of(route: &Route) -> String {
    format!("events/{}.json", route.function)
}

/// A skeleton event for `route`: its method and path, from a documentation address.
pub fn skeleton(route: &Route) -> String {
    let (method, path) = if route.is_fallback() {
        ("GET", "/api/unknown".to_owned())
    } else {
        (route.method, route.path.replace("{id}", SAMPLE_ID))
    };
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "accept-encoding": "identity",
            "host": "127.0.0.1:9000",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.10",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "curl/8.5.0"
            },
            "requestId": format!("sample-{}", route.function),
            "routeKey": route.key,
            "stage": "$default",
            "time": "24/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_521_600_000_u64
        },
        "isBase64Encoded": false
    });
    if route.path.contains("{id}") {
        event["pathParameters"] = json!({ "id": SAMPLE_ID });
    }
    if matches!(route.method, "POST" | "PUT" | "PATCH") {
        event["headers"]["content-type"] = json!("application/json");
        event["body"] = json!("{}");
    }
    let mut text = serde_json::to_string_pretty(&event).unwrap_or_default();
    text.push('\n');
    text
}

/// The events of functions that have none yet.
pub fn missing(root: &Path) -> Vec<Generated> {
    http_functions()
        .filter(|route| !root.join(path_of(route)).exists())
        .map(|route| Generated {
            path: path_of(route).into(),
            contents: skeleton(route),
        })
        .collect()
}
