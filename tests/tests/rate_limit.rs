//! The per-client rate limit against DynamoDB Local: reads answered before their counter lands
//! and refused from what the instance knows, writes exact under concurrency, several instances
//! sharing one budget, the headers, what is never counted, and the failure policy (a throttled
//! counter, a failing one, a held one).

use std::time::Duration;

use api_tests::app::endpoint;
use api_tests::dynamodb_proxy::{self, CounterWrites, Proxy, INTERNAL_ERROR, THROTTLED};
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
        .table_name(
            app.state
                .config
                .tables
                .get(shared::tables::TableName::Limits),
        )
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

/// The products stored (the table's counter items of the totals and search entries aside).
async fn stored_products(app: &TestApp) -> i32 {
    let items = api_tests::catalogue::items_with(app, "ownerId").await;
    let products = items.iter().filter(|item| !item.contains_key("productId"));
    i32::try_from(products.count()).expect("a count")
}

/// `instances` instances of one deployment (each its own memory of the counters), all on
/// `app`'s tables.
fn instances(app: &TestApp, instances: usize) -> Vec<TestApp> {
    (0..instances).map(|_| app.with_config(&[])).collect()
}

/// Each instance answers `per_instance` copies of `event` one after another, as Lambda hands an
/// instance one event at a time; the instances run at once.
async fn run_on_instances(
    instances: &[TestApp],
    event: &Event,
    per_instance: usize,
) -> Vec<TestResponse> {
    async fn serial(instance: &TestApp, event: &Event, times: usize) -> Vec<TestResponse> {
        let mut responses = Vec::new();
        for _ in 0..times {
            responses.push(instance.invoke(event).await);
        }
        responses
    }
    join_all(
        instances
            .iter()
            .map(|instance| serial(instance, event, per_instance)),
    )
    .await
    .into_iter()
    .flatten()
    .collect()
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

#[tokio::test]
async fn after_two_auth_calls_forty_serial_reads_get_twenty_eight_answers() {
    let app = spawn_limited(30, 60).await;
    let credentials = json!({ "email": "reader@example.com", "password": "correct horse battery" });
    let register = Event::load("register")
        .source_ip(CLIENT)
        .json_body(&credentials);
    let login = Event::load("login")
        .source_ip(CLIENT)
        .json_body(&credentials);
    assert_eq!(app.invoke(&register).await.status, 201);
    assert_eq!(app.invoke(&login).await.status, 200);

    let mut responses = Vec::new();
    for _ in 0..40 {
        responses.push(app.invoke(&list_from(CLIENT)).await);
    }

    assert_eq!(statuses(&responses), (28, 12));
    assert!(responses[..28].iter().all(|r| r.status == 200));
    let last_served = responses[27].header("ratelimit").expect("RateLimit");
    assert!(
        last_served.starts_with("limit=30, remaining=0, "),
        "{last_served}"
    );
    for refused in &responses[28..] {
        assert_eq!(refused.status, 429);
        assert!(refused.header("retry-after").is_some());
    }
    assert_eq!(
        stored_count(&app, CLIENT).await,
        Some(30),
        "every served request counted"
    );
}

#[tokio::test]
async fn a_read_is_answered_while_its_counter_is_held_and_counted_after_its_response() {
    let (app, proxy) = app_behind(CounterWrites::Held, 30).await;

    // The counter's write is held at the stand-in: the response comes all the same.
    let (response, after) = app.answer(&list_from(CLIENT)).await;

    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("ratelimit-policy"),
        Some("30;w=900"),
        "what the instance knows: this read is its client's first"
    );
    assert!(response
        .header("ratelimit")
        .is_some_and(|value| value.starts_with("limit=30, remaining=29, ")));
    assert_eq!(stored_count(&app, CLIENT).await, None, "not counted yet");

    proxy.release_counters();
    after.finish().await;
    assert_eq!(
        stored_count(&app, CLIENT).await,
        Some(1),
        "counted after the response"
    );
}

#[tokio::test]
async fn a_counter_held_past_its_bound_lets_the_instance_go() {
    let (app, _proxy) = app_behind(CounterWrites::Held, 30).await;

    let (response, after) = app.answer(&list_from(CLIENT)).await;
    let finished = tokio::time::timeout(Duration::from_secs(10), after.finish()).await;

    assert_eq!(response.status, 200);
    assert!(finished.is_ok(), "the after-response work is bounded");
    // The instance learnt nothing, so it goes on serving.
    assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 200);
}

