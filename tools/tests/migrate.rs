//! `make migrate` against DynamoDB Local: products as the version before the write-sharded
//! indexes stored them are listed, searched and counted once migrated, and a second run finds
//! nothing to do.

use std::collections::{HashMap, HashSet};

use api_tests::catalogue::{every_page, items_with, profile_id, total};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_product_the_earlier_word_index_kept_under_a_shared_key_is_filed_stem_by_stem() {
    let app = TestApp::spawn().await;
    let token = app.user_token("many-words@example.com").await;
    let owner = profile_id(&app, &token).await;
    let table = app
        .state
        .config
        .tables
        .get(shared::tables::TableName::Products)
        .to_owned();
    // A product of 45 stems, written as the earlier layout kept it: its item marked
    // `searchIndexed`, and one search entry under `q:*`, the key every search read.
    let now = app.clock().now();
    let name: Vec<String> = (0..45).map(|i| format!("w{i:02}")).collect();
    let product = shared::domain::Product {
        id: shared::domain::Id::generate(now).expect("id"),
        name: shared::domain::ProductName::from_stored(name.join(" ")),
        price: shared::domain::Price::from_cents(500).expect("price"),
        description: None,
        category: None,
        owner_id: shared::domain::Id::parse(&owner).expect("owner"),
        created_at: now,
        updated_at: now,
        version: 1,
        images: shared::domain::image::Images::default(),
    };
    shared::store::products::insert(app.state.products(), &product, app.state.shards())
        .await
        .expect("product");
    for entry in items_with(&app, "productId").await {
        let mut key = HashMap::new();
        key.insert("id".to_owned(), entry["id"].clone());
        app.state
            .dynamo
            .delete_item()
            .table_name(&table)
            .set_key(Some(key))
            .send()
            .await
            .expect("delete entry");
    }
    let mut shared_entry = items_with(&app, "ownerId").await.remove(0);
    shared_entry.retain(|name, _| {
        ![
            "listKey",
            "categoryKey",
            "ownerKey",
            "counted",
            "searchLayout",
        ]
        .contains(&name.as_str())
    });
    shared_entry.insert(
        "productId".to_owned(),
        AttributeValue::S(product.id.to_string()),
    );
    shared_entry.insert(
        "id".to_owned(),
        AttributeValue::S(format!("search#{}#*", product.id)),
    );
    shared_entry.insert("searchKey".to_owned(), AttributeValue::S("q:*".to_owned()));
    app.state
        .dynamo
        .put_item()
        .table_name(&table)
        .set_item(Some(shared_entry))
        .send()
        .await
        .expect("shared entry");
    let mut key = HashMap::new();
    key.insert("id".to_owned(), AttributeValue::S(product.id.to_string()));
    app.state
        .dynamo
        .update_item()
        .table_name(&table)
        .set_key(Some(key))
        .update_expression("REMOVE searchLayout SET searchIndexed = :yes")
        .expression_attribute_values(":yes", AttributeValue::Bool(true))
        .send()
        .await
        .expect("earlier layout");
    assert_eq!(
        every_page(&app, "q=w44").await,
        Vec::<String>::new(),
        "no search reads q:*"
    );

    let done = migrate(app.state.products(), app.state.shards())
        .await
        .expect("migration");
    assert_eq!((done.examined, done.rewritten), (1, 1));
    assert_eq!(every_page(&app, "q=w44").await, [product.id.to_string()]);
    assert_eq!(
        every_page(&app, "q=w00%20w30").await,
        [product.id.to_string()]
    );
    let entries = items_with(&app, "productId").await;
    assert_eq!(entries.len(), 45, "one entry per stem");
    assert!(
        entries
            .iter()
            .all(|entry| entry["searchKey"] != AttributeValue::S("q:*".to_owned())),
        "the shared key's entry is gone"
    );
    let again = migrate(app.state.products(), app.state.shards())
        .await
        .expect("migration");
    assert_eq!(again.rewritten, 0, "run again, nothing to do");
}
