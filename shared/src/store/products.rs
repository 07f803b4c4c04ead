//! The products table: one item per product, carrying its keys in the listing indexes
//! ([`listing`](super::listing)), the product's search entries (copies filed under the stems of
//! its words) and the counter items of the totals ([`totals`](super::totals)).
//!
//! Every write of a product — a create, a change, a delete — is one transaction with its search
//! entries and the counters it changes. Changes and deletes read the product first and
//! write on the condition that its version is still the one read, so they know what they
//! replace; a write that lost a race reads again.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::images::{self, ImageItem};
use super::layout::{
    index_keys, owner_partition, search_entries, search_entry_ids, Shards, MAX_SHARDS,
};
use super::outbox::{self, Outbox};
use super::totals::{self, counter_id, counters_of};
use super::values::{n, s, text_of};
use super::{corrupt_item, storage_error, transact, Item, Transaction, RETRY_AFTER_SECONDS};
use crate::clock::Timestamp;
use crate::domain::catalogue::MAX_STEMS;
use crate::domain::image::Images;
use crate::domain::outbox::OutboxEntry;
use crate::domain::{
    Category, Description, Expected, Id, Price, Product, ProductInput, ProductName, WriteRefused,
};
use crate::error::ApiError;
use crate::join::join_all;

pub use super::Products;

/// Every product of one owner (keys only), over the listing shards (`<ownerId>#07`): what a
/// deleted account's purge removes.
pub const BY_OWNER_INDEX: &str = "byOwnerShard";

/// How often a change or delete reads again after losing a race, before it gives up (503).
const WRITE_ATTEMPTS: usize = 8;

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
    // The listing indexes' keys: derived, so absent from items written before they existed
    // until `make migrate` adds them.
    #[serde(default)]
    list_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    category_key: Option<String>,
    #[serde(default)]
    price_key: String,
    #[serde(default)]
    name_key: String,
    #[serde(default)]
    owner_key: String,
    /// Whether the product is in the totals (every product created since they exist is).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    counted: bool,
    /// Which layout of the word index the product's search entries follow (see
    /// [`SEARCH_LAYOUT`]); `make migrate` brings older ones to it.
    #[serde(default)]
    search_layout: u8,
    /// The product's images, pending ones included (see [`images`](super::images)).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    images: BTreeMap<String, ImageItem>,
    /// Moved on by every change of `images`; absent until the first.
    #[serde(default, skip_serializing_if = "is_zero")]
    image_revision: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl ProductItem {
    fn new(product: &Product, shards: Shards, counted: bool, image_revision: u64) -> Self {
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
            images,
        } = product;
        let keys = index_keys(product, shards);
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
            list_key: keys.list,
            category_key: keys.category,
            price_key: keys.price,
            name_key: keys.name,
            owner_key: keys.owner,
            counted,
            search_layout: SEARCH_LAYOUT,
            images: images::items_of(images),
            image_revision,
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
            images: images::images_of(&item.id, item.images.clone())?,
        })
    }
}

/// A product as stored: the product, whether it is in the totals, and its images' revision.
#[derive(Debug, Clone)]
pub struct Stored {
    pub product: Product,
    pub counted: bool,
    pub image_revision: u64,
}

fn stored_from_item(item: Item) -> Result<Stored, ApiError> {
    let item: ProductItem =
        serde_dynamo::from_item(item).map_err(|e| corrupt_item("read product", e))?;
    let counted = item.counted;
    let image_revision = item.image_revision;
    Ok(Stored {
        product: Product::try_from(item)?,
        counted,
        image_revision,
    })
}

pub(crate) fn product_from_item(item: Item) -> Result<Product, ApiError> {
    stored_from_item(item).map(|stored| stored.product)
}

