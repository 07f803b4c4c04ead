//! Exact totals, of the whole catalogue and of each category: counter items in the products table,
//! changed in the same transaction as each create, delete and change of category.
//!
//! A counter that every create increments is a hot key of its own, so each total is spread over
//! [`TOTAL_SHARDS`] items (`total#all#07`, `total#category#books#07`); a product always counts in
//! the shard its id gives, and a total is the sum of its shards, read in one consistent batch.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem, Update};

use super::layout::fnv1a;
use super::values::{n, number_of, s};
use super::Products;
use super::{storage_error, Item, RETRY_AFTER_SECONDS};
use crate::domain::{Category, Id};
use crate::error::ApiError;

/// How many counter items each total is spread over.
pub const TOTAL_SHARDS: u16 = 32;

/// The counter shard the product `id` counts in.
pub fn shard_of(id: &Id) -> u16 {
    (fnv1a(id.as_str()).rotate_left(16) % u32::from(TOTAL_SHARDS)) as u16
}

/// The id of one counter item: of all products (`None`) or of one category.
pub fn counter_id(scope: Option<&Category>, shard: u16) -> String {
    match scope {
        None => format!("total#all#{shard:02}"),
        Some(category) => format!("total#category#{}#{shard:02}", category.as_str()),
    }
}

/// The counters a product with `id` in `category` counts in.
pub fn counters_of(id: &Id, category: Option<&Category>) -> Vec<String> {
    let shard = shard_of(id);
    let mut ids = vec![counter_id(None, shard)];
    if let Some(category) = category {
        ids.push(counter_id(Some(category), shard));
    }
    ids
}

/// A transaction item adding `delta` to the counter `id`.
pub(crate) fn add(table: &str, id: String, delta: i64) -> Result<TransactWriteItem, ApiError> {
    let update = Update::builder()
        .table_name(table)
        .key("id", s(id))
        .update_expression("ADD #count :delta")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":delta", n(delta))
        .build()
        .map_err(|e| ApiError::unexpected("build counter change", e))?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The exact number of products, or of products in `category`.
pub async fn read(table: Products<'_>, category: Option<&Category>) -> Result<u64, ApiError> {
    let keys: Vec<Item> = (0..TOTAL_SHARDS)
        .map(|shard| Item::from([("id".to_owned(), s(counter_id(category, shard)))]))
        .collect();
    let mut request = Some(
        KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .projection_expression("#count")
            .expression_attribute_names("#count", "count")
            .build()
            .map_err(|e| ApiError::unexpected("build total read", e))?,
    );
    let mut total: i64 = 0;
    for attempt in 0..8 {
        let Some(keys) = request.take() else {
            return Ok(total.max(0) as u64);
        };
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(10 << attempt)).await;
        }
        let output = table
            .client
            .batch_get_item()
            .request_items(table.name, keys)
            .send()
            .await
            .map_err(|e| storage_error("read total", e))?;
        total += output
            .responses
            .and_then(|mut responses| responses.remove(table.name))
            .unwrap_or_default()
            .iter()
            .filter_map(|item| number_of(item, "count"))
            .sum::<i64>();
        request = output
            .unprocessed_keys
            .and_then(|mut left: HashMap<_, _>| left.remove(table.name))
            .filter(|left| !left.keys().is_empty());
    }
    match request {
        None => Ok(total.max(0) as u64),
        Some(_) => Err(ApiError::Unavailable {
            context: "read total",
            retry_after: RETRY_AFTER_SECONDS,
            source: "counters left unread after retries".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    #[test]
    fn a_product_counts_in_all_and_in_its_category_in_one_shard() {
        let id = Id::generate(Timestamp::from_millis(1_700_000_000_000)).expect("id");
        let books = Category::parse_str("books").expect("category");
        let shard = shard_of(&id);
        assert!(shard < TOTAL_SHARDS);
        assert_eq!(
            counters_of(&id, Some(&books)),
            [
                format!("total#all#{shard:02}"),
                format!("total#category#books#{shard:02}")
            ]
        );
        assert_eq!(counters_of(&id, None).len(), 1);
    }
}
