//! Listing pages from the products table's sorted, write-sharded indexes.
//!
//! Every product sits in one of `N` shards (chosen from its id; as many as the deployment's
//! declared peak create rate needs, one by default), so the writes of a busy catalogue spread
//! over `N` partition key values of each index instead of piling onto one. Each order has two
//! indexes, over all products (`all#00`) and over one category (`books#00`); the sort key keeps
//! the order with the id as the tie-break:
//!
//! | order | index (all / category) | sort key |
//! |---|---|---|
//! | `-createdAt`, `createdAt` | `byShardCreated` / `byCategoryCreated` | `id` (ids sort by time) |
//! | `price`, `-price` | `byShardPrice` / `byCategoryPrice` | `priceKey`: `00002990#<id>` |
//! | `name` | `byShardName` / `byCategoryName` | `nameKey`: folded name, a tab, the id |
//!
//! A page reads every shard from the previous page's position onwards, a few items at a time,
//! and merges them: the position — the last sort key given — is the whole cursor, the same for
//! every shard, so nothing is skipped or repeated across pages. With one shard a page is one
//! Query of `limit + 1` items. A price range under a price order is a key condition; under
//! another order it is checked here, with at most [`FILTER_WINDOW`] × `limit` items examined
//! per page.
//!
//! Search reads the word index: each product has one search entry per stem of its words (the
//! first three letters, [`stems`](crate::domain::words::stems)), a copy of the product filed
//! under `q:lam#00`, written in the same transaction as the product. A search reads the entries
//! under its longest word's stem, in the order asked for (three more indexes, keyed as above
//! with `productId` for creation), and checks the words, category and price here, within the
//! same window. No search key is shared by every product: a name may have at most
//! [`MAX_NAME_STEMS`](crate::domain::product::MAX_NAME_STEMS) stems. Search words all shorter
//! than a stem are checked on the listing itself.
//!
//! Every request's work is bounded: what DynamoDB returns to it, every Query together, is at
//! most [`read_bound`] items, and no Query asks for more than what is left of it. A page the
//! bound cuts short ends with the position it reached, to go on from.

use std::collections::VecDeque;

use aws_sdk_dynamodb::types::ReturnConsumedCapacity;

use super::products::{product_from_item, Products};
use super::values::{s, text_of};
use super::{storage_error, Item};
use crate::domain::{CatalogueQuery, Product, Sort};
use crate::error::ApiError;
use crate::join::join_all;

pub const BY_SHARD_CREATED: &str = "byShardCreated";
pub const BY_SHARD_PRICE: &str = "byShardPrice";
pub const BY_SHARD_NAME: &str = "byShardName";
pub const BY_CATEGORY_CREATED: &str = "byCategoryCreated";
pub const BY_CATEGORY_PRICE: &str = "byCategoryPrice";
pub const BY_CATEGORY_NAME: &str = "byCategoryName";
pub const BY_SEARCH_CREATED: &str = "bySearchCreated";
pub const BY_SEARCH_PRICE: &str = "bySearchPrice";
pub const BY_SEARCH_NAME: &str = "bySearchName";

/// How many times `limit` a page whose filter no index serves may examine: past it, the page
/// ends with a `nextCursor`.
pub const FILTER_WINDOW: usize = 10;

/// The most items a partition is asked for at once.
const MAX_CHUNK: usize = 1_000;

/// The most items one request reads from DynamoDB, every Query together: `limit` times
/// `FILTER_WINDOW`, or times `page` for a deeper numbered page (a cursor page counts as page 1);
/// twice that over several shards, where each is first asked for twice its fair share; and one
/// more per shard — what it takes to know whether each goes on. Page numbers reach
/// `page × limit` = 1,000 at most, so no request reads more than 1,001 items from one shard, or
/// 2,000 and one per shard from several.
pub fn read_bound(limit: usize, page: usize, shards: Shards) -> usize {
    let spread = if shards.count() > 1 { 2 } else { 1 };
    limit * page.max(FILTER_WINDOW) * spread + usize::from(shards.count())
}

pub use super::layout::{
    category_partition, index_keys, list_partition, owner_partition, search_entries,
    search_entry_ids, search_partition, IndexKeys, Shards, MAX_SHARDS,
};