/// The item of a product, with its index keys under `shards`, at `image_revision`.
pub fn item_of(
    product: &Product,
    shards: Shards,
    counted: bool,
    image_revision: u64,
) -> Result<Item, ApiError> {
    serde_dynamo::to_item(ProductItem::new(product, shards, counted, image_revision))
        .map_err(|e| ApiError::unexpected("encode product", e))
}

/// The attributes of a product's item that only the product itself carries: its search
/// entries are in no listing index, the owner's or the totals.
const NOT_IN_ENTRIES: [&str; 5] = [
    "listKey",
    "categoryKey",
    "ownerKey",
    "counted",
    "searchLayout",
];

/// The word index's layout: an entry per stem of a product's words, in the product's shard, and
/// no search key shared by every product (layout 1 filed a product of more than 40 stems under
/// one such key; items from before the word index have none).
pub const SEARCH_LAYOUT: u8 = 2;

// The largest change of a product — its item, every entry of the old name deleted and every
// entry of the new one put, and a move between two categories' totals — fits in one transaction
// of DynamoDB's 100 items.
const _: () = assert!(1 + 2 * MAX_STEMS + 2 <= 100);

/// Puts of the search entries of `product`, whose item is `item`: copies of it, filed under
/// each stem of its words (see [`listing`](super::listing)).
fn entry_puts(
    table: Products<'_>,
    product: &Product,
    item: &Item,
    shards: Shards,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    puts_of_entries(table, product, item, search_entries(product, shards))
}

/// Puts of `entries` (item id and partition, as [`search_entries`] gives them) of `product`.
fn puts_of_entries(
    table: Products<'_>,
    product: &Product,
    item: &Item,
    entries: Vec<(String, String)>,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    entries
        .into_iter()
        .map(|(id, partition)| {
            let mut entry = item.clone();
            for attribute in NOT_IN_ENTRIES {
                entry.remove(attribute);
            }
            entry.insert("id".to_owned(), s(id));
            entry.insert("productId".to_owned(), s(product.id.as_str()));
            entry.insert("searchKey".to_owned(), s(partition));
            let put = Put::builder()
                .table_name(table.name)
                .set_item(Some(entry))
                .build()
                .map_err(|e| ApiError::unexpected("build search entry", e))?;
            Ok(TransactWriteItem::builder().put(put).build())
        })
        .collect()
}

/// Deletes of the search entries with the item ids `ids`.
fn entry_deletes(
    table: Products<'_>,
    ids: impl IntoIterator<Item = String>,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    ids.into_iter()
        .map(|id| {
            let delete = Delete::builder()
                .table_name(table.name)
                .key("id", s(id))
                .build()
                .map_err(|e| ApiError::unexpected("build search entry deletion", e))?;
            Ok(TransactWriteItem::builder().delete(delete).build())
        })
        .collect()
}

