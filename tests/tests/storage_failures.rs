//! When DynamoDB is unreachable the functions answer 503 with `Retry-After`, inside their
//! timeout, and recover by themselves when it is back.

use std::time::{Duration, Instant};

use api_tests::dynamodb_local::LocalDynamo;
use api_tests::{Event, TestApp, TestResponse};
use serde_json::json;

/// The shortest function timeout in template.yaml: an answer must come well inside it.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

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
    let product = json!({ "name": "Lamp", "price": 1 });

    let cases = [
        (
            "register",
            timed(app.register("down@example.com", "correct horse battery")).await,
        ),
        (
            "login",
            timed(app.login("down@example.com", "correct horse battery")).await,
        ),
        (
            "profile",
            timed(app.invoke(&Event::load("profile").bearer(&token))).await,
        ),
        ("list", timed(app.list_products("")).await),
        ("get", timed(app.get_product(id)).await),
        ("create", timed(app.create_product(&token, &product)).await),
        (
            "update",
            timed(
                app.invoke(
                    &Event::load("update-product")
                        .product_id(id)
                        .bearer(&token)
                        .json_body(&product),
                ),
            )
            .await,
        ),
        (
            "delete",
            timed(app.invoke(&Event::load("delete-product").product_id(id).bearer(&token))).await,
        ),
    ];
    for (what, (response, took)) in &cases {
        assert_unavailable(response, what);
        assert!(*took < FUNCTION_TIMEOUT / 2, "{what} took {took:?}");
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
