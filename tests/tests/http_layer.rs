//! The shared HTTP layer, through real functions and sample events: headers on every response,
//! problem bodies, routing fallbacks, CORS, compression and request-body rules.

use std::io::Read;

use api_tests::app::ALLOWED_ORIGIN;
use api_tests::{Event, TestApp, TestResponse};
use serde_json::json;
use shared::http::headers::SECURITY_HEADERS;

fn assert_standard_headers(response: &TestResponse, request_id: &str) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(response.header(name), Some(*value), "header {name}");
    }
    assert_eq!(response.header("x-request-id"), Some(request_id));
    assert!(response.header("server").is_none());
}

fn assert_problem(response: &TestResponse, status: u16, request_id: &str) {
    assert_eq!(response.status, status);
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json")
    );
    let body = response.json();
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status);
    assert_eq!(body["requestId"], request_id);
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
}

fn assert_allowed_origin(response: &TestResponse) {
    assert_eq!(
        response.header("access-control-allow-origin"),
        Some(ALLOWED_ORIGIN)
    );
    assert_eq!(
        response.header("access-control-allow-credentials"),
        Some("true")
    );
}

/// Asserts that the comma-separated header `name` lists every one of `expected`.
fn assert_lists(response: &TestResponse, name: &str, expected: &[&str]) {
    let listed: Vec<&str> = response
        .header(name)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    for item in expected {
        assert!(listed.contains(item), "{name}: {listed:?} lacks {item}");
    }
}

