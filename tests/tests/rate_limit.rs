//! The per-client rate limit against DynamoDB Local: exact budgets under concurrency, the
//! headers, what is never counted, and the failure policy (a throttled counter, a failing one).

use std::time::Duration;

use api_tests::app::endpoint;
use api_tests::dynamodb_proxy::{self, Fault, INTERNAL_ERROR, THROTTLED};
use api_tests::{join_all, Event, TestApp, TestResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;

/// The address the limited requests come from; accounts are made from the sample events' own.
const CLIENT: &str = "198.51.100.9";

async fn spawn_limited(requests: u32, window_seconds: u32) -> TestApp {
    TestApp::spawn_with(&[
        ("RATE_LIMIT_REQUESTS", &requests.to_string()),
        ("RATE_LIMIT_WINDOW_SECONDS", &window_seconds.to_string()),
    ])
    .await
}

fn statuses(responses: &[TestResponse]) -> (usize, usize) {
    let limited = responses.iter().filter(|r| r.status == 429).count();
    (responses.len() - limited, limited)
}

fn list_from(ip: &str) -> Event {
    Event::load("list-products").source_ip(ip)
}

/// The window's count, as the limits table holds it.
async fn stored_count(app: &TestApp, ip: &str) -> Option<i64> {
    let items = app
        .state
        .dynamo
        .scan()
        .table_name(&app.state.config.tables.limits)
        .send()
        .await
        .expect("scan limits")
        .items
        .unwrap_or_default();
    let prefix = format!("rate#{ip}#");
    items
        .iter()
        .find_map(|item| match (item.get("key"), item.get("count")) {
            (Some(AttributeValue::S(key)), Some(AttributeValue::N(count)))
                if key.starts_with(&prefix) =>
            {
                count.parse().ok()
            }
            _ => None,
        })
}

/// How many products the products table holds.
async fn stored_products(app: &TestApp) -> i32 {
    app.state
        .dynamo
        .scan()
        .table_name(&app.state.config.tables.products)
        .send()
        .await
        .expect("scan products")
        .count
}

#[tokio::test]
async fn forty_gets_get_exactly_thirty_answers_and_ten_429s_with_their_headers() {
    let app = spawn_limited(30, 60).await;

    let mut responses = Vec::new();
    for _ in 0..40 {
        responses.push(app.invoke(&list_from(CLIENT)).await);
    }

    assert_eq!(statuses(&responses), (30, 10));
    for (i, response) in responses.iter().enumerate() {
        assert_eq!(response.header("ratelimit-policy"), Some("30;w=60"), "{i}");
        let state = response.header("ratelimit").expect("RateLimit");
        let remaining = 29_usize.saturating_sub(i);
        assert!(
            state.starts_with(&format!("limit=30, remaining={remaining}, reset=")),
            "{i}: {state}"
        );
        let reset: u64 = state
            .rsplit('=')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("reset");
        assert!((1..=60).contains(&reset), "{state}");
        if i < 30 {
            assert_eq!(response.status, 200, "{i}");
        } else {
            assert_eq!(response.status, 429, "{i}");
            assert_eq!(
                response.header("content-type"),
                Some("application/problem+json")
            );
            let retry: u64 = response
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("Retry-After");
            assert!((1..=60).contains(&retry), "{retry}");
            assert_eq!(retry, reset);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn sixty_concurrent_requests_across_functions_count_exactly_the_budget() {
    let app = spawn_limited(25, 900).await;
    let token = app.user_token("budget@example.com").await;
    let product = app.new_product_id(&token).await;
    let events: Vec<Event> = (0..60)
        .map(|i| {
            let event = match i % 6 {
                0 => Event::load("list-products"),
                1 => Event::load("get-product").product_id(&product),
                2 => Event::load("create-product")
                    .bearer(&token)
                    .json_body(&json!({ "name": "Lamp", "price": 10 })),
                3 => Event::load("profile").bearer(&token),
                4 => Event::load("jwks"),
                _ => Event::load("fallback"),
            };
            event.source_ip(CLIENT)
        })
        .collect();

    let responses = join_all(events.iter().map(|event| app.invoke(event))).await;

    assert_eq!(statuses(&responses), (25, 35));
    assert_eq!(
        stored_count(&app, CLIENT).await,
        Some(60),
        "none lost, none extra"
    );
}

#[tokio::test]
async fn a_write_over_the_budget_never_reaches_the_products_table() {
    let app = spawn_limited(4, 900).await;
    let token = app.user_token("writer@example.com").await;
    let create = Event::load("create-product")
        .bearer(&token)
        .source_ip(CLIENT)
        .json_body(&json!({ "name": "Lamp", "price": 10 }));

    let mut responses = Vec::new();
    for _ in 0..6 {
        responses.push(app.invoke(&create).await);
    }

    let codes: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(codes, [201, 201, 201, 201, 429, 429]);
    assert_eq!(stored_products(&app).await, 4);
}

#[tokio::test]
async fn preflights_and_health_are_never_limited() {
    let app = spawn_limited(1, 900).await;

    for _ in 0..3 {
        let health = app.invoke(&Event::load("health").source_ip(CLIENT)).await;
        assert_eq!(health.status, 200);
        assert!(health.header("ratelimit").is_none());
        let preflight = app
            .invoke(&Event::load("preflight").source_ip(CLIENT))
            .await;
        assert_eq!(preflight.status, 204);
        assert!(preflight.header("ratelimit").is_none());
    }
    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 200);
    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 429);
}

#[tokio::test]
async fn a_new_window_starts_afresh() {
    let app = spawn_limited(1, 60).await;
    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 200);
    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 429);

    app.clock().advance(Duration::from_secs(60));

    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 200);
}

