//! Where a product sits in the products table's indexes: its shard among the listing shards, the
//! key attributes it carries into the listing, category, price, name and owner indexes, and its
//! search entries (see [`listing`](super::listing) for how pages read them). Only key building:
//! nothing here reads or writes.

use crate::domain::catalogue::{fold, product_stems};
use crate::domain::{Category, Id, Product};

pub use crate::config::MAX_LISTING_SHARDS as MAX_SHARDS;

/// How many shards the listing indexes are spread over: as many as the deployment's declared
/// peak create rate needs (`PEAK_CREATES_PER_SECOND`), or `LISTING_SHARDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shards(u16);

impl Shards {
    /// One partition per index: what the default deployment (1,000 creates a second) needs.
    pub const ONE: Shards = Shards(1);

    pub fn new(count: u16) -> Option<Self> {
        (1..=MAX_SHARDS).contains(&count).then_some(Self(count))
    }

    /// The configured count (`Config::listing_shards`, checked when it was read).
    pub fn configured(config: &crate::config::Config) -> Self {
        Self(config.listing_shards.clamp(1, MAX_SHARDS))
    }

    pub fn count(self) -> u16 {
        self.0
    }

    /// The shard of the product `id`: FNV-1a of the id, so it never changes for a product.
    pub fn of(self, id: &Id) -> u16 {
        (fnv1a(id.as_str()) % u32::from(self.0)) as u16
    }
}

/// FNV-1a (32 bits) of `text`: stable across builds and platforms, unlike std's hasher.
pub(crate) fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// The key attributes a product carries into the listing indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKeys {
    /// `listKey`: the partition of the all-products indexes.
    pub list: String,
    /// `categoryKey`: the partition of the category indexes (none without a category).
    pub category: Option<String>,
    /// `priceKey`: the sort key of the price indexes.
    pub price: String,
    /// `nameKey`: the sort key of the name indexes.
    pub name: String,
    /// `ownerKey`: the partition of the owner index (`<ownerId>#07`).
    pub owner: String,
}

/// Where `product` sits in every listing index.
pub fn index_keys(product: &Product, shards: Shards) -> IndexKeys {
    let shard = shards.of(&product.id);
    IndexKeys {
        list: list_partition(shard),
        category: product
            .category
            .as_ref()
            .map(|category| category_partition(category, shard)),
        price: format!("{:08}#{}", product.price.cents(), product.id),
        name: format!("{}\t{}", fold(product.name.as_str()), product.id),
        owner: owner_partition(&product.owner_id, shard),
    }
}

pub fn owner_partition(owner: &Id, shard: u16) -> String {
    format!("{owner}#{shard:02}")
}

pub fn list_partition(shard: u16) -> String {
    format!("all#{shard:02}")
}

pub fn category_partition(category: &Category, shard: u16) -> String {
    format!("{category}#{shard:02}", category = category.as_str())
}

pub fn search_partition(stem: &str, shard: u16) -> String {
    format!("q:{stem}#{shard:02}")
}

/// The search entries of `product`: each entry's item id and its partition (`searchKey`), one
/// per stem of its words, in its shard.
pub fn search_entries(product: &Product, shards: Shards) -> Vec<(String, String)> {
    let id = &product.id;
    let shard = shards.of(id);
    product_stems(product)
        .iter()
        .map(|stem| (entry_id(id, stem), search_partition(stem, shard)))
        .collect()
}

/// The most stems a product was filed under one by one before names were held to
/// [`MAX_NAME_STEMS`](crate::domain::product::MAX_NAME_STEMS): one with more had a single entry,
/// under a search key every search read.
const FORMER_MAX_STEMS: usize = 40;

/// The item ids of the search entries `product` may have (the same under any shard count): one
/// per stem, and, for a product of more than 40 stems stored before names were held to
/// fewer, the single entry it had then — so that a change, a relayout or a deletion removes it.
pub fn search_entry_ids(product: &Product) -> Vec<String> {
    let stems = product_stems(product);
    let mut ids: Vec<String> = stems
        .iter()
        .map(|stem| entry_id(&product.id, stem))
        .collect();
    if stems.len() > FORMER_MAX_STEMS {
        ids.push(entry_id(&product.id, "*"));
    }
    ids
}

fn entry_id(product: &Id, stem: &str) -> String {
    format!("search#{product}#{stem}")
}