#[tokio::test]
async fn health_answers_ok_with_every_standard_header() {
    let app = TestApp::spawn().await;
    let event = Event::load("health");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = String::from_utf8_lossy(&response.body).into_owned();
    let now = app.clock().now();
    assert!(
        body.starts_with(&format!(r#"{{"status":"ok","timestamp":"{now}""#)),
        "the original API's body, at the top level: {body}"
    );
    assert_standard_headers(&response, event.request_id());
}

#[tokio::test]
async fn unknown_path_is_a_404_problem_with_the_standard_headers() {
    let app = TestApp::spawn().await;
    let event = Event::load("fallback");

    let response = app.invoke(&event).await;

    assert_problem(&response, 404, event.request_id());
    assert_standard_headers(&response, event.request_id());
}

#[tokio::test]
async fn known_path_with_another_method_is_a_405_with_allow() {
    let app = TestApp::spawn().await;
    let event = Event::load("fallback")
        .path("/api/products/abc")
        .method("PATCH");

    let response = app.invoke(&event).await;

    assert_problem(&response, 405, event.request_id());
    assert_eq!(
        response.header("allow"),
        Some("GET, PUT, PATCH, DELETE, OPTIONS")
    );
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_204_with_cors_headers() {
    let app = TestApp::spawn().await;
    let event = Event::load("preflight").header("origin", ALLOWED_ORIGIN);

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    assert_allowed_origin(&response);
    assert_lists(
        &response,
        "access-control-allow-methods",
        &["GET", "POST", "PUT", "DELETE"],
    );
    assert_lists(
        &response,
        "access-control-allow-headers",
        &["Authorization", "Content-Type", "If-Match", "If-None-Match"],
    );
    assert!(response.header("access-control-max-age").is_some());
    assert!(response.header("vary").unwrap_or("").contains("Origin"));
    assert_standard_headers(&response, event.request_id());
}

#[tokio::test]
async fn preflight_from_a_disallowed_origin_gets_no_cors_headers() {
    let app = TestApp::spawn().await;
    let event = Event::load("preflight").header("origin", "https://evil.example");

    let response = app.invoke(&event).await;

    assert!(response.header("access-control-allow-origin").is_none());
    assert!(response.header("access-control-allow-methods").is_none());
    assert!(response
        .header("access-control-allow-credentials")
        .is_none());
}

#[tokio::test]
async fn preflight_on_an_unknown_path_is_404() {
    let app = TestApp::spawn().await;
    let event = Event::load("preflight")
        .header("origin", ALLOWED_ORIGIN)
        .path("/api/nope");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 404);
}

#[tokio::test]
async fn allowed_origin_is_echoed_on_ordinary_responses() {
    let app = TestApp::spawn().await;
    let event = Event::load("health").header("origin", ALLOWED_ORIGIN);

    let response = app.invoke(&event).await;

    assert_allowed_origin(&response);
    assert_lists(
        &response,
        "access-control-expose-headers",
        &[
            "ETag",
            "Location",
            "Retry-After",
            "X-Request-Id",
            "RateLimit",
            "RateLimit-Policy",
        ],
    );
}

#[tokio::test]
async fn disallowed_origin_never_gets_allow_origin() {
    let app = TestApp::spawn().await;
    let event = Event::load("health").header("origin", "https://evil.example");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 200);
    assert!(response.header("access-control-allow-origin").is_none());
}

async fn app_with_large_listing() -> TestApp {
    let app = TestApp::spawn().await;
    let token = app.user_token("lister@example.com").await;
    for i in 0..12 {
        let body = json!({ "name": format!("Product number {i}"), "price": 10, "description": "x".repeat(100) });
        assert_eq!(app.create_product(&token, &body).await.status, 201);
    }
    app
}

#[tokio::test]
async fn large_responses_are_gzipped_when_accepted() {
    let app = app_with_large_listing().await;
    let event = Event::load("list-products").header("accept-encoding", "gzip");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
    assert!(response
        .header("vary")
        .unwrap_or("")
        .contains("Accept-Encoding"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&response.body[..])
        .read_to_string(&mut text)
        .expect("valid gzip");
    assert!(text.len() >= 1024);
    let body: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn brotli_is_used_when_the_client_prefers_it() {
    let app = app_with_large_listing().await;
    let event = Event::load("list-products").header("accept-encoding", "gzip;q=0.5, br");

    let response = app.invoke(&event).await;

    assert_eq!(response.header("content-encoding"), Some("br"));
    let mut decoded = Vec::new();
    brotli::Decompressor::new(&response.body[..], 4096)
        .read_to_end(&mut decoded)
        .expect("valid brotli");
    let body: serde_json::Value = serde_json::from_slice(&decoded).expect("json");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn responses_are_not_compressed_unless_asked() {
    let app = app_with_large_listing().await;
    let event = Event::load("list-products").without_header("accept-encoding");

    let response = app.invoke(&event).await;

    assert!(response.header("content-encoding").is_none());
    assert!(response.body.len() >= 1024);
    assert_eq!(response.json()["data"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn small_responses_are_not_compressed() {
    let app = TestApp::spawn().await;
    let event = Event::load("health").header("accept-encoding", "gzip, br");

    let response = app.invoke(&event).await;

    assert!(response.header("content-encoding").is_none());
    assert_eq!(response.json()["status"], "ok");
}

#[tokio::test]
async fn body_rules_give_their_statuses() {
    let app = TestApp::spawn().await;
    let token = app.user_token("bodies@example.com").await;
    let big = format!("{{\"name\":\"{}\",\"price\":1}}", "a".repeat(70 * 1024));
    let cases: Vec<(&str, Event, u16)> = vec![
        (
            "wrong content type",
            Event::load("create-product").header("content-type", "text/plain"),
            415,
        ),
        (
            "no content type",
            Event::load("create-product").without_header("content-type"),
            415,
        ),
        (
            "over 64 KiB",
            Event::load("create-product").raw_body(&big),
            413,
        ),
        (
            "malformed JSON",
            Event::load("create-product").raw_body("{\"name\":"),
            400,
        ),
        (
            "not an object",
            Event::load("create-product").raw_body("[1, 2]"),
            400,
        ),
        (
            "empty body",
            Event::load("create-product").raw_body(""),
            400,
        ),
    ];
    for (case, event, status) in cases {
        let event = event.bearer(&token);
        let response = app.invoke(&event).await;
        assert_problem(&response, status, event.request_id());
        assert_eq!(response.status, status, "{case}");
    }
}

#[tokio::test]
async fn unknown_fields_are_listed_as_field_errors() {
    let app = TestApp::spawn().await;
    let token = app.user_token("unknown-fields@example.com").await;
    let body = json!({ "name": "Lamp", "price": 1, "colour": "red", "ownerId": "me" });

    let response = app.create_product(&token, &body).await;

    assert_eq!(response.status, 400);
    let mut fields = response.error_fields();
    fields.sort();
    assert_eq!(fields, ["colour", "ownerId"]);
}

#[tokio::test]
async fn request_id_falls_back_to_the_lambda_invocation_when_absent() {
    let app = TestApp::spawn().await;
    let event = Event::load("health").request_id_as("");

    let response = app.invoke_as(&event, "invocation-7f3a").await;

    assert_eq!(response.header("x-request-id"), Some("invocation-7f3a"));
}

/// One way to break an event, named for the failure message.
type Breakage = (&'static str, fn(Event) -> Event);

/// Every sample event (one per function), broken in each way `lambda_http`'s own conversion
/// would panic on, or that does not deserialise at all.
#[tokio::test]
async fn malformed_events_get_a_400_problem_from_every_function() {
    let app = TestApp::spawn().await;
    let breakages: [Breakage; 4] = [
        ("a path that makes no URL", |e| e.path(":99999")),
        ("a query string http cannot carry", |e| e.query("q=\"a b\"")),
        ("a body flagged base64 that is not", |e| {
            e.raw_body("not base64!").base64_flag(true)
        }),
        ("a method that is not a method", |e| e.method("GE T")),
    ];
    // Every function of the manifest, from its own sample event, and a preflight.
    let names = shared::deploy::http_functions()
        .map(|route| route.function)
        .chain(["preflight"]);
    for name in names {
        for (breakage, apply) in &breakages {
            let event = apply(Event::load(name).request_id_as("broken-1"));

            let response = app.invoke(&event).await;

            assert_eq!(response.status, 400, "{name} with {breakage}");
            assert_problem(&response, 400, "broken-1");
            assert_standard_headers(&response, "broken-1");
        }
    }
}

/// The request URI is built from the API's domain and the raw path: a `Host` or
/// `X-Forwarded-Proto` that is not one changes nothing of how a request is answered.
#[tokio::test]
async fn a_host_or_scheme_header_that_is_not_one_changes_no_answer() {
    let app = TestApp::spawn().await;
    for name in [
        "health",
        "list-products",
        "get-product",
        "jwks",
        "fallback",
        "preflight",
    ] {
        let plain = app.invoke(&Event::load(name)).await;
        for (header, value) in [
            ("host", "a b"),
            ("host", "api.example/x"),
            ("x-forwarded-proto", "a b"),
            ("x-forwarded-proto", "https:x"),
        ] {
            let odd = app.invoke(&Event::load(name).header(header, value)).await;

            assert_eq!(odd.status, plain.status, "{name} with {header}: {value}");
            assert!(odd.status < 500, "{name} with {header}: {value}");
        }
    }
}
