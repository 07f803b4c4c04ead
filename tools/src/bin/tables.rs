//! Prints each table's environment variable and local name (`PRODUCTS_TABLE=products`), one per
//! line, from the one list of the tables (`shared::tables`): the scripts export them from here
//! rather than keep a list of their own. `tables PREFIX` puts `PREFIX` before each name (the
//! end-to-end run's own tables).

use shared::tables::TableName;

fn main() {
    let prefix = std::env::args().nth(1).unwrap_or_default();
    for table in TableName::ALL {
        println!("{}={prefix}{}", table.variable(), table.local_name());
    }
}
