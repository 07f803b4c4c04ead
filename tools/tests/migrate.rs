//! `make migrate` against DynamoDB Local: products as the version before the write-sharded
//! indexes stored them are listed, searched and counted once migrated, and a second run finds
//! nothing to do.

use std::collections::{HashMap, HashSet};

use api_tests::catalogue::{every_page, profile_id, total};
use api_tests::{Event, TestApp};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use tools::migrate::migrate;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn products_stored_before_the_sharded_indexes_are_listed_and_counted_after_the_migration() {
    let app = TestApp::spawn().await;
    let token = app.user_token("legacy@example.com").await;
    let owner = profile_id(&app, &token).await;
    // Items as the previous version wrote them: one listing partition, no totals.
    let mut legacy = Vec::new();
    for i in 0..12 {
        let id = shared::domain::Id::generate(app.clock().now()).expect("id");
        let mut item = HashMap::from([
            ("id".to_owned(), AttributeValue::S(id.to_string())),
            ("ownerId".to_owned(), AttributeValue::S(owner.clone())),
            (
                "name".to_owned(),
                AttributeValue::S(format!("Old lamp {i}")),
            ),
            (
                "priceCents".to_owned(),
                AttributeValue::N((100 * i).to_string()),
            ),
            (
                "createdAt".to_owned(),
                AttributeValue::S(app.clock().now().to_string()),
            ),
            (
                "updatedAt".to_owned(),
                AttributeValue::S(app.clock().now().to_string()),
            ),
            ("version".to_owned(), AttributeValue::N("1".to_owned())),
            (
                "listPartition".to_owned(),
                AttributeValue::S("ALL".to_owned()),
            ),
        ]);
        if i % 2 == 0 {
            item.insert(
                "category".to_owned(),
                AttributeValue::S("legacy".to_owned()),
            );
        }
        app.state
            .dynamo
            .put_item()
            .table_name(
                app.state
                    .config
                    .tables
                    .get(shared::tables::TableName::Products),
            )
            .set_item(Some(item))
            .send()
            .await
            .expect("legacy item");
        legacy.push(id.to_string());
    }
    let mut fresh = Vec::new();
    for i in 0..3 {
        let body = json!({ "name": format!("New lamp {i}"), "price": 5, "category": "legacy" });
        let created = app.create_product(&token, &body).await;
        assert_eq!(created.status, 201, "{:?}", created.json());
        let id = created.json()["data"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        fresh.push(id);
    }
    assert_eq!(
        every_page(&app, "limit=50").await.len(),
        3,
        "before: only the new"
    );
    assert_eq!(
        app.get_product(&legacy[0]).await.status,
        200,
        "readable all along"
    );

    let first = migrate(app.state.products(), app.state.shards())
        .await
        .expect("migration");
    let again = migrate(app.state.products(), app.state.shards())
        .await
        .expect("migration");

    assert_eq!(
        (first.examined, first.rewritten, first.counted),
        (15, 12, 12)
    );
    assert_eq!(
        (again.rewritten, again.counted),
        (0, 0),
        "run again, nothing to do"
    );
    let listed: HashSet<String> = every_page(&app, "limit=7&sort=price")
        .await
        .into_iter()
        .collect();
    let expected: HashSet<String> = legacy
        .iter()
        .cloned()
        .chain(fresh.iter().cloned())
        .collect();
    assert_eq!(listed, expected);
    let found: HashSet<String> = every_page(&app, "q=old%20lamp").await.into_iter().collect();
    assert_eq!(
        found,
        legacy.iter().cloned().collect(),
        "in the word index too"
    );
    assert_eq!(total(&app, "limit=1").await, 15);
    assert_eq!(total(&app, "category=legacy").await, 9);
    let event = Event::load("delete-product")
        .product_id(&legacy[0])
        .bearer(&token);
    assert_eq!(app.invoke(&event).await.status, 204);
    assert_eq!(total(&app, "category=legacy").await, 8);
}
