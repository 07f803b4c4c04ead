//! Every function's request line, from real invocations: one line per request that is both the
//! request's log line and valid CloudWatch EMF with the API's metrics; cold starts counted once
//! per process; the X-Ray trace id on every line.

use std::collections::BTreeSet;
use std::process::Stdio;

use api_tests::emf::check_request_line;
use api_tests::runtime_api::{lambda_process, RuntimeApi};
use api_tests::{Event, TestApp};
use serde_json::{json, Value};
use shared::deploy::{FALLBACK, ROUTES};
use tokio::io::AsyncBufReadExt;

const NAMESPACE: &str = "ProductsApi";

fn lines_of(app: &TestApp) -> Vec<Value> {
    app.log_lines()
        .iter()
        .map(|line| check_request_line(line, NAMESPACE))
        .collect()
}

#[tokio::test]
async fn every_function_logs_one_emf_line_per_request() {
    let app = TestApp::spawn().await;
    let token = app.user_token("metrics@example.com").await;
    let product = app.new_product_id(&token).await;
    let setup = app.log_lines().len();
    let events = [
        Event::load("health"),
        Event::load("register")
            .json_body(&json!({ "email": "m2@example.com", "password": "correct horse battery" })),
        Event::load("login")
            .json_body(&json!({ "email": "m2@example.com", "password": "correct horse battery" })),
        Event::load("list-sessions").bearer(&token),
        Event::load("end-session").bearer(&token),
        Event::load("jwks"),
        Event::load("profile").bearer(&token),
        Event::load("change-password").bearer(&token).json_body(
            &json!({ "currentPassword": "wrong password", "newPassword": "long enough now" }),
        ),
        Event::load("list-products"),
        Event::load("get-product").product_id(&product),
        Event::load("create-product")
            .bearer(&token)
            .json_body(&json!({ "name": "Lamp", "price": 10 })),
        Event::load("update-product")
            .product_id(&product)
            .bearer(&token)
            .json_body(&json!({ "name": "Lamp", "price": 11 })),
        Event::load("patch-product")
            .product_id(&product)
            .bearer(&token)
            .raw_body(r#"{"price":12}"#)
            .header("content-type", "application/merge-patch+json"),
        Event::load("create-image-upload")
            .images_of(&product)
            .bearer(&token)
            .json_body(&json!({ "contentType": "image/png", "size": 10 })),
        Event::load("complete-image")
            .image_of(&product, &product)
            .bearer(&token),
        Event::load("delete-image")
            .image_of(&product, &product)
            .bearer(&token),
        Event::load("delete-product")
            .product_id(&product)
            .bearer(&token),
        Event::load("forgot-password").json_body(&json!({ "email": "m2@example.com" })),
        Event::load("reset-password")
            .json_body(&json!({ "token": "A".repeat(43), "newPassword": "long enough now" })),
        Event::load("verify-email").json_body(&json!({ "token": "A".repeat(43) })),
        Event::load("resend-verification").bearer(&token),
        Event::load("update-profile")
            .bearer(&token)
            .raw_body(r#"{"name":"M"}"#)
            .header("content-type", "application/merge-patch+json"),
        Event::load("delete-account")
            .bearer(&token)
            .json_body(&json!({ "password": "not the password" })),
        Event::load("logout-all").bearer(&token),
        Event::load("logout").bearer(&token),
        Event::load("fallback"),
        Event::load("profile").header("host", "a b"),
    ];
    let mut statuses = Vec::new();
    for event in &events {
        statuses.push(app.invoke(event).await.status);
    }

    let lines = lines_of(&app);
    assert_eq!(lines.len(), setup + events.len(), "one line per request");
    let new = &lines[setup..];
    let routes: BTreeSet<&str> = new.iter().filter_map(|l| l["Route"].as_str()).collect();
    let mut expected: BTreeSet<String> = ROUTES.iter().map(|r| r.key.to_owned()).collect();
    expected.insert(FALLBACK.key.to_owned());
    assert_eq!(
        routes
            .iter()
            .map(|r| (*r).to_owned())
            .collect::<BTreeSet<_>>(),
        expected
    );
    for (line, status) in new.iter().zip(&statuses) {
        assert_eq!(line["status"], *status, "{line}");
        assert_eq!(line["Service"], "products-api");
        assert_eq!(
            line["ClientErrors"],
            u8::from((400..500).contains(status)),
            "{line}"
        );
        assert_eq!(line["ServerErrors"], u8::from(*status >= 500), "{line}");
        assert_eq!(line["Throttled"], u8::from(*status == 429), "{line}");
        assert_eq!(line["Unauthorized"], u8::from(*status == 401), "{line}");
    }
    let by_route = |route: &str| {
        new.iter()
            .find(|l| l["Route"] == route)
            .unwrap_or_else(|| panic!("a line for {route}"))
    };
    assert_eq!(by_route("GET /api/health")["StorageLatency"], 0.0);
    let read = by_route("GET /api/products/{id}");
    let storage = read["StorageLatency"].as_f64().expect("ms");
    assert!(storage > 0.0, "{read}");
    assert!(
        storage <= read["Latency"].as_f64().expect("ms") * 2.0,
        "{read}"
    );
    assert_eq!(by_route("PUT /api/profile/password")["Unauthorized"], 1);
}

#[tokio::test]
async fn namespace_and_service_come_from_configuration() {
    let app =
        TestApp::spawn_with(&[("METRICS_NAMESPACE", "Shop"), ("SERVICE_NAME", "shop-api")]).await;

    app.invoke(&Event::load("health")).await;

    let line = check_request_line(&app.log_lines()[0], "Shop");
    assert_eq!(line["Service"], "shop-api");
}

#[tokio::test]
async fn a_server_error_and_the_limit_are_counted_as_such() {
    let down = TestApp::unreachable_storage();
    let failed = down.invoke(&Event::load("list-products")).await;
    assert_eq!(failed.status, 503);
    let limited = TestApp::spawn_with(&[("RATE_LIMIT_REQUESTS", "1")]).await;
    limited.invoke(&Event::load("jwks")).await;
    assert_eq!(limited.invoke(&Event::load("jwks")).await.status, 429);

    let failure = &lines_of(&down)[0];
    assert_eq!(failure["ServerErrors"], 1);
    assert_eq!(failure["level"], "ERROR");
    assert!(
        failure["error"].is_string(),
        "the cause is logged: {failure}"
    );
    assert_eq!(lines_of(&limited)[1]["Throttled"], 1);
}

#[tokio::test]
async fn a_process_counts_its_cold_start_once_and_every_line_carries_its_trace() {
    let runtime = RuntimeApi::start().await.expect("runtime API");
    // Storage that refuses connections: the limiter cannot count, and logs a warning.
    let closed = api_tests::dynamodb_local::free_port();
    let mut process = lambda_process("jwks", &runtime.addr.to_string(), 128)
        .env("JWT_PUBLIC_KEYS", api_tests::app::public_key())
        .env(
            "AWS_ENDPOINT_URL_DYNAMODB",
            format!("http://127.0.0.1:{closed}"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("jwks starts");
    let stdout = process.stdout.take().expect("stdout");

    for _ in 0..3 {
        let outcome = runtime
            .invoke(Event::load("jwks").to_json())
            .await
            .expect("an answer");
        assert!(!outcome.error, "{}", outcome.body);
    }
    let _ = process.kill().await;

    let mut reader = tokio::io::BufReader::new(stdout).lines();
    let mut request_lines = Vec::new();
    let mut other_lines = Vec::new();
    while let Ok(Some(line)) = reader.next_line().await {
        let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value.get("_aws").is_some() {
            request_lines.push(check_request_line(&line, NAMESPACE));
        } else {
            other_lines.push(value);
        }
    }
    let cold: Vec<&Value> = request_lines.iter().map(|l| &l["ColdStart"]).collect();
    assert_eq!(cold, [1, 0, 0]);
    let traces: Vec<&str> = request_lines
        .iter()
        .map(|l| l["traceId"].as_str().expect("traceId"))
        .collect();
    assert_eq!(traces.len(), 3);
    assert_eq!(
        traces.iter().collect::<BTreeSet<_>>().len(),
        3,
        "{traces:?}"
    );
    assert!(
        traces.iter().all(|t| t.starts_with("Root=1-")),
        "{traces:?}"
    );
    assert!(!other_lines.is_empty(), "the limiter's warnings");
    for line in &other_lines {
        let trace = line["span"]["traceId"].as_str().unwrap_or_default();
        assert!(traces.contains(&trace), "{line}");
    }
}