/// The writes that create `product` (its id is fresh, so the put cannot replace another):
/// the item, its search entries, and one more in each total it counts in.
pub(crate) fn creation(
    table: Products<'_>,
    product: &Product,
    shards: Shards,
) -> Result<Vec<TransactWriteItem>, ApiError> {
    let item = item_of(product, shards, true, 0)?;
    let entries = entry_puts(table, product, &item, shards)?;
    let put = Put::builder()
        .table_name(table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(id)")
        .build()
        .map_err(|e| ApiError::unexpected("build product creation", e))?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    items.extend(entries);
    for counter in counters_of(&product.id, product.category.as_ref()) {
        items.push(totals::add(table.name, counter, 1)?);
    }
    Ok(items)
}

/// Stores a new product and counts it, with no check of its owner (seeding, tests, tools).
pub async fn insert(
    table: Products<'_>,
    product: &Product,
    shards: Shards,
) -> Result<(), ApiError> {
    match transact(
        table.client,
        "put product",
        creation(table, product, shards)?,
    )
    .await?
    {
        Transaction::Written => Ok(()),
        Transaction::Refused(_) => Err(ApiError::unexpected(
            "put product",
            "a product with this id exists",
        )),
    }
}

/// The product with `id`, read consistently so an ETag is never older than the last write.
pub async fn find(table: Products<'_>, id: &Id) -> Result<Option<Product>, ApiError> {
    Ok(find_stored(table, id).await?.map(|stored| stored.product))
}

/// The product with `id` as stored, read consistently.
pub async fn find_stored(table: Products<'_>, id: &Id) -> Result<Option<Stored>, ApiError> {
    find_item(table, id.as_str())
        .await?
        .map(stored_from_item)
        .transpose()
}

async fn find_item(table: Products<'_>, id: &str) -> Result<Option<Item>, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .key("id", s(id))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get product", e))?;
    Ok(output.item)
}

/// The condition that a product is still as it was read: same version (and so the same
/// owner), in the totals or not as it was, with the same images.
fn unchanged(stored: &Stored) -> (String, Item) {
    let counted = if stored.counted {
        "attribute_exists(counted)"
    } else {
        "attribute_not_exists(counted)"
    };
    let mut values = Item::from([(":version".to_owned(), n(stored.product.version))]);
    let images = if stored.image_revision == 0 {
        "attribute_not_exists(imageRevision)"
    } else {
        values.insert(":imageRevision".to_owned(), n(stored.image_revision));
        "imageRevision = :imageRevision"
    };
    (
        format!("version = :version AND {counted} AND {images}"),
        values,
    )
}

/// Why `owner` may not write over `stored` under `expected`, if they may not.
fn refusal(stored: &Stored, owner: &Id, expected: &Expected) -> Option<WriteRefused> {
    if &stored.product.owner_id != owner {
        Some(WriteRefused::NotOwner)
    } else if !expected.allows(stored.product.version) {
        Some(WriteRefused::VersionMismatch)
    } else {
        None
    }
}

fn kept_changing(context: &'static str) -> ApiError {
    ApiError::Unavailable {
        context,
        retry_after: RETRY_AFTER_SECONDS,
        source: "the product kept changing under concurrent writes".into(),
    }
}

/// Replaces the writable fields of product `id` with what `edit` makes of the stored product,
/// if `owner` owns it and its version is as `expected`, bumping the version. Concurrent writes
/// never both apply to one version; a refusal is the [`WriteRefused`] error it stands for.
pub async fn change(
    table: Products<'_>,
    id: &Id,
    owner: &Id,
    expected: &Expected,
    shards: Shards,
    now: Timestamp,
    edit: impl Fn(&Product) -> Result<ProductInput, ApiError>,
) -> Result<Product, ApiError> {
    let edit = &edit;
    let not_found = || Err(WriteRefused::NotFound.into());
    while_unchanged(
        table,
        id,
        "change product",
        not_found,
        |stored| async move {
            if let Some(refused) = refusal(&stored, owner, expected) {
                return Err(refused.into());
            }
            // Every writable field by name: one added to `ProductInput` does not compile here
            // until a change writes it.
            let ProductInput {
                name,
                price,
                description,
                category,
            } = edit(&stored.product)?;
            let old = &stored.product;
            let changed = Product {
                name,
                price,
                description,
                category,
                updated_at: now,
                version: old.version + 1,
                ..old.clone()
            };
            let written = write_change(
                table,
                &stored,
                &changed,
                shards,
                stored.image_revision,
                vec![],
            )
            .await?;
            Ok(written.then_some(changed))
        },
    )
    .await
}

/// The optimistic-concurrency loop every write of a product runs: reads product `id` as stored
/// now and hands it to `attempt`, which writes on the condition that it is unchanged since read
/// and answers `None` when that condition failed (a concurrent write came first): then it is
/// read and tried again, up to [`WRITE_ATTEMPTS`] times. `gone` answers for a product that is
/// not (or no longer) there.
async fn while_unchanged<T, Fut>(
    table: Products<'_>,
    id: &Id,
    context: &'static str,
    gone: impl Fn() -> Result<T, ApiError>,
    attempt: impl Fn(Stored) -> Fut,
) -> Result<T, ApiError>
where
    Fut: std::future::Future<Output = Result<Option<T>, ApiError>>,
{
    for _ in 0..WRITE_ATTEMPTS {
        let Some(stored) = find_stored(table, id).await? else {
            return gone();
        };
        if let Some(done) = attempt(stored).await? {
            return Ok(done);
        }
    }
    Err(kept_changing(context))
}

/// Writes `changed` over `stored` if it is unchanged since read, with its search entries (those
/// of stems it no longer has deleted) and, where the category changes, the totals; `false` if
/// it was not unchanged.
async fn write_change(
    table: Products<'_>,
    stored: &Stored,
    changed: &Product,
    shards: Shards,
    image_revision: u64,
    also: Vec<TransactWriteItem>,
) -> Result<bool, ApiError> {
    let (condition, values) = unchanged(stored);
    let item = item_of(changed, shards, stored.counted, image_revision)?;
    let entries = search_entries(changed, shards);
    let kept: Vec<String> = entries.iter().map(|(id, _)| id.clone()).collect();
    let entries = puts_of_entries(table, changed, &item, entries)?;
    let put = Put::builder()
        .table_name(table.name)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(|e| ApiError::unexpected("build product change", e))?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    items.extend(also);
    let dropped = search_entry_ids(&stored.product)
        .into_iter()
        .filter(|id| !kept.contains(id));
    items.extend(entry_deletes(table, dropped)?);
    items.extend(entries);
    // A change of category moves the product from one category's total to the other's.
    let old_category = stored.product.category.as_ref();
    let new_category = changed.category.as_ref();
    if stored.counted && old_category != new_category {
        let shard = totals::shard_of(&changed.id);
        if let Some(old) = old_category {
            items.push(totals::add(table.name, counter_id(Some(old), shard), -1)?);
        }
        if let Some(new) = new_category {
            items.push(totals::add(table.name, counter_id(Some(new), shard), 1)?);
        }
    }
    Ok(matches!(
        transact(table.client, "change product", items).await?,
        Transaction::Written
    ))
}

/// What a change of a product's images does, with `T` for its caller.
pub enum ImagesEdit<'a, T> {
    /// Writes `images` (and `job`, in the same transaction), then answers `T`.
    Write {
        images: Images,
        job: Option<(Outbox<'a>, OutboxEntry)>,
        answer: T,
    },
    /// Writes nothing (what was asked is already so), and answers `T`.
    Nothing(T),
}

/// Changes the images of product `id` as `edit` says, given the product as stored now, if
/// `owner` owns it (`None`: whoever does, for the image worker). Moves the images' revision on;
/// where what a client sees of them changes (an image ready, a ready one deleted) the product's
/// version and `updatedAt` too. Conditional on the product as read, like every change of it.
pub async fn change_images<'a, T>(
    table: Products<'_>,
    id: &Id,
    owner: Option<&Id>,
    shards: Shards,
    now: Timestamp,
    edit: impl Fn(&Product) -> Result<ImagesEdit<'a, T>, ApiError>,
) -> Result<T, ApiError> {
    let edit = &edit;
    let not_found = || Err(WriteRefused::NotFound.into());
    while_unchanged(table, id, "change images", not_found, |stored| async move {
        if owner.is_some_and(|owner| owner != &stored.product.owner_id) {
            return Err(WriteRefused::NotOwner.into());
        }
        let (images, job, answer) = match edit(&stored.product)? {
            ImagesEdit::Nothing(answer) => return Ok(Some(answer)),
            ImagesEdit::Write {
                images,
                job,
                answer,
            } => (images, job, answer),
        };
        let old = &stored.product;
        let shown = !images.shows_the_same(&old.images);
        let changed = Product {
            images,
            version: old.version + u64::from(shown),
            updated_at: if shown { now } else { old.updated_at },
            ..old.clone()
        };
        let also = match &job {
            Some((outbox, entry)) => vec![TransactWriteItem::builder()
                .put(outbox::put(*outbox, entry)?)
                .build()],
            None => vec![],
        };
        let revision = stored.image_revision + 1;
        let written = write_change(table, &stored, &changed, shards, revision, also).await?;
        Ok(written.then_some(answer))
    })
    .await
}

