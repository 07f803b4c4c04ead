//! Products CRUD against DynamoDB Local: validation, exact prices, pagination, caching headers,
//! ownership and optimistic concurrency.

use std::collections::HashSet;

use api_tests::{join_all, Event, TestApp, TestResponse};
use serde_json::{json, Value};

fn lamp() -> Value {
    json!({ "name": "Desk lamp", "price": 29.90, "description": "Warm white.", "category": "lighting" })
}

async fn update(
    app: &TestApp,
    token: &str,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
) -> TestResponse {
    let mut event = Event::load("update-product")
        .product_id(id)
        .bearer(token)
        .json_body(body);
    if let Some(etag) = if_match {
        event = event.header("if-match", etag);
    }
    app.invoke(&event).await
}

async fn delete(app: &TestApp, token: &str, id: &str, if_match: Option<&str>) -> TestResponse {
    let mut event = Event::load("delete-product").product_id(id).bearer(token);
    if let Some(etag) = if_match {
        event = event.header("if-match", etag);
    }
    app.invoke(&event).await
}

async fn created(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.create_product(token, body).await;
    assert_eq!(response.status, 201, "{:?}", response.json());
    response.json()["data"].clone()
}

fn id_of(product: &Value) -> String {
    product["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn create_returns_201_with_location_and_version_1() {
    let app = TestApp::spawn().await;
    let token = app.user_token("owner@example.com").await;
    let event = Event::load("create-product").bearer(&token);

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 201);
    let product = &response.json()["data"];
    let id = id_of(product);
    assert_eq!(
        response.header("location"),
        Some(format!("/api/products/{id}").as_str())
    );
    assert_eq!(
        response.header("etag"),
        Some(format!("\"{id}.1\"").as_str())
    );
    assert_eq!(product["version"], 1);
    assert_eq!(product["images"], json!([]), "a new product has no images");
    assert_eq!(product["name"], "Desk lamp");
    assert_eq!(product["category"], "lighting");
    assert_eq!(product["createdAt"], app.clock().now().to_string());
    assert_eq!(product["updatedAt"], product["createdAt"]);
    let profile = app.invoke(&Event::load("profile").bearer(&token)).await;
    assert_eq!(product["ownerId"], profile.json()["data"]["id"]);
}

#[tokio::test]
async fn create_without_a_token_is_401() {
    let app = TestApp::spawn().await;
    let event = Event::load("create-product");

    let response = app.invoke(&event).await;

    assert_eq!(response.status, 401);
}

#[tokio::test]
async fn prices_round_trip_exactly_through_storage() {
    let app = TestApp::spawn().await;
    let token = app.user_token("prices@example.com").await;
    for (sent, expected) in [
        ("0.1", "0.10"),
        ("29.90", "29.90"),
        ("999999.99", "999999.99"),
        ("0", "0.00"),
        ("7", "7.00"),
    ] {
        let body = format!("{{\"name\":\"Priced\",\"price\":{sent}}}");
        let event = Event::load("create-product").bearer(&token).raw_body(&body);
        let response = app.invoke(&event).await;
        assert_eq!(response.status, 201, "{sent}");
        let id = id_of(&response.json()["data"]);
        let fetched = app.get_product(&id).await;
        let text = String::from_utf8(fetched.body.clone()).expect("utf-8");
        assert!(
            text.contains(&format!("\"price\":{expected}")),
            "{sent}: {text}"
        );
    }
}