/// What a page reads of each item: the product's own fields and the sort keys the merge orders
/// by — not the index keys it was found by, nor the other attributes only its own item needs.
/// DynamoDB bills a Query by the items' whole size either way; fewer attributes are less to send
/// and to decode (a page of 100 decodes 101 items). Every name is a placeholder, as some
/// (`name`) are reserved words.
const PROJECTION: (&str, [(&str, &str); 13]) = (
    "#p0, #p1, #p2, #p3, #p4, #p5, #p6, #p7, #p8, #p9, #p10, #p11, #p12",
    [
        ("#p0", "id"),
        ("#p1", "ownerId"),
        ("#p2", "name"),
        ("#p3", "priceCents"),
        ("#p4", "description"),
        ("#p5", "category"),
        ("#p6", "createdAt"),
        ("#p7", "updatedAt"),
        ("#p8", "version"),
        ("#p9", "productId"),
        ("#p10", "priceKey"),
        ("#p11", "nameKey"),
        ("#p12", "images"),
    ],
);

fn projected_names() -> std::collections::HashMap<String, String> {
    PROJECTION
        .1
        .iter()
        .map(|(placeholder, name)| ((*placeholder).to_owned(), (*name).to_owned()))
        .collect()
}

/// The index, key attributes and partitions that serve a query, and the sort key range it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub index: &'static str,
    pub partition_attribute: &'static str,
    pub sort_attribute: &'static str,
    pub partitions: Vec<String>,
    pub descending: bool,
    /// The lowest and highest sort keys read, both inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Plan {
    pub fn for_query(query: &CatalogueQuery, shards: Shards) -> Self {
        let shard_range = 0..shards.count();
        let stem = query.search.as_ref().and_then(|search| search.stem());
        if let Some(stem) = stem {
            let (index, sort_attribute) = match query.sort {
                Sort::NewestFirst | Sort::OldestFirst => (BY_SEARCH_CREATED, "productId"),
                Sort::CheapestFirst | Sort::DearestFirst => (BY_SEARCH_PRICE, "priceKey"),
                Sort::Name => (BY_SEARCH_NAME, "nameKey"),
            };
            let partitions = shard_range
                .map(|shard| search_partition(&stem, shard))
                .collect();
            let (from, to) = price_bounds(query, sort_attribute);
            return Self {
                index,
                partition_attribute: "searchKey",
                sort_attribute,
                partitions,
                descending: query.sort.descending(),
                from,
                to,
            };
        }
        let (sort_attribute, all, in_category) = match query.sort {
            Sort::NewestFirst | Sort::OldestFirst => ("id", BY_SHARD_CREATED, BY_CATEGORY_CREATED),
            Sort::CheapestFirst | Sort::DearestFirst => {
                ("priceKey", BY_SHARD_PRICE, BY_CATEGORY_PRICE)
            }
            Sort::Name => ("nameKey", BY_SHARD_NAME, BY_CATEGORY_NAME),
        };
        let (index, partition_attribute, partitions) = match &query.category {
            Some(category) => (
                in_category,
                "categoryKey",
                shard_range
                    .map(|shard| category_partition(category, shard))
                    .collect(),
            ),
            None => (all, "listKey", shard_range.map(list_partition).collect()),
        };
        let (from, to) = price_bounds(query, sort_attribute);
        Self {
            index,
            partition_attribute,
            sort_attribute,
            partitions,
            descending: query.sort.descending(),
            from,
            to,
        }
    }

    /// Whether the index itself serves every filter of `query` (then every item read belongs).
    fn serves(&self, query: &CatalogueQuery) -> bool {
        query.search.is_none() && (query.price.is_open() || self.sort_attribute == "priceKey")
    }
}

/// A price range, as a range of the price indexes' keys under a price order: `#` sorts below
/// every id and `~` above.
fn price_bounds(query: &CatalogueQuery, sort_attribute: &str) -> (Option<String>, Option<String>) {
    if sort_attribute == "priceKey" {
        (
            query.price.min.map(|min| format!("{:08}#", min.cents())),
            query.price.max.map(|max| format!("{:08}#~", max.cents())),
        )
    } else {
        (None, None)
    }
}