/// Replaces a product's writable fields with `input` (see [`change`]).
pub async fn update(
    table: Products<'_>,
    id: &Id,
    owner: &Id,
    expected: &Expected,
    shards: Shards,
    input: &ProductInput,
    now: Timestamp,
) -> Result<Product, ApiError> {
    change(table, id, owner, expected, shards, now, |_| {
        Ok(input.clone())
    })
    .await
}

/// Deletes a product if `owner` owns it and its version is as expected; a refusal is the
/// [`WriteRefused`] error it stands for.
pub async fn delete(
    table: Products<'_>,
    id: &Id,
    owner: &Id,
    expected: &Expected,
) -> Result<Deleted, ApiError> {
    let not_found = || Err(WriteRefused::NotFound.into());
    while_unchanged(
        table,
        id,
        "delete product",
        not_found,
        |stored| async move {
            if let Some(refused) = refusal(&stored, owner, expected) {
                return Err(refused.into());
            }
            let deleted = Deleted {
                had_images: stored.image_revision > 0,
            };
            Ok(remove(table, &stored).await?.then_some(deleted))
        },
    )
    .await
}

/// What a deleted product leaves to be deleted elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted {
    /// Whether an image was ever added to it (its map's revision moved on): only then can the
    /// media bucket hold objects under its prefixes, which are issued with the image.
    pub had_images: bool,
}

