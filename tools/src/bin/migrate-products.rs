//! Brings every product in `PRODUCTS_TABLE` to the current layout: the listing indexes' keys
//! under the shards the functions use (`PEAK_CREATES_PER_SECOND`'s, or `LISTING_SHARDS`), its
//! search entries one per stem, and each product counted once in the totals. Items written
//! before the sharded indexes, under another shard count or an older word index, are
//! rewritten; run again, it finds nothing to do. Safe while the API serves (see `tools::migrate`).
//! `make migrate` runs it against `AWS_ENDPOINT_URL_DYNAMODB` or, with that unset, the account
//! and region of the environment's AWS credentials; `make dev` runs it after creating tables.

use shared::store::listing::Shards;
use shared::store::Table;

#[tokio::main]
async fn main() {
    let config = tools::table_config("migrate-products");
    let client = shared::store::client::from_env();
    let shards = Shards::configured(&config);
    let table = Table::new(
        &client,
        config.tables.get(shared::tables::TableName::Products),
    );
    match tools::migrate::migrate(table, shards).await {
        Ok(done) => println!(
            "products migrated to {} listing shards: {} examined, {} rewritten, {} counted in the totals for the first time",
            shards.count(),
            done.examined,
            done.rewritten,
            done.counted
        ),
        Err(error) => {
            eprintln!("migrate-products: {error}");
            std::process::exit(1);
        }
    }
}