#[tokio::test]
async fn clients_are_ipv4_addresses_and_ipv6_slash_64s() {
    let app = spawn_limited(1, 900).await;

    assert_eq!(app.invoke(&list_from("2001:db8::1")).await.status, 200);
    assert_eq!(app.invoke(&list_from("2001:db8::2")).await.status, 429);
    assert_eq!(app.invoke(&list_from("2001:db8:0:1::1")).await.status, 200);
    assert_eq!(app.invoke(&list_from("192.0.2.1")).await.status, 200);
    assert_eq!(app.invoke(&list_from("192.0.2.2")).await.status, 200);
}

#[tokio::test]
async fn turned_off_nothing_is_counted_and_no_headers_are_sent() {
    let app = spawn_limited(0, 900).await;
    for _ in 0..5 {
        let response = app.invoke(&list_from(CLIENT)).await;
        assert_eq!(response.status, 200);
        assert!(response.header("ratelimit").is_none());
    }
    assert_eq!(stored_count(&app, CLIENT).await, None);
}

/// An app whose DynamoDB answers the limiter's counter writes with `fault`.
async fn app_with_counter_fault(fault: Fault) -> TestApp {
    let proxy = dynamodb_proxy::start(endpoint(), fault)
        .await
        .expect("proxy starts");
    TestApp::spawn_on(
        &format!("http://{proxy}"),
        &[("RATE_LIMIT_REQUESTS", "100")],
    )
    .await
}

#[tokio::test]
async fn a_throttled_counter_means_the_client_is_over_its_budget() {
    let app = app_with_counter_fault(THROTTLED).await;
    let token = {
        let off = app.with_config(&[("RATE_LIMIT_REQUESTS", "0")]);
        off.user_token("hammer@example.com").await
    };

    let read = app.invoke(&list_from(CLIENT)).await;
    let write = app
        .invoke(
            &Event::load("create-product")
                .bearer(&token)
                .source_ip(CLIENT)
                .json_body(&json!({ "name": "Lamp", "price": 10 })),
        )
        .await;

    assert_eq!(read.status, 429);
    assert!(read.header("retry-after").is_some());
    assert_eq!(
        read.header("ratelimit").map(|v| v.contains("remaining=0")),
        Some(true)
    );
    assert_eq!(write.status, 429);
    assert_eq!(
        stored_products(&app).await,
        0,
        "nothing of the write was performed"
    );
}

#[tokio::test]
async fn a_failing_counter_lets_a_read_that_succeeds_be_served() {
    let app = app_with_counter_fault(INTERNAL_ERROR).await;

    let read = app.invoke(&list_from(CLIENT)).await;

    assert_eq!(read.status, 200);
    assert!(read.header("ratelimit").is_none(), "no count, no headers");
}