/// Deletes `stored` if it is unchanged since read, and takes it out of the totals it counts in;
/// `false` if it changed or went.
async fn remove(table: Products<'_>, stored: &Stored) -> Result<bool, ApiError> {
    let (condition, values) = unchanged(stored);
    let product = &stored.product;
    let delete = Delete::builder()
        .table_name(table.name)
        .key("id", s(product.id.as_str()))
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(|e| ApiError::unexpected("build product deletion", e))?;
    let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
    items.extend(entry_deletes(table, search_entry_ids(product))?);
    if stored.counted {
        for counter in counters_of(&product.id, product.category.as_ref()) {
            items.push(totals::add(table.name, counter, -1)?);
        }
    }
    Ok(matches!(
        transact(table.client, "delete product", items).await?,
        Transaction::Written
    ))
}

/// Deletes every product of `owner` (an account that is gone) found in the owner index, ten at
/// a time, each with its counts; returns how many it deleted. It reads every shard the index can
/// have (`MAX_SHARDS`), not only the configured count's: a product written under another count
/// and not migrated yet is found too. Run again, it finds what is left.
///
/// `first` runs for each product before it is deleted (what the product keeps elsewhere goes
/// first: a failure leaves the product to be found again).
pub async fn purge_owner<F, Fut>(
    table: Products<'_>,
    owner: &Id,
    first: F,
) -> Result<usize, ApiError>
where
    F: Fn(Id) -> Fut,
    Fut: std::future::Future<Output = Result<(), ApiError>>,
{
    let first = &first;
    let mut deleted = 0;
    for shard in 0..MAX_SHARDS {
        let mut start: Option<Item> = None;
        loop {
            let page = table
                .client
                .query()
                .table_name(table.name)
                .index_name(BY_OWNER_INDEX)
                .key_condition_expression("ownerKey = :owner")
                .expression_attribute_values(":owner", s(owner_partition(owner, shard)))
                .set_exclusive_start_key(start)
                .limit(100)
                .send()
                .await
                .map_err(|e| storage_error("query products of owner", e))?;
            let ids: Vec<Id> = page
                .items
                .unwrap_or_default()
                .iter()
                .filter_map(|item| text_of(item, "id").and_then(Id::parse))
                .collect();
            for group in ids.chunks(10) {
                let removals = group.iter().map(|id| async move {
                    first(id.clone()).await?;
                    purge_one(table, id).await
                });
                for removed in join_all(removals).await {
                    deleted += usize::from(removed?);
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
    }
    Ok(deleted)
}

/// Deletes product `id` whatever its version; `false` if it was already gone.
async fn purge_one(table: Products<'_>, id: &Id) -> Result<bool, ApiError> {
    while_unchanged(
        table,
        id,
        "purge product",
        || Ok(false),
        |stored| async move { Ok(remove(table, &stored).await?.then_some(true)) },
    )
    .await
}

/// What [`relayout`] found of a product.
#[derive(Debug, Clone, PartialEq)]
pub enum Relayout {
    /// Already in the current layout: nothing written.
    Current,
    /// Written again under the current layout; `counted` if counted in the totals just now.
    Rewritten { counted: bool },
    /// It changed since it was read: here it is as it is now, to look at again.
    Changed(Item),
    /// It is gone.
    Gone,
}

/// Writes the product `item` (as a scan read it) again under the current layout, if it is not
/// in it: its index keys under `shards` (missing from items written before the sharded indexes,
/// or under another shard count), its search entries, and counted in the totals (in the same
/// transaction as it is marked counted). Conditional on the product being unchanged since read,
/// so it is safe while the API serves: `make migrate` (tools/src/migrate.rs) runs it on every
/// product.
pub async fn relayout(
    table: Products<'_>,
    item: Item,
    shards: Shards,
) -> Result<Relayout, ApiError> {
    let stored = stored_from_item(item.clone())?;
    let current = item_of(&stored.product, shards, true, stored.image_revision)?;
    if item == current {
        return Ok(Relayout::Current);
    }
    let (condition, values) = unchanged(&stored);
    let entries = search_entries(&stored.product, shards);
    let kept: Vec<String> = entries.iter().map(|(id, _)| id.clone()).collect();
    let entries = puts_of_entries(table, &stored.product, &current, entries)?;
    let former = search_entry_ids(&stored.product)
        .into_iter()
        .filter(|id| !kept.contains(id));
    let put = Put::builder()
        .table_name(table.name)
        .set_item(Some(current))
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(|e| ApiError::unexpected("build product migration", e))?;
    let mut items = vec![TransactWriteItem::builder().put(put).build()];
    items.extend(entries);
    items.extend(entry_deletes(table, former)?);
    if !stored.counted {
        let product = &stored.product;
        for counter in counters_of(&product.id, product.category.as_ref()) {
            items.push(totals::add(table.name, counter, 1)?);
        }
    }
    if let Transaction::Written = transact(table.client, "migrate product", items).await? {
        return Ok(Relayout::Rewritten {
            counted: !stored.counted,
        });
    }
    Ok(match find_item(table, stored.product.id.as_str()).await? {
        Some(again) => Relayout::Changed(again),
        None => Relayout::Gone,
    })
}

/// One page of a scan of the whole products table (products, search entries and counters
/// alike) from `start`, and the key to go on from, if there is more.
pub async fn scan_page(
    table: Products<'_>,
    start: Option<Item>,
) -> Result<(Vec<Item>, Option<Item>), ApiError> {
    let page = table
        .client
        .scan()
        .table_name(table.name)
        .set_exclusive_start_key(start)
        .send()
        .await
        .map_err(|e| storage_error("scan products", e))?;
    Ok((page.items.unwrap_or_default(), page.last_evaluated_key))
}

/// Whether `item`, read by a scan of the products table, is a product (not a counter of the
/// totals, which has no owner, nor a search entry, which names its product).
pub fn is_product(item: &Item) -> bool {
    item.contains_key("ownerId") && !item.contains_key("productId")
}
