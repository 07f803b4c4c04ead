//! When DynamoDB is unreachable or hung the functions answer 503 with `Retry-After` within 5 s
//! of the request's arrival (one deadline for all of a request's storage calls), and recover by
//! themselves when it is back.

use std::time::{Duration, Instant};

use api_tests::dynamodb_local::LocalDynamo;
use api_tests::every_route;
use api_tests::{Event, TestApp, TestResponse};
use serde_json::json;

/// The shortest function timeout in template.yaml: an answer must come well inside it.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

/// The contract's bound: a 503 within 5 s of the request's arrival, whatever the route.
const UNAVAILABLE_WITHIN: Duration = Duration::from_secs(5);

fn assert_unavailable(response: &TestResponse, what: &str) {
    assert_eq!(response.status, 503, "{what}");
    assert_eq!(
        response.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    let retry_after: u64 = response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: Retry-After in seconds"));
    assert!(retry_after >= 1, "{what}");
    let body = response.json();
    assert!(!body.to_string().contains("127.0.0.1"), "{what}: {body}");
    assert!(
        !body.to_string().to_lowercase().contains("dispatch"),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn every_storage_function_answers_503_when_dynamodb_is_unreachable() {
    let app = TestApp::unreachable_storage();
    let token = app.token_for_unstored_user();
    let id = "01JDQ4ZK8X9T6S2V3M5N7P8Q9R";
    let keyed =
        every_route::request_to("create-product", &token, id).header("idempotency-key", "down-1");
    let requests = shared::deploy::http_functions()
        .map(|route| (route, every_route::request_to(route.function, &token, id)))
        .chain(std::iter::once((
            &shared::deploy::CREATE_PRODUCT.route,
            keyed,
        )));

    for (route, event) in requests {
        let (response, took) = timed(app.invoke(&event)).await;
        if every_route::works_on_storage(route) {
            assert_unavailable(&response, route.key);
        } else {
            assert!(response.status < 500, "{}: {}", route.key, response.status);
        }
        assert!(took < FUNCTION_TIMEOUT / 2, "{} took {took:?}", route.key);
    }
}

/// Awaits a response and how long it took.
async fn timed(
    response: impl std::future::Future<Output = TestResponse>,
) -> (TestResponse, Duration) {
    let started = Instant::now();
    let response = response.await;
    (response, started.elapsed())
}

#[tokio::test]
async fn health_does_not_need_storage() {
    let app = TestApp::unreachable_storage();

    let response = app.invoke(&Event::load("health")).await;

    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn service_recovers_by_itself_when_dynamodb_comes_back() {
    let mut dynamo = LocalDynamo::start().await;
    let port = dynamo.port;
    let app = TestApp::spawn_on(&dynamo.endpoint(), &[]).await;
    let token = app.user_token("recover@example.com").await;
    let created = app
        .create_product(&token, &json!({ "name": "Lamp", "price": 1 }))
        .await;
    assert_eq!(created.status, 201);
    let id = created.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_eq!(app.get_product(&id).await.status, 200);

    dynamo.stop().await;
    assert_unavailable(&app.get_product(&id).await, "get while stopped");
    assert_unavailable(&app.list_products("").await, "list while stopped");

    // Back on the same port, in memory and so empty until its tables are made again. The app
    // keeps its client: the SDK reconnects by itself.
    let _dynamo = LocalDynamo::start_on(port).await;
    app.create_tables().await.expect("tables");
    let listed = app.list_products("").await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json()["data"], json!([]));
    let token = app.user_token("back@example.com").await;
    assert_eq!(
        app.create_product(&token, &json!({ "name": "Lamp", "price": 1 }))
            .await
            .status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_dynamodb_hung_every_storage_route_answers_503_within_five_seconds_and_recovers() {
    let dynamo = LocalDynamo::start().await;
    let app = TestApp::spawn_on(&dynamo.endpoint(), &[("RATE_LIMIT_REQUESTS", "1000")]).await;
    let token = app.user_token("hung@example.com").await;
    let id = app.new_product_id(&token).await;
    let keyed =
        every_route::request_to("create-product", &token, &id).header("idempotency-key", "hung-1");
    let events: Vec<(&str, Event)> = shared::deploy::http_functions()
        .filter(|route| every_route::works_on_storage(route))
        .map(|route| {
            (
                route.key,
                every_route::request_to(route.function, &token, &id),
            )
        })
        .chain(std::iter::once(("keyed create", keyed)))
        .collect();

    dynamo.freeze();
    // Each request on an instance of its own, all at once.
    let instances: Vec<TestApp> = events.iter().map(|_| app.with_config(&[])).collect();
    let answers = api_tests::join_all(events.iter().zip(&instances).map(
        |((what, event), instance)| async move {
            let started = Instant::now();
            let (response, after) = instance.answer(event).await;
            let took = started.elapsed();
            // The after-response work (a read's counter) is bounded too.
            let finished = tokio::time::timeout(FUNCTION_TIMEOUT, after.finish())
                .await
                .is_ok();
            (*what, response, took, finished)
        },
    ))
    .await;
    dynamo.thaw();

    for (what, response, took, finished) in &answers {
        assert_unavailable(response, what);
        assert!(*took < UNAVAILABLE_WITHIN, "{what} answered after {took:?}");
        assert!(finished, "{what}: the after-response work did not end");
    }
    // Requests the frozen store had already taken in may still land once it runs again (the
    // delete among them), so recovery is shown with a new product.
    let login = app.login("hung@example.com", "correct horse battery").await;
    assert_eq!(login.status, 200, "service resumes: {:?}", login.json());
    let fresh = app.new_product_id(&token).await;
    assert_eq!(app.get_product(&fresh).await.status, 200, "service resumes");
}
