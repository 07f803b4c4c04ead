//! The products table: one item per product, plus two indexes for newest-first listing.
//!
//! Ids are time-sortable, so an index sorted by id is an index sorted by (createdAt, id).
//! `byCreated` keeps every product under one partition key value: one partition takes about
//! 1,000 writes a second, far above this API's needs. Past that, the partition key would be
//! sharded (`ALL#0`..`ALL#N`, chosen from the id) and a page read from every shard and merged.
//! `byCategory` is sparse: products without a category are not in it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};

use super::values::{n, s, text_of};
use super::{conditional, corrupt_item, kind, storage_error, Conditional, Item, Table};
use crate::clock::Timestamp;
use crate::domain::{
    Category, Description, Expected, Id, Price, Product, ProductInput, ProductName, WriteRefused,
};
use crate::error::ApiError;

/// A handle on the products table.
pub type Products<'a> = Table<'a, kind::Products>;

pub const BY_CREATED_INDEX: &str = "byCreated";
pub const BY_CATEGORY_INDEX: &str = "byCategory";
/// Every product of one owner (keys only): what a deleted account's purge removes.
pub const BY_OWNER_INDEX: &str = "byOwner";
/// The one partition key value of `byCreated`.
const ALL_PRODUCTS: &str = "ALL";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProductItem {
    id: String,
    owner_id: String,
    name: String,
    price_cents: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    created_at: String,
    updated_at: String,
    version: u64,
    list_partition: String,
}

impl From<&Product> for ProductItem {
    fn from(product: &Product) -> Self {
        // Every field by name: one added to `Product` does not compile here until it is stored.
        let Product {
            id,
            name,
            price,
            description,
            category,
            owner_id,
            created_at,
            updated_at,
            version,
        } = product;
        Self {
            id: id.to_string(),
            owner_id: owner_id.to_string(),
            name: name.as_str().to_owned(),
            price_cents: price.cents(),
            description: description.as_ref().map(|d| d.as_str().to_owned()),
            category: category.as_ref().map(|c| c.as_str().to_owned()),
            created_at: created_at.to_string(),
            updated_at: updated_at.to_string(),
            version: *version,
            list_partition: ALL_PRODUCTS.to_owned(),
        }
    }
}

impl TryFrom<ProductItem> for Product {
    type Error = ApiError;

    fn try_from(item: ProductItem) -> Result<Self, ApiError> {
        const CONTEXT: &str = "read product";
        let bad = |what: &str| corrupt_item(CONTEXT, format!("{what} of product {}", item.id));
        Ok(Product {
            id: Id::parse(&item.id).ok_or_else(|| bad("id"))?,
            owner_id: Id::parse(&item.owner_id).ok_or_else(|| bad("ownerId"))?,
            name: ProductName::from_stored(item.name.clone()),
            price: Price::from_cents(item.price_cents).ok_or_else(|| bad("price"))?,
            description: item.description.clone().map(Description::from_stored),
            category: match &item.category {
                Some(text) => Some(Category::parse_str(text).ok_or_else(|| bad("category"))?),
                None => None,
            },
            created_at: Timestamp::parse_rfc3339(&item.created_at)
                .ok_or_else(|| bad("createdAt"))?,
            updated_at: Timestamp::parse_rfc3339(&item.updated_at)
                .ok_or_else(|| bad("updatedAt"))?,
            version: item.version,
        })
    }
}

fn product_from_item(item: Item) -> Result<Product, ApiError> {
    let item: ProductItem =
        serde_dynamo::from_item(item).map_err(|e| corrupt_item("read product", e))?;
    Product::try_from(item)
}

/// The item of a product.
pub(crate) fn item_of(product: &Product) -> Result<Item, ApiError> {
    serde_dynamo::to_item(ProductItem::from(product))
        .map_err(|e| ApiError::unexpected("encode product", e))
}