#[tokio::test]
async fn once_the_budget_is_known_spent_reads_are_refused_without_touching_storage() {
    let (app, proxy) = app_behind(CounterWrites::Pass, 3).await;
    for _ in 0..3 {
        assert_eq!(app.invoke(&list_from(CLIENT)).await.status, 200);
    }
    let calls_before = proxy.calls().len();

    let refused = app.invoke(&list_from(CLIENT)).await;
    let product = app
        .invoke(
            &Event::load("get-product")
                .product_id("01JDQ4ZK8X9T6S2V3M5N7P8Q9R")
                .source_ip(CLIENT),
        )
        .await;

    assert_eq!(refused.status, 429);
    assert_eq!(product.status, 429);
    assert_eq!(
        proxy.calls()[calls_before..],
        [] as [String; 0],
        "no storage call for a client known to be over its budget"
    );
    assert!(refused
        .header("ratelimit")
        .is_some_and(|value| value.starts_with("limit=3, remaining=0, ")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_reads_across_ten_instances_serve_at_most_one_extra_each_and_count_every_one() {
    let app = spawn_limited(30, 900).await;
    let instances = instances(&app, 10);

    let responses = run_on_instances(&instances, &list_from(CLIENT), 6).await;

    let (served, limited) = statuses(&responses);
    assert!(
        (30..=40).contains(&served),
        "{served} served, {limited} refused"
    );
    assert!(responses.iter().all(|r| r.status == 200 || r.status == 429));
    assert_eq!(
        stored_count(&app, CLIENT).await,
        Some(i64::try_from(served).expect("count")),
        "every served read counted, none lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_writes_across_ten_instances_create_exactly_the_budget() {
    let app = spawn_limited(30, 900).await;
    // The account is made from another address: only the creates count against CLIENT.
    let token = app.user_token("writers@example.com").await;
    let instances = instances(&app, 10);
    let create = Event::load("create-product")
        .bearer(&token)
        .source_ip(CLIENT)
        .json_body(&json!({ "name": "Lamp", "price": 10 }));

    let responses = run_on_instances(&instances, &create, 6).await;

    assert_eq!(statuses(&responses), (30, 30));
    assert!(responses.iter().all(|r| r.status == 201 || r.status == 429));
    assert_eq!(stored_products(&app).await, 30);
    assert_eq!(stored_count(&app, CLIENT).await, Some(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_to_one_instance_are_exact_too() {
    let app = spawn_limited(25, 900).await;
    let token = app.user_token("burst@example.com").await;
    let create = Event::load("create-product")
        .bearer(&token)
        .source_ip(CLIENT)
        .json_body(&json!({ "name": "Lamp", "price": 10 }));

    let responses = join_all((0..40).map(|_| app.invoke(&create))).await;

    assert_eq!(statuses(&responses), (25, 15));
    assert_eq!(stored_products(&app).await, 25);
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

/// An app on the stand-in for DynamoDB that does `counters` with the limiter's counter writes,
/// with a budget of `requests`; and the stand-in.
async fn app_behind(counters: CounterWrites, requests: u32) -> (TestApp, Proxy) {
    let proxy = dynamodb_proxy::start(endpoint(), counters)
        .await
        .expect("proxy starts");
    let budget = requests.to_string();
    let app = TestApp::spawn_on(&proxy.endpoint(), &[("RATE_LIMIT_REQUESTS", &budget)]).await;
    (app, proxy)
}

#[tokio::test]
async fn a_throttled_counter_means_the_client_is_over_its_budget() {
    let (app, proxy) = app_behind(CounterWrites::Fail(THROTTLED), 100).await;
    let token = {
        let off = app.with_config(&[("RATE_LIMIT_REQUESTS", "0")]);
        off.user_token("hammer@example.com").await
    };
    let create = Event::load("create-product")
        .bearer(&token)
        .source_ip(CLIENT)
        .json_body(&json!({ "name": "Lamp", "price": 10 }));
    let fresh = app.with_config(&[]);

    // A read is decided before its counter answers; the throttled answer spends the budget.
    let first = app.invoke(&list_from(CLIENT)).await;
    let calls_before = proxy.calls().len();
    let second = app.invoke(&list_from(CLIENT)).await;
    let calls_after = proxy.calls().len();
    // A write is counted first: throttled, it is refused, by an instance that knew nothing.
    let write = fresh.invoke(&create).await;

    assert_eq!(first.status, 200);
    assert_eq!(second.status, 429);
    assert_eq!(
        calls_after, calls_before,
        "the refused read touched no storage"
    );
    assert!(second.header("retry-after").is_some());
    assert_eq!(
        second
            .header("ratelimit")
            .map(|v| v.contains("remaining=0")),
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
async fn a_failing_counter_lets_requests_that_succeed_be_served() {
    let (app, _proxy) = app_behind(CounterWrites::Fail(INTERNAL_ERROR), 100).await;
    let token = {
        let off = app.with_config(&[("RATE_LIMIT_REQUESTS", "0")]);
        off.user_token("unlucky@example.com").await
    };

    let read = app.invoke(&list_from(CLIENT)).await;
    let again = app.invoke(&list_from(CLIENT)).await;
    let write = app
        .invoke(
            &Event::load("create-product")
                .bearer(&token)
                .source_ip(CLIENT)
                .json_body(&json!({ "name": "Lamp", "price": 10 })),
        )
        .await;

    assert_eq!(read.status, 200);
    assert_eq!(
        again.status, 200,
        "a failed count teaches the instance nothing"
    );
    assert_eq!(write.status, 201);
    assert!(write.header("ratelimit").is_none(), "no count, no headers");
}

#[tokio::test]
async fn neither_host_nor_scheme_headers_let_a_request_escape_its_budget() {
    let app = spawn_limited(2, 900).await;
    let disguised = |host: &str, proto: &str| {
        list_from(CLIENT)
            .header("host", host)
            .header("x-forwarded-proto", proto)
    };

    let responses = [
        app.invoke(&disguised("api.example/x", "https")).await,
        app.invoke(&disguised("api.example", "https:x")).await,
        app.invoke(&disguised("api.example/x", "https:x")).await,
        app.invoke(
            &Event::load("fallback")
                .source_ip(CLIENT)
                .header("host", "x/y"),
        )
        .await,
    ];

    let codes: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(codes, [200, 200, 429, 429]);
}
