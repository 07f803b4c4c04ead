//! The tools behind `make dev`, `make migrate`, `make scale` and `make bench` (their binaries
//! are in `src/bin`): what is shared among them is the configuration the table tools read and
//! the benchmark's statistics and report.

pub mod bench;
pub mod migrate;

/// The functions' configuration from the environment, for a tool that works on the tables
/// (their names, the listing shards) and holds no key; the tool `name` exits with the reason if
/// the configuration is invalid.
pub fn table_config(name: &str) -> shared::Config {
    let config = shared::Config::from_lookup(|variable| {
        // No key is needed to work on tables: a placeholder stands in for the public keys.
        if variable == "JWT_PUBLIC_KEYS" {
            Some("A".repeat(43))
        } else {
            std::env::var(variable).ok()
        }
    });
    config.unwrap_or_else(|error| {
        eprintln!("{name}: {error}");
        std::process::exit(1);
    })
}