/// Stores a new product; its id is fresh, so the write cannot replace another.
pub async fn insert(table: Products<'_>, product: &Product) -> Result<(), ApiError> {
    let item = item_of(product)?;
    table
        .client
        .put_item()
        .table_name(table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(id)")
        .send()
        .await
        .map_err(|e| storage_error("put product", e))?;
    Ok(())
}

/// The product with `id`, read consistently so an ETag is never older than the last write.
pub async fn find(table: Products<'_>, id: &Id) -> Result<Option<Product>, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .key("id", s(id.as_str()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get product", e))?;
    output.item.map(product_from_item).transpose()
}

/// One page of products, newest first, and whether more follow it.
#[derive(Debug)]
pub struct Page {
    pub products: Vec<Product>,
    pub has_more: bool,
}

/// Reads up to `limit` products older than `after`, optionally of one category: a Query on an
/// index, never a Scan, costing O(limit) reads.
pub async fn list(
    table: Products<'_>,
    limit: usize,
    after: Option<&Id>,
    category: Option<&Category>,
) -> Result<Page, ApiError> {
    let (index, partition_attribute, partition_value) = match category {
        Some(category) => (BY_CATEGORY_INDEX, "category", category.as_str()),
        None => (BY_CREATED_INDEX, "listPartition", ALL_PRODUCTS),
    };
    let mut key_condition = "#partition = :partition".to_owned();
    let mut query = table
        .client
        .query()
        .table_name(table.name)
        .index_name(index)
        .expression_attribute_names("#partition", partition_attribute)
        .expression_attribute_values(":partition", s(partition_value))
        .scan_index_forward(false)
        // One extra item tells whether another page follows.
        .limit(limit as i32 + 1);
    if let Some(after) = after {
        key_condition.push_str(" AND id < :after");
        query = query.expression_attribute_values(":after", s(after.as_str()));
    }
    let output = query
        .key_condition_expression(key_condition)
        .send()
        .await
        .map_err(|e| storage_error("query products", e))?;

    let mut products = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(product_from_item)
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = products.len() > limit || output.last_evaluated_key.is_some();
    products.truncate(limit);
    let has_more = has_more && !products.is_empty();
    Ok(Page { products, has_more })
}

/// Adds the ownership and version condition to an expression's values and returns its text.
fn write_condition(owner: &Id, expected: &Expected, values: &mut Item) -> String {
    values.insert(":owner".to_owned(), s(owner.as_str()));
    let mut condition = "attribute_exists(id) AND ownerId = :owner".to_owned();
    if let Expected::Versions(versions) = expected {
        let versions: &[u64] = if versions.is_empty() { &[0] } else { versions };
        let names: Vec<String> = versions
            .iter()
            .take(20)
            .enumerate()
            .map(|(i, version)| {
                let name = format!(":v{i}");
                values.insert(name.clone(), n(*version));
                name
            })
            .collect();
        condition.push_str(&format!(" AND version IN ({})", names.join(", ")));
    }
    condition
}

/// Why a write conditional on [`write_condition`] was refused, from the item as it was.
fn refusal(old: Option<Item>, owner: &Id) -> WriteRefused {
    match old {
        None => WriteRefused::NotFound,
        Some(item) if text_of(&item, "ownerId") == Some(owner.as_str()) => {
            WriteRefused::VersionMismatch
        }
        Some(_) => WriteRefused::NotOwner,
    }
}

/// Replaces a product's writable fields if `owner` owns it and its version is as expected,
/// bumping the version atomically: concurrent updates never both apply to one version. A refusal
/// is the [`WriteRefused`] error it stands for.
pub async fn update(
    table: Products<'_>,
    id: &Id,
    owner: &Id,
    expected: &Expected,
    input: &ProductInput,
    now: Timestamp,
) -> Result<Product, ApiError> {
    // Every writable field by name: one added to `ProductInput` does not compile here until the
    // update writes it (or removes it when absent).
    let ProductInput {
        name,
        price,
        description,
        category,
    } = input;
    let mut values = HashMap::from([
        (":name".to_owned(), s(name.as_str())),
        (":price".to_owned(), n(price.cents())),
        (":now".to_owned(), s(now.to_string())),
        (":one".to_owned(), n(1)),
    ]);
    let mut set = vec![
        "#name = :name",
        "priceCents = :price",
        "updatedAt = :now",
        "version = version + :one",
    ];
    let mut remove = Vec::new();
    match description {
        Some(description) => {
            values.insert(":description".to_owned(), s(description.as_str()));
            set.push("description = :description");
        }
        None => remove.push("description"),
    }
    match category {
        Some(category) => {
            values.insert(":category".to_owned(), s(category.as_str()));
            set.push("category = :category");
        }
        None => remove.push("category"),
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    let condition = write_condition(owner, expected, &mut values);

    let result = table
        .client
        .update_item()
        .table_name(table.name)
        .key("id", s(id.as_str()))
        .update_expression(expression)
        .condition_expression(condition)
        .expression_attribute_names("#name", "name")
        .set_expression_attribute_values(Some(values))
        .return_values(ReturnValue::AllNew)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match conditional("update product", result)? {
        Conditional::Written(output) => {
            let item = output
                .attributes
                .ok_or_else(|| corrupt_item("update product", "no attributes returned"))?;
            product_from_item(item)
        }
        Conditional::Refused(old) => Err(refusal(old, owner).into()),
    }
}

/// Deletes a product if `owner` owns it and its version is as expected; a refusal is the
/// [`WriteRefused`] error it stands for.
pub async fn delete(
    table: Products<'_>,
    id: &Id,
    owner: &Id,
    expected: &Expected,
) -> Result<(), ApiError> {
    let mut values = HashMap::new();
    let condition = write_condition(owner, expected, &mut values);
    let result = table
        .client
        .delete_item()
        .table_name(table.name)
        .key("id", s(id.as_str()))
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await;
    match conditional("delete product", result)? {
        Conditional::Written(_) => Ok(()),
        Conditional::Refused(old) => Err(refusal(old, owner).into()),
    }
}

/// Deletes every product of `owner` (an account that is gone), a page of the owner index at a
/// time, 25 items to a batch; returns how many it deleted. Run again, it finds what is left.
pub async fn purge_owner(table: Products<'_>, owner: &Id) -> Result<usize, ApiError> {
    let query = table
        .client
        .query()
        .table_name(table.name)
        .index_name(BY_OWNER_INDEX)
        .key_condition_expression("ownerId = :owner")
        .expression_attribute_values(":owner", s(owner.as_str()))
        .limit(250);
    super::delete_found(table.client, table.name, query, &["id"], "purge products").await
}