#[tokio::test]
async fn each_invalid_product_field_gets_its_field_error() {
    let app = TestApp::spawn().await;
    let token = app.user_token("validation@example.com").await;
    let cases = [
        (json!({ "name": "A", "price": 1.234 }), vec!["price"]),
        (json!({ "name": "A", "price": -1 }), vec!["price"]),
        (json!({ "name": "A", "price": 1000000 }), vec!["price"]),
        (json!({ "name": "A", "price": "10" }), vec!["price"]),
        (json!({ "name": "A", "price": null }), vec!["price"]),
        (json!({ "name": "A" }), vec!["price"]),
        (json!({ "name": "   ", "price": 1 }), vec!["name"]),
        (json!({ "name": "x".repeat(201), "price": 1 }), vec!["name"]),
        (json!({ "name": "a\u{0001}b", "price": 1 }), vec!["name"]),
        (json!({ "name": 5, "price": 1 }), vec!["name"]),
        (
            json!({ "name": "A", "price": 1, "description": "x".repeat(2001) }),
            vec!["description"],
        ),
        (
            json!({ "name": "A", "price": 1, "category": "Not Valid" }),
            vec!["category"],
        ),
        (
            json!({ "name": "A", "price": 1, "category": "" }),
            vec!["category"],
        ),
        (
            json!({ "name": "", "price": -5, "category": "BAD" }),
            vec!["name", "price", "category"],
        ),
    ];
    for (body, expected) in cases {
        let response = app.create_product(&token, &body).await;
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.error_fields(), expected, "{body}");
    }
}

#[tokio::test]
async fn read_only_fields_are_rejected() {
    let app = TestApp::spawn().await;
    let token = app.user_token("readonly@example.com").await;
    for field in [
        "id",
        "ownerId",
        "version",
        "createdAt",
        "updatedAt",
        "images",
    ] {
        let mut body = lamp();
        body[field] = json!("x");
        let response = app.create_product(&token, &body).await;
        assert_eq!(response.status, 400, "{field}");
        assert_eq!(response.error_fields(), [field]);
    }
}

#[tokio::test]
async fn description_is_stored_trimmed_and_unescaped() {
    let app = TestApp::spawn().await;
    let token = app.user_token("markup@example.com").await;
    let body = json!({ "name": " <b>Lamp</b> ", "price": 1, "description": "  <script>alert(1)</script> & more  " });

    let product = created(&app, &token, &body).await;

    assert_eq!(product["name"], "<b>Lamp</b>");
    assert_eq!(product["description"], "<script>alert(1)</script> & more");
    assert_eq!(product["category"], Value::Null);
}

#[tokio::test]
async fn get_returns_the_product_with_etag_and_304_on_revalidation() {
    let app = TestApp::spawn().await;
    let token = app.user_token("etag@example.com").await;
    let id = id_of(&created(&app, &token, &lamp()).await);

    let first = app.get_product(&id).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["data"]["id"], id.as_str());
    assert!(first.header("cache-control").is_some());
    let etag = first.header("etag").expect("etag").to_owned();

    let event = Event::load("get-product")
        .product_id(&id)
        .header("if-none-match", &etag);
    let second = app.invoke(&event).await;
    assert_eq!(second.status, 304);
    assert!(second.body.is_empty());
    assert_eq!(second.header("etag"), Some(etag.as_str()));
    assert_eq!(second.header("x-content-type-options"), Some("nosniff"));
    assert!(second.header("x-request-id").is_some());

    let stale = Event::load("get-product")
        .product_id(&id)
        .header("if-none-match", "\"other\"");
    let third = app.invoke(&stale).await;
    assert_eq!(third.status, 200);
}

#[tokio::test]
async fn missing_and_malformed_ids_are_404() {
    let app = TestApp::spawn().await;
    for id in [
        "01JDQ4ZK8X9T6S2V3M5N7P8Q9R",
        "not-an-id",
        "1",
        "%00",
        "01JDQ4ZK8X9T6S2V3M5N7P8Q9R0",
    ] {
        let response = app.get_product(id).await;
        assert_eq!(response.status, 404, "{id}");
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
    }
}