/// A page of a listing and where the next one starts.
#[derive(Debug)]
pub struct Page {
    pub products: Vec<Product>,
    /// The sort key of the last item examined, if the listing may go on past it.
    pub next: Option<String>,
    /// The items DynamoDB returned to make the page, every Query together (at most
    /// [`read_bound`]).
    pub read: usize,
    /// The read units those Queries consumed, as DynamoDB reports them.
    pub read_units: f64,
}

/// The page of `query` after `after` (a [`Page::next`] of the same query): up to `limit`
/// products, in order.
pub async fn page(
    table: Products<'_>,
    query: &CatalogueQuery,
    shards: Shards,
    after: Option<&str>,
    limit: usize,
) -> Result<Page, ApiError> {
    numbered_page_after(table, query, shards, after, 1, limit).await
}

/// Page `number` (1-based) of `query`: the same products as following the cursors from the first
/// page would give, read in one pass within [`read_bound`]; a page the bound does not reach ends
/// early (empty, if none of its products was reached) with the position to go on from.
pub async fn numbered_page(
    table: Products<'_>,
    query: &CatalogueQuery,
    shards: Shards,
    number: usize,
    limit: usize,
) -> Result<Page, ApiError> {
    numbered_page_after(table, query, shards, None, number, limit).await
}

async fn numbered_page_after(
    table: Products<'_>,
    query: &CatalogueQuery,
    shards: Shards,
    after: Option<&str>,
    number: usize,
    limit: usize,
) -> Result<Page, ApiError> {
    let plan = Plan::for_query(query, shards);
    let budget = read_bound(limit, number, shards);
    let chunk = first_read(&plan, query, limit, number);
    let mut walk = Walk::new(table, &plan, after, chunk, budget);
    let mut products = next_page(&mut walk, &plan, query, limit).await?;
    for _ in 1..number {
        if walk.is_finished() || walk.spent {
            products.clear();
            break;
        }
        products = next_page(&mut walk, &plan, query, limit).await?;
    }
    let next = if walk.is_finished() {
        None
    } else {
        walk.position.clone()
    };
    Ok(Page {
        products,
        next,
        read: walk.read,
        read_units: walk.read_units,
    })
}

/// How many items a page of `limit`, `number` pages deep, expects to examine: every item, where
/// the index serves the query's filters; otherwise a guess of twice as many, which later reads
/// double until the page is full or the bound is reached.
fn expected_reads(plan: &Plan, query: &CatalogueQuery, limit: usize, number: usize) -> usize {
    if plan.serves(query) {
        limit * number
    } else {
        2 * limit * number
    }
}

/// Takes the next page's products off `walk`: stops at `limit` products, or, where the index does
/// not serve every filter, after `FILTER_WINDOW × limit` items examined, or where the walk's
/// bound is reached.
async fn next_page(
    walk: &mut Walk<'_>,
    plan: &Plan,
    query: &CatalogueQuery,
    limit: usize,
) -> Result<Vec<Product>, ApiError> {
    let served = plan.serves(query);
    let window = if served { limit } else { limit * FILTER_WINDOW };
    let mut products = Vec::new();
    let mut examined = 0;
    while products.len() < limit && examined < window {
        let Some(item) = walk.next().await? else {
            break;
        };
        examined += 1;
        let product = product_from_listed(item)?;
        if served || query.matches(&product) {
            products.push(product);
        }
    }
    Ok(products)
}

/// The product of an item of a listing index, or of a search entry (a copy filed under
/// `productId`).
fn product_from_listed(mut item: Item) -> Result<Product, ApiError> {
    if let Some(id) = item.remove("productId") {
        item.insert("id".to_owned(), id);
    }
    product_from_item(item)
}

/// One shard's part of a walk: what was read and not yet taken, and where its reading goes on.
struct Stream {
    partition: String,
    buffer: VecDeque<(String, Item)>,
    /// The `LastEvaluatedKey` to go on from, once the shard has been read.
    resume: Option<Item>,
    finished: bool,
    /// How many items the shard is asked for next.
    chunk: usize,
}

