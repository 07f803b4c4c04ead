//! Reading the catalogue as a client does, for the tests of listing and of the migration.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::{Event, TestApp};

/// Follows `nextCursor` from the first page of `query` to the end; the ids in the order given.
pub async fn every_page(app: &TestApp, query: &str) -> Vec<String> {
    every_page_after(app, query, None).await
}

/// Follows `nextCursor` from `cursor` (a cursor of `query`; `None`: the first page) to the end.
pub async fn every_page_after(app: &TestApp, query: &str, cursor: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = cursor.map(str::to_owned);
    for _ in 0..1_000 {
        let url = match &cursor {
            Some(cursor) => format!("{query}&cursor={cursor}"),
            None => query.to_owned(),
        };
        let page = app.list_products(&url).await;
        assert_eq!(page.status, 200, "{url}: {:?}", page.json());
        let body = page.json();
        ids.extend(ids_of(&body));
        match body["nextCursor"].as_str() {
            // Every page moves the position on.
            Some(next) if cursor.as_deref() == Some(next) => panic!("{url}: the same cursor again"),
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
    panic!("{query}: the cursors never ended");
}

/// The ids of a page's products, in order.
pub fn ids_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The total `query` counts.
pub async fn total(app: &TestApp, query: &str) -> u64 {
    let response = app.list_products(&format!("{query}&include=total")).await;
    assert_eq!(response.status, 200, "{:?}", response.json());
    response.json()["total"].as_u64().expect("total")
}

/// The id of `token`'s user.
pub async fn profile_id(app: &TestApp, token: &str) -> String {
    let profile = app.invoke(&Event::load("profile").bearer(token)).await;
    profile.json()["data"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

/// Every item of the products table that has `attribute` (`productId`: the search entries;
/// `ownerId`: products and their entries), read by a whole scan.
pub async fn items_with(app: &TestApp, attribute: &str) -> Vec<HashMap<String, AttributeValue>> {
    let table = app
        .state
        .config
        .tables
        .get(shared::tables::TableName::Products);
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = app
            .state
            .dynamo
            .scan()
            .table_name(table)
            .filter_expression("attribute_exists(#a)")
            .expression_attribute_names("#a", attribute)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan products");
        items.extend(page.items.unwrap_or_default());
        start = page.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}