#[tokio::test]
async fn listing_pages_through_every_product_newest_first() {
    let app = TestApp::spawn().await;
    let token = app.user_token("pages@example.com").await;
    let mut all = Vec::new();
    let mut books = Vec::new();
    for i in 0..25 {
        let category = if i % 3 == 0 {
            json!("books")
        } else {
            json!("garden")
        };
        let body = json!({ "name": format!("Item {i}"), "price": i, "category": category });
        let product = created(&app, &token, &body).await;
        // Ids start with their creation millisecond, so (createdAt, id) order is id order.
        let key = format!(
            "{}|{}",
            product["createdAt"].as_str().expect("createdAt"),
            id_of(&product)
        );
        if i % 3 == 0 {
            books.push(key.clone());
        }
        all.push(key);
        // Some products share a millisecond; the order must still be total.
        if i % 2 == 0 {
            app.clock().advance(std::time::Duration::from_millis(1));
        }
    }
    // Newest first, ties by id: the order the API promises, computed from what was created.
    all.sort_by(|a, b| b.cmp(a));
    books.sort_by(|a, b| b.cmp(a));

    for (query, expected, limit) in [("limit=4", &all, 4), ("category=books&limit=3", &books, 3)] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("{query}&cursor={cursor}"),
                None => query.to_owned(),
            };
            let response = app.list_products(&query).await;
            assert_eq!(response.status, 200, "{:?}", response.json());
            let body = response.json();
            assert_eq!(body["limit"], limit);
            let page = body["data"].as_array().expect("data");
            assert!(page.len() <= limit);
            seen.extend(page.iter().map(|p| {
                format!(
                    "{}|{}",
                    p["createdAt"].as_str().expect("createdAt"),
                    id_of(p)
                )
            }));
            pages += 1;
            match body["nextCursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert!(pages >= 3, "{query}: {pages} pages");
        assert_eq!(&seen, expected, "{query}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
    }
}

#[tokio::test]
async fn listing_defaults_to_twenty_and_reports_null_cursor_at_the_end() {
    let app = TestApp::spawn().await;
    let token = app.user_token("default@example.com").await;
    created(&app, &token, &lamp()).await;

    let response = app.list_products("").await;

    let body = response.json();
    assert_eq!(body["limit"], 20);
    assert_eq!(body["nextCursor"], Value::Null);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1));
    assert!(response.header("cache-control").is_some());
}

#[tokio::test]
async fn bad_listing_parameters_are_400() {
    let app = TestApp::spawn().await;
    let token = app.user_token("bad-params@example.com").await;
    for _ in 0..3 {
        created(&app, &token, &lamp()).await;
    }
    let first = app.list_products("limit=1").await.json();
    let cursor = first["nextCursor"].as_str().expect("cursor").to_owned();
    let mut tampered = cursor.clone().into_bytes();
    tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).expect("ascii");

    let cases = [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=", "limit"),
        ("category=Not%20Valid", "category"),
        ("cursor=garbage", "cursor"),
        (&format!("cursor={tampered}"), "cursor"),
        // A cursor is valid only for the filter it was issued with.
        (&format!("cursor={cursor}&category=lighting"), "cursor"),
    ];
    for (query, field) in cases {
        let response = app.list_products(query).await;
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.error_fields(), [field], "{query}");
    }
    assert_eq!(
        app.list_products(&format!("cursor={cursor}")).await.status,
        200
    );
}

#[tokio::test]
async fn owner_updates_with_if_match_and_a_stale_etag_is_412() {
    let app = TestApp::spawn().await;
    let token = app.user_token("updater@example.com").await;
    let product = created(&app, &token, &lamp()).await;
    let id = id_of(&product);
    let etag_v1 = format!("\"{id}.1\"");
    app.clock().advance(std::time::Duration::from_secs(60));

    let body = json!({ "name": "Floor lamp", "price": 120.5 });
    let response = update(&app, &token, &id, &body, Some(&etag_v1)).await;

    assert_eq!(response.status, 200, "{:?}", response.json());
    let updated = &response.json()["data"];
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["name"], "Floor lamp");
    assert!(String::from_utf8_lossy(&response.body).contains("\"price\":120.50"));
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["category"], Value::Null);
    assert_eq!(updated["createdAt"], product["createdAt"]);
    assert_eq!(updated["updatedAt"], app.clock().now().to_string());
    assert_ne!(updated["updatedAt"], product["createdAt"]);
    assert_eq!(
        response.header("etag"),
        Some(format!("\"{id}.2\"").as_str())
    );

    let stale = update(&app, &token, &id, &body, Some(&etag_v1)).await;
    assert_eq!(stale.status, 412);
    assert_eq!(app.get_product(&id).await.json()["data"]["version"], 2);
}