/// The merge of every shard of a plan, in order, from a position on, within a bound on the items
/// read.
struct Walk<'a> {
    table: Products<'a>,
    plan: &'a Plan,
    after: Option<&'a str>,
    streams: Vec<Stream>,
    /// The sort key of the last item taken (at first, the position the walk started after).
    position: Option<String>,
    /// Items read from DynamoDB so far, and how many more may be.
    read: usize,
    budget: usize,
    read_units: f64,
    /// Whether the walk stopped because a shard it must read next is past the budget.
    spent: bool,
}

/// How many items a walk asks each partition of `plan` for at first, when a page of it expects
/// to examine `expected` items: twice a fair share and a little more, so that on ids spread
/// evenly one round trip to each shard nearly always covers the page.
pub fn shard_read_size(plan: &Plan, expected: usize) -> usize {
    let shards = plan.partitions.len().max(1);
    (2 * expected.div_ceil(shards) + 2)
        .min(expected + 1)
        .min(MAX_CHUNK)
}

/// How many items each partition of `plan` is first asked for by page `number` of `limit`.
pub fn first_read(plan: &Plan, query: &CatalogueQuery, limit: usize, number: usize) -> usize {
    shard_read_size(plan, expected_reads(plan, query, limit, number))
}

impl<'a> Walk<'a> {
    fn new(
        table: Products<'a>,
        plan: &'a Plan,
        after: Option<&'a str>,
        chunk: usize,
        budget: usize,
    ) -> Self {
        let streams = plan
            .partitions
            .iter()
            .map(|partition| Stream {
                partition: partition.clone(),
                buffer: VecDeque::new(),
                resume: None,
                finished: false,
                chunk,
            })
            .collect();
        let mut walk = Self {
            table,
            plan,
            after,
            streams,
            position: after.map(str::to_owned),
            read: 0,
            budget,
            read_units: 0.0,
            spent: false,
        };
        // A position past the end of the range (or a range that is empty) reads nothing.
        let (from, to) = walk.bounds();
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                walk.streams.iter_mut().for_each(|s| s.finished = true);
            }
        }
        walk
    }

    /// The sort keys read, both inclusive: the plan's range narrowed to what follows `after`.
    fn bounds(&self) -> (Option<&'a str>, Option<&'a str>) {
        let (mut from, mut to) = (self.plan.from.as_deref(), self.plan.to.as_deref());
        if let Some(after) = self.after {
            if self.plan.descending {
                to = Some(to.map_or(after, |to| to.min(after)));
            } else {
                from = Some(from.map_or(after, |from| from.max(after)));
            }
        }
        (from, to)
    }

    fn is_finished(&self) -> bool {
        self.streams
            .iter()
            .all(|stream| stream.finished && stream.buffer.is_empty())
    }

    /// The next item in order; `None` once every shard is read out, or once a shard that must be
    /// read before the merge goes on is past the budget (then `spent`).
    async fn next(&mut self) -> Result<Option<Item>, ApiError> {
        if self.spent {
            return Ok(None);
        }
        let empty: Vec<usize> = (0..self.streams.len())
            .filter(|&i| self.streams[i].buffer.is_empty() && !self.streams[i].finished)
            .collect();
        if !empty.is_empty() && !self.read(&empty).await? {
            self.spent = true;
            return Ok(None);
        }
        let descending = self.plan.descending;
        let next = self
            .streams
            .iter()
            .enumerate()
            .filter_map(|(i, stream)| stream.buffer.front().map(|(key, _)| (i, key)))
            .reduce(|best, candidate| {
                let later = if descending {
                    candidate.1 > best.1
                } else {
                    candidate.1 < best.1
                };
                if later {
                    candidate
                } else {
                    best
                }
            })
            .map(|(i, _)| i);
        let Some((key, item)) = next.and_then(|i| self.streams[i].buffer.pop_front()) else {
            return Ok(None);
        };
        self.position = Some(key);
        Ok(Some(item))
    }

    /// Reads the next chunk of the shards `which`, at once, each asked for no more than its share
    /// of what the budget has left. A shard that returns nothing but may hold more is read again
    /// before the merge goes on. `false` if the budget cannot give each a share.
    async fn read(&mut self, which: &[usize]) -> Result<bool, ApiError> {
        let mut pending = which.to_vec();
        while !pending.is_empty() {
            let share = (self.budget - self.read) / pending.len();
            if share == 0 {
                return Ok(false);
            }
            let reads = pending.iter().map(|&i| {
                let stream = &self.streams[i];
                self.query(stream, stream.chunk.min(share))
            });
            let outputs = join_all(reads).await;
            let mut again = Vec::new();
            for (&i, output) in pending.iter().zip(outputs) {
                let output = output?;
                let stream = &mut self.streams[i];
                let items = output.items.unwrap_or_default();
                self.read += items.len();
                self.read_units += output
                    .consumed_capacity
                    .and_then(|consumed| consumed.capacity_units)
                    .unwrap_or(0.0);
                for item in items {
                    let Some(key) = text_of(&item, self.plan.sort_attribute).map(str::to_owned)
                    else {
                        continue;
                    };
                    // The position itself was the previous page's last item.
                    if Some(key.as_str()) != self.after {
                        stream.buffer.push_back((key, item));
                    }
                }
                stream.resume = output.last_evaluated_key;
                stream.finished = stream.resume.is_none();
                // What a shard holds beyond its first read is read in growing steps.
                stream.chunk = (stream.chunk * 2).min(MAX_CHUNK);
                if stream.buffer.is_empty() && !stream.finished {
                    again.push(i);
                }
            }
            pending = again;
        }
        Ok(true)
    }

    fn query(
        &self,
        stream: &Stream,
        limit: usize,
    ) -> impl std::future::Future<
        Output = Result<aws_sdk_dynamodb::operation::query::QueryOutput, ApiError>,
    > + 'a {
        let (from, to) = self.bounds();
        let mut condition = "#partition = :partition".to_owned();
        let mut request = self
            .table
            .client
            .query()
            .table_name(self.table.name)
            .index_name(self.plan.index)
            .expression_attribute_values(":partition", s(&stream.partition))
            .scan_index_forward(!self.plan.descending)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .projection_expression(PROJECTION.0)
            .set_expression_attribute_names(Some(projected_names()))
            .expression_attribute_names("#partition", self.plan.partition_attribute)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(stream.resume.clone());
        match (from, to) {
            (Some(from), Some(to)) => {
                condition.push_str(" AND #sort BETWEEN :from AND :to");
                request = request
                    .expression_attribute_values(":from", s(from))
                    .expression_attribute_values(":to", s(to));
            }
            (Some(from), None) => {
                condition.push_str(" AND #sort >= :from");
                request = request.expression_attribute_values(":from", s(from));
            }
            (None, Some(to)) => {
                condition.push_str(" AND #sort <= :to");
                request = request.expression_attribute_values(":to", s(to));
            }
            (None, None) => {}
        }
        if from.is_some() || to.is_some() {
            request = request.expression_attribute_names("#sort", self.plan.sort_attribute);
        }
        let request = request.key_condition_expression(condition);
        async move {
            request
                .send()
                .await
                .map_err(|e| storage_error("query products", e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::domain::{Category, Id, Price};
    use crate::domain::{PriceRange, ProductName, Search};

    fn product(name: &str, cents: u64, category: Option<&str>) -> Product {
        let now = Timestamp::from_millis(1_700_000_000_000);
        Product {
            id: Id::generate(now).expect("id"),
            name: ProductName::from_stored(name.to_owned()),
            price: Price::from_cents(cents).expect("price"),
            description: None,
            category: category.map(|c| Category::parse_str(c).expect("category")),
            owner_id: Id::generate(now).expect("id"),
            created_at: now,
            updated_at: now,
            version: 1,
            images: crate::domain::image::Images::default(),
        }
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let shards = Shards::new(16).expect("shards");
        let now = Timestamp::from_millis(1_700_000_000_000);
        let mut counts = [0usize; 16];
        for _ in 0..1_600 {
            let id = Id::generate(now).expect("id");
            assert_eq!(shards.of(&id), shards.of(&id));
            counts[usize::from(shards.of(&id))] += 1;
        }
        assert!(
            counts.iter().all(|&count| (50..=150).contains(&count)),
            "{counts:?}"
        );
        assert_eq!(Shards::new(0), None);
        assert_eq!(Shards::new(MAX_SHARDS + 1), None);
    }

    #[test]
    fn price_keys_sort_as_prices_and_name_keys_as_folded_names() {
        let shards = Shards::new(16).expect("shards");
        let cheap = index_keys(&product("b", 990, None), shards);
        let dear = index_keys(&product("a", 10_000, None), shards);
        assert!(cheap.price < dear.price);
        let short = index_keys(&product("Lamp", 1, None), shards);
        let longer = index_keys(&product("lamp shade", 1, None), shards);
        let accented = index_keys(&product("Éclair", 1, None), shards);
        let plain = index_keys(&product("eclairs", 1, None), shards);
        assert!(short.name < longer.name);
        assert!(accented.name < plain.name);
        assert_eq!(short.category, None);
        let in_books = index_keys(&product("x", 1, Some("books")), shards);
        assert!(in_books.category.expect("category").starts_with("books#"));
    }

    #[test]
    fn a_price_range_is_a_key_range_only_under_a_price_order() {
        let price = |cents| Price::from_cents(cents);
        let range = PriceRange::new(price(100), price(250)).expect("range");
        let by_price = CatalogueQuery {
            sort: Sort::CheapestFirst,
            price: range,
            ..CatalogueQuery::default()
        };
        let plan = Plan::for_query(&by_price, Shards::ONE);
        assert_eq!(plan.index, BY_SHARD_PRICE);
        assert_eq!(plan.partitions, ["all#00"]);
        assert_eq!(plan.from.as_deref(), Some("00000100#"));
        assert_eq!(plan.to.as_deref(), Some("00000250#~"));
        assert!(plan.serves(&by_price));

        let by_name = CatalogueQuery {
            sort: Sort::Name,
            price: range,
            ..CatalogueQuery::default()
        };
        let plan = Plan::for_query(&by_name, Shards::ONE);
        assert_eq!((plan.from, plan.to), (None, None));
        assert!(!Plan::for_query(&by_name, Shards::ONE).serves(&by_name));

        let searched = CatalogueQuery {
            search: Some(Search::parse("lamp").expect("search")),
            category: Category::parse_str("lighting"),
            ..CatalogueQuery::default()
        };
        let plan = Plan::for_query(&searched, Shards::new(4).expect("shards"));
        assert_eq!(plan.index, BY_SEARCH_CREATED);
        assert_eq!(
            plan.partitions,
            ["q:lam#00", "q:lam#01", "q:lam#02", "q:lam#03"]
        );
        assert!(!plan.serves(&searched));
        let short_words = CatalogueQuery {
            search: Some(Search::parse("tv").expect("search")),
            ..searched
        };
        let plan = Plan::for_query(&short_words, Shards::new(4).expect("shards"));
        assert_eq!(plan.index, BY_CATEGORY_CREATED);
        assert_eq!(
            plan.partitions,
            ["lighting#00", "lighting#01", "lighting#02", "lighting#03"]
        );
    }

    #[test]
    fn a_request_reads_at_most_ten_pages_or_its_page_number_of_items_and_one_per_shard() {
        let one = Shards::ONE;
        assert_eq!(read_bound(20, 1, one), 201);
        assert_eq!(read_bound(100, 10, one), 1_001);
        assert_eq!(read_bound(1, 1_000, one), 1_001);
        assert_eq!(read_bound(100, 1, Shards::new(10).expect("shards")), 2_010);
        // What each partition is first asked for: a page of 20 from one partition is one Query
        // of 21; a deep numbered page asks for everything up to it at once.
        let query = CatalogueQuery::default();
        let plan = Plan::for_query(&query, one);
        assert_eq!(first_read(&plan, &query, 20, 1), 21);
        assert_eq!(first_read(&plan, &query, 100, 10), MAX_CHUNK);
        let ten = Plan::for_query(&query, Shards::new(10).expect("shards"));
        assert_eq!(first_read(&ten, &query, 20, 1), 6);
    }
}
