//! `make migrate`: brings every product of the products table to the current layout
//! (`shared::store::products::relayout`), page by page of a scan. Safe while the API serves:
//! each product is rewritten on the condition that it did not change since it was read (one
//! that did is looked at again). Run again, it finds nothing to do.

use shared::store::listing::Shards;
use shared::store::products::{self, Products, Relayout};
use shared::ApiError;

/// How many times one product is looked at again when it keeps changing under the migration.
const ATTEMPTS: usize = 5;

/// What [`migrate`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Products read.
    pub examined: usize,
    /// Products rewritten: index keys missing or under another shard count, or not counted.
    pub rewritten: usize,
    /// Products counted in the totals for the first time.
    pub counted: usize,
}

/// Brings every product to the current layout under `shards`.
pub async fn migrate(table: Products<'_>, shards: Shards) -> Result<Migration, ApiError> {
    let mut done = Migration::default();
    let mut start = None;
    loop {
        let (items, next) = products::scan_page(table, start).await?;
        for item in items {
            if products::is_product(&item) {
                done.examined += 1;
                if let Some(counted) = migrate_one(table, item, shards).await? {
                    done.rewritten += 1;
                    done.counted += usize::from(counted);
                }
            }
        }
        start = next;
        if start.is_none() {
            return Ok(done);
        }
    }
}

/// Brings one product up to date: `Some(counted now)` if it was rewritten.
async fn migrate_one(
    table: Products<'_>,
    mut item: shared::store::Item,
    shards: Shards,
) -> Result<Option<bool>, ApiError> {
    for _ in 0..ATTEMPTS {
        match products::relayout(table, item, shards).await? {
            Relayout::Current | Relayout::Gone => return Ok(None),
            Relayout::Rewritten { counted } => return Ok(Some(counted)),
            Relayout::Changed(again) => item = again,
        }
    }
    Err(ApiError::Unavailable {
        context: "migrate product",
        retry_after: 1,
        source: "the product kept changing under concurrent writes".into(),
    })
}