#[tokio::test]
async fn another_user_gets_403_and_a_missing_product_404() {
    let app = TestApp::spawn().await;
    let owner = app.user_token("owner2@example.com").await;
    let intruder = app.user_token("intruder@example.com").await;
    let id = id_of(&created(&app, &owner, &lamp()).await);

    assert_eq!(
        update(&app, &intruder, &id, &lamp(), None).await.status,
        403
    );
    assert_eq!(
        update(&app, &intruder, &id, &lamp(), Some("\"stale\""))
            .await
            .status,
        403
    );
    assert_eq!(delete(&app, &intruder, &id, None).await.status, 403);
    let missing = "01JDQ4ZK8X9T6S2V3M5N7P8Q9R";
    assert_eq!(
        update(&app, &owner, missing, &lamp(), None).await.status,
        404
    );
    assert_eq!(
        update(&app, &owner, missing, &lamp(), Some("\"x\""))
            .await
            .status,
        404
    );
    assert_eq!(delete(&app, &owner, missing, None).await.status, 404);
    assert_eq!(
        update(&app, &owner, "bad-id", &lamp(), None).await.status,
        404
    );
    assert_eq!(app.get_product(&id).await.json()["data"]["version"], 1);
}

#[tokio::test]
async fn update_and_delete_without_a_token_are_401() {
    let app = TestApp::spawn().await;
    let owner = app.user_token("owner3@example.com").await;
    let id = id_of(&created(&app, &owner, &lamp()).await);
    let put = Event::load("update-product").product_id(&id);
    let del = Event::load("delete-product").product_id(&id);

    let put = app.invoke(&put).await;
    let del = app.invoke(&del).await;

    assert_eq!(put.status, 401);
    assert_eq!(del.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_with_one_if_match_give_one_200_and_seven_412() {
    let app = TestApp::spawn().await;
    let token = app.user_token("racer@example.com").await;
    let id = id_of(&created(&app, &token, &lamp()).await);
    let etag = format!("\"{id}.1\"");

    let attempts = (0..8).map(|i| {
        let body = json!({ "name": format!("Racer {i}"), "price": i });
        let (app, token, id, etag) = (&app, &token, &id, &etag);
        async move { update(app, token, id, &body, Some(etag)).await.status }
    });
    let mut statuses = join_all(attempts).await;
    statuses.sort();

    assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
    assert_eq!(app.get_product(&id).await.json()["data"]["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_without_if_match_each_get_their_own_version() {
    let app = TestApp::spawn().await;
    let token = app.user_token("racer2@example.com").await;
    let id = id_of(&created(&app, &token, &lamp()).await);

    let attempts = (0..8).map(|i| {
        let body = json!({ "name": format!("Racer {i}"), "price": i });
        let (app, token, id) = (&app, &token, &id);
        async move {
            let response = update(app, token, id, &body, None).await;
            assert_eq!(response.status, 200);
            response.json()["data"]["version"]
                .as_u64()
                .expect("version")
        }
    });
    let mut versions = join_all(attempts).await;
    versions.sort();

    assert_eq!(versions, (2..=9).collect::<Vec<u64>>());
    assert_eq!(app.get_product(&id).await.json()["data"]["version"], 9);
}

#[tokio::test]
async fn owner_deletes_and_the_product_is_gone() {
    let app = TestApp::spawn().await;
    let token = app.user_token("deleter@example.com").await;
    let id = id_of(&created(&app, &token, &lamp()).await);

    assert_eq!(
        delete(&app, &token, &id, Some("\"stale\"")).await.status,
        412
    );
    let response = delete(&app, &token, &id, Some(&format!("\"{id}.1\""))).await;
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());

    assert_eq!(app.get_product(&id).await.status, 404);
    assert_eq!(delete(&app, &token, &id, None).await.status, 404);
    let listed = app.list_products("").await.json();
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(0));
}
