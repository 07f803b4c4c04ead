//! Writes a client can retry and narrow: `Idempotency-Key` on create (replays, other bodies,
//! races across instances, expiry, leases) and `PATCH` with JSON Merge Patch, against DynamoDB
//! Local through the real handlers.

use std::time::Duration;

use api_tests::app::endpoint;
use api_tests::dynamodb_proxy::{self, CounterWrites, INTERNAL_ERROR};
use api_tests::{join_all, Event, TestApp, TestResponse};
use serde_json::{json, Value};
use shared::domain::idempotency::{fingerprint, IdempotencyKey};
use shared::store::idempotency::{self, Start};

const LAMP: &str = r#"{"name":"Desk lamp","price":29.9,"category":"lighting"}"#;

fn keyed_create(token: &str, key: &str, body: &str) -> Event {
    Event::load("create-product")
        .bearer(token)
        .header("idempotency-key", key)
        .raw_body(body)
}

/// How many products the owner of `token` has, by the listing.
async fn products_listed(app: &TestApp) -> usize {
    app.list_products("limit=100").await.json()["data"]
        .as_array()
        .expect("data")
        .len()
}

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_gets_the_first_answer_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let token = app.user_token("retry@example.com").await;

    let first = app.invoke(&keyed_create(&token, "order-42", LAMP)).await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    assert_eq!(first.header("idempotent-replayed"), None);
    // The draft's quoted form is the same key.
    let again = app
        .invoke(&keyed_create(&token, "\"order-42\"", LAMP))
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body, "the same body, byte for byte");
    for header in ["location", "etag", "content-type", "cache-control"] {
        assert_eq!(again.header(header), first.header(header), "{header}");
    }
    assert_eq!(products_listed(&app).await, 1);

    let other_body = r#"{"name":"Desk lamp","price":19.9}"#;
    let refused = app
        .invoke(&keyed_create(&token, "order-42", other_body))
        .await;
    assert_eq!(refused.status, 422, "{:?}", refused.json());
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(products_listed(&app).await, 1);

    // Without a key, or with another, a create is a create.
    let unkeyed = Event::load("create-product").bearer(&token).raw_body(LAMP);
    assert_eq!(app.invoke(&unkeyed).await.status, 201);
    let fresh = app.invoke(&keyed_create(&token, "order-43", LAMP)).await;
    assert_eq!(fresh.status, 201);
    assert_eq!(fresh.header("idempotent-replayed"), None);
    assert_eq!(products_listed(&app).await, 3);
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = TestApp::spawn().await;
    let ada = app.user_token("ada@example.com").await;
    let bob = app.user_token("bob@example.com").await;
    let for_ada = app.invoke(&keyed_create(&ada, "shared-key", LAMP)).await;
    let for_bob = app.invoke(&keyed_create(&bob, "shared-key", LAMP)).await;
    assert_eq!((for_ada.status, for_bob.status), (201, 201));
    assert_eq!(for_bob.header("idempotent-replayed"), None);
    assert_ne!(for_ada.json()["data"]["id"], for_bob.json()["data"]["id"]);
    assert_eq!(products_listed(&app).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_identical_keyed_creates_at_once_on_four_instances_make_one_product() {
    let app = TestApp::spawn().await;
    let token = app.user_token("race@example.com").await;
    let instances: Vec<TestApp> = (0..4).map(|_| app.with_config(&[])).collect();
    let event = keyed_create(&token, "tap-twice", LAMP);

    let answers: Vec<TestResponse> =
        join_all((0..8).map(|i| instances[i % instances.len()].invoke(&event))).await;

    let created: Vec<&TestResponse> = answers.iter().filter(|a| a.status == 201).collect();
    let originals = created
        .iter()
        .filter(|a| a.header("idempotent-replayed").is_none())
        .count();
    assert_eq!(originals, 1, "one request did the work");
    for answer in &answers {
        match answer.status {
            201 => assert_eq!(answer.body, created[0].body),
            409 => {
                let retry: u64 = answer
                    .header("retry-after")
                    .and_then(|r| r.parse().ok())
                    .expect("Retry-After");
                assert!(retry >= 1);
            }
            other => panic!("{other}: {:?}", answer.json()),
        }
    }
    assert_eq!(products_listed(&app).await, 1);
    // Once the first is done, every retry is its replay.
    let later = app.invoke(&event).await;
    assert_eq!(later.status, 201);
    assert_eq!(later.header("idempotent-replayed"), Some("true"));
    assert_eq!(later.body, created[0].body);
}

#[tokio::test]
async fn answers_decided_before_the_work_are_not_kept() {
    let app = TestApp::spawn().await;
    let token = app.user_token("early@example.com").await;

    let invalid = app
        .invoke(&keyed_create(&token, "k1", r#"{"name":"","price":-1}"#))
        .await;
    assert_eq!(invalid.status, 400);
    let wrong_type = keyed_create(&token, "k1", LAMP).header("content-type", "text/plain");
    assert_eq!(app.invoke(&wrong_type).await.status, 415);
    let anonymous = keyed_create(&token, "k1", LAMP).without_header("authorization");
    assert_eq!(app.invoke(&anonymous).await.status, 401);

    // The key is still free for the request that does the work.
    let done = app.invoke(&keyed_create(&token, "k1", LAMP)).await;
    assert_eq!(done.status, 201, "{:?}", done.json());
    assert_eq!(done.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn a_malformed_key_is_refused() {
    let app = TestApp::spawn().await;
    let token = app.user_token("keys@example.com").await;
    let long = "k".repeat(256);
    for key in ["", "\"\"", "\"unterminated", long.as_str(), "caf\u{e9}"] {
        let refused = app.invoke(&keyed_create(&token, key, LAMP)).await;
        assert_eq!(refused.status, 400, "{key:?}");
        assert!(
            refused.json()["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Idempotency-Key")),
            "{:?}",
            refused.json()
        );
    }
    let longest = "k".repeat(255);
    let taken = app.invoke(&keyed_create(&token, &longest, LAMP)).await;
    assert_eq!(taken.status, 201);
    assert_eq!(products_listed(&app).await, 1);
}

#[tokio::test]
async fn a_running_request_holds_its_key_until_its_lease_ends_and_records_last_a_day() {
    let app = TestApp::spawn().await;
    let token = app.user_token("lease@example.com").await;
    let owner = app
        .invoke(&Event::load("profile").bearer(&token))
        .await
        .json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let owner = shared::domain::Id::parse(&owner).expect("id");

    // A first request started and then died without finishing (its instance was lost).
    let key = IdempotencyKey::parse(b"crashed").expect("key");
    let now = app.clock().now();
    let lease = shared::Timestamp::from_millis(now.millis() + 10_000);
    let started = idempotency::start(
        app.state.idempotency(),
        &key.record_id(&owner),
        &fingerprint(LAMP.as_bytes()),
        now,
        lease,
    )
    .await
    .expect("start");
    assert!(matches!(started, Start::Started { .. }));

    let waiting = app.invoke(&keyed_create(&token, "crashed", LAMP)).await;
    assert_eq!(waiting.status, 409, "{:?}", waiting.json());
    assert_eq!(waiting.header("retry-after"), Some("10"));
    assert_eq!(
        app.invoke(&keyed_create(
            &token,
            "crashed",
            r#"{"name":"Other","price":1}"#
        ))
        .await
        .status,
        422,
        "another body is refused even while the first runs"
    );

    // Once its lease is over, it cannot be running: a retry takes the key over and does the work.
    app.clock().advance(Duration::from_secs(11));
    let retried = app.invoke(&keyed_create(&token, "crashed", LAMP)).await;
    assert_eq!(retried.status, 201, "{:?}", retried.json());
    assert_eq!(retried.header("idempotent-replayed"), None);
    assert_eq!(products_listed(&app).await, 1);

    // A day later the record no longer counts: the key creates again (with a session of the
    // day: tokens do not last that long).
    let fresh_token = || async {
        let login = app
            .login("lease@example.com", "correct horse battery")
            .await;
        login.json()["token"].as_str().expect("token").to_owned()
    };
    app.clock().advance(Duration::from_secs(23 * 3600));
    let token = fresh_token().await;
    let replayed = app.invoke(&keyed_create(&token, "crashed", LAMP)).await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    app.clock().advance(Duration::from_secs(3600));
    let token = fresh_token().await;
    let anew = app.invoke(&keyed_create(&token, "crashed", LAMP)).await;
    assert_eq!(anew.status, 201);
    assert_eq!(anew.header("idempotent-replayed"), None);
    assert_ne!(anew.json()["data"]["id"], retried.json()["data"]["id"]);
    assert_eq!(products_listed(&app).await, 2);
}

#[tokio::test]
async fn a_create_whose_write_fails_gives_its_key_back_for_an_immediate_retry() {
    let app = TestApp::spawn().await;
    let token = app.user_token("flaky@example.com").await;
    let proxy = dynamodb_proxy::start_with(
        endpoint(),
        CounterWrites::Pass,
        CounterWrites::Fail(INTERNAL_ERROR),
    )
    .await
    .expect("the stand-in starts");
    let failing = app.with_storage_at(&proxy.endpoint());

    let failed = failing.invoke(&keyed_create(&token, "flaky", LAMP)).await;
    let retried = app.invoke(&keyed_create(&token, "flaky", LAMP)).await;

    assert_eq!(failed.status, 503, "{:?}", failed.json());
    assert_eq!(
        retried.status,
        201,
        "the key was given back: {:?}",
        retried.json()
    );
    assert_eq!(retried.header("idempotent-replayed"), None);
    assert_eq!(products_listed(&app).await, 1);
}

#[tokio::test]
async fn a_create_that_outlived_its_lease_answers_with_the_attempt_that_took_over() {
    let app = TestApp::spawn().await;
    let token = app.user_token("outlived@example.com").await;
    let proxy = dynamodb_proxy::start_with(endpoint(), CounterWrites::Pass, CounterWrites::Held)
        .await
        .expect("the stand-in starts");
    let slow = app.with_storage_at(&proxy.endpoint());
    let event = keyed_create(&token, "slow", LAMP);

    let (late, taken) = tokio::join!(slow.invoke(&event), async {
        // The slow attempt's write waits in the stand-in; its lease runs out meanwhile, and a
        // retry takes the key over and does the work.
        while !proxy
            .calls()
            .iter()
            .any(|call| call == "TransactWriteItems")
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        app.clock().advance(Duration::from_secs(31));
        let taken = app.invoke(&event).await;
        proxy.release_counters();
        taken
    });

    assert_eq!(taken.status, 201, "{:?}", taken.json());
    assert_eq!(taken.header("idempotent-replayed"), None);
    assert_eq!(late.status, 201, "{:?}", late.json());
    assert_eq!(late.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        late.body, taken.body,
        "the late attempt answers with the work that was done"
    );
    assert_eq!(products_listed(&app).await, 1);
}

fn patch(token: &str, id: &str, body: &str) -> Event {
    Event::load("patch-product")
        .product_id(id)
        .bearer(token)
        .header("content-type", "application/merge-patch+json")
        .raw_body(body)
}

async fn lamp(app: &TestApp, token: &str) -> Value {
    let created = app
        .create_product(
            token,
            &json!({ "name": "Desk lamp", "price": 29.9, "description": "Warm", "category": "lighting" }),
        )
        .await;
    assert_eq!(created.status, 201);
    created.json()["data"].clone()
}

#[tokio::test]
async fn a_patch_changes_only_what_it_gives_and_bumps_the_version() {
    let app = TestApp::spawn().await;
    let token = app.user_token("patch@example.com").await;
    let before = lamp(&app, &token).await;
    let id = before["id"].as_str().expect("id");

    let priced = app.invoke(&patch(&token, id, r#"{"price": 12.5}"#)).await;
    assert_eq!(priced.status, 200, "{:?}", priced.json());
    let after = priced.json()["data"].clone();
    assert_eq!(after["price"], json!(12.5));
    assert_eq!(after["version"], json!(2));
    for kept in ["name", "description", "category", "createdAt", "ownerId"] {
        assert_eq!(after[kept], before[kept], "{kept}");
    }
    let etag = shared::domain::product::etag_for(&shared::domain::Id::parse(id).expect("id"), 2);
    assert_eq!(priced.header("etag"), Some(etag.as_str()));
    assert_eq!(app.get_product(id).await.json()["data"], after);

    let total = |query: &'static str| {
        let app = &app;
        async move {
            app.list_products(&format!("{query}&include=total"))
                .await
                .json()["total"]
                .clone()
        }
    };
    assert_eq!(total("category=lighting").await, json!(1));
    let uncategorised = app
        .invoke(&patch(&token, id, r#"{"category": null}"#))
        .await;
    assert_eq!(uncategorised.status, 200);
    assert_eq!(uncategorised.json()["data"]["category"], Value::Null);
    assert_eq!(uncategorised.json()["data"]["description"], json!("Warm"));
    assert_eq!(uncategorised.json()["data"]["version"], json!(3));
    assert_eq!(total("category=lighting").await, json!(0));
    assert_eq!(total("limit=1").await, json!(1));

    let renamed = app
        .invoke(&patch(
            &token,
            id,
            r#"{"name": "Reading light", "description": null}"#,
        ))
        .await;
    assert_eq!(renamed.json()["data"]["description"], Value::Null);
    let found = app.list_products("q=reading").await.json();
    assert_eq!(found["data"][0]["id"], json!(id), "the word index follows");
    assert_eq!(app.list_products("q=desk").await.json()["data"], json!([]));
}

#[tokio::test]
async fn a_patch_that_breaks_the_rules_is_refused_with_its_fields() {
    let app = TestApp::spawn().await;
    let token = app.user_token("rules@example.com").await;
    let product = lamp(&app, &token).await;
    let id = product["id"].as_str().expect("id");

    for (body, fields) in [
        (r#"{"name": null}"#, vec!["name"]),
        (r#"{"price": null, "name": "  "}"#, vec!["name", "price"]),
        (r#"{"price": 1.234}"#, vec!["price"]),
        (r#"{"category": "Not Valid"}"#, vec!["category"]),
    ] {
        let refused = app.invoke(&patch(&token, id, body)).await;
        assert_eq!(refused.status, 400, "{body}");
        let mut got = refused.error_fields();
        got.sort();
        assert_eq!(got, fields, "{body}");
    }
    for body in [
        r#"{"colour": "red"}"#,
        r#"{"version": 9}"#,
        "[1]",
        "\"x\"",
        "{",
    ] {
        let refused = app.invoke(&patch(&token, id, body)).await;
        assert_eq!(refused.status, 400, "{body}: {:?}", refused.json());
    }
    for media in ["text/plain", "application/json"] {
        let event = patch(&token, id, r#"{"price": 1}"#).header("content-type", media);
        let refused = app.invoke(&event).await;
        assert_eq!(refused.status, 415, "{media}");
        assert_eq!(
            refused.header("accept-patch"),
            Some("application/merge-patch+json")
        );
    }
    let unchanged = app.get_product(id).await.json()["data"].clone();
    assert_eq!(unchanged, product, "nothing was written");
}

#[tokio::test]
async fn a_patch_honours_if_match_and_the_owner() {
    let app = TestApp::spawn().await;
    let token = app.user_token("owner@example.com").await;
    let other = app.user_token("other@example.com").await;
    let product = lamp(&app, &token).await;
    let id = product["id"].as_str().expect("id");
    let first_tag =
        shared::domain::product::etag_for(&shared::domain::Id::parse(id).expect("id"), 1);

    let current = patch(&token, id, r#"{"price": 5}"#).header("if-match", &first_tag);
    assert_eq!(app.invoke(&current).await.status, 200);
    let stale = patch(&token, id, r#"{"price": 6}"#).header("if-match", &first_tag);
    assert_eq!(app.invoke(&stale).await.status, 412);
    assert_eq!(
        app.invoke(&patch(&other, id, r#"{"price": 7}"#))
            .await
            .status,
        403
    );
    let anonymous = patch(&token, id, r#"{"price": 8}"#).without_header("authorization");
    assert_eq!(app.invoke(&anonymous).await.status, 401);
    assert_eq!(
        app.invoke(&patch(
            &token,
            "01JDQ4ZK8X9T6S2V3M5N7P8Q9R",
            r#"{"price": 9}"#
        ))
        .await
        .status,
        404
    );
    let stored = app.get_product(id).await.json()["data"].clone();
    assert_eq!(
        (stored["price"].clone(), stored["version"].clone()),
        (json!(5.0), json!(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_of_different_fields_both_land() {
    let app = TestApp::spawn().await;
    let token = app.user_token("merge@example.com").await;
    let product = lamp(&app, &token).await;
    let id = product["id"].as_str().expect("id");
    let price = patch(&token, id, r#"{"price": 3}"#);
    let name = patch(&token, id, r#"{"name": "Lamp two"}"#);
    let answers = join_all([app.invoke(&price), app.invoke(&name)].into_iter()).await;
    assert!(answers.iter().all(|a| a.status == 200));
    let stored = app.get_product(id).await.json()["data"].clone();
    assert_eq!(stored["price"], json!(3.0));
    assert_eq!(stored["name"], json!("Lamp two"));
    assert_eq!(
        stored["version"],
        json!(3),
        "each applied to the version it read"
    );
}
