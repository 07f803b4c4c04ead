//! Which functions `make bench` runs, in which order, how often and with what answer expected;
//! and those it does not run, with the reason. Every function of the manifest is one or the
//! other: a new route fails the test below until it is placed.

/// A benchmarked function: the event it is given (its name in the results), warm invocations,
/// the status each invocation must answer, and settings it runs with on top of the bench's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub function: &'static str,
    pub event: &'static str,
    pub warm_runs: usize,
    pub status: u16,
    pub env: &'static [(&'static str, &'static str)],
}

/// The products table of the same products under the shards of a deployment that declares
/// 10,000 creates a second, which the [`SPREAD_PAGES`] read.
pub const SPREAD_PRODUCTS_TABLE: &str = "bench-products-spread";

/// The declared peak create rate of the [`SPREAD_PAGES`].
pub const SPREAD_RATE: &str = "10000";

/// What the functions run with to read the [`SPREAD_PRODUCTS_TABLE`].
const SPREAD: &[(&str, &str)] = &[
    ("PEAK_CREATES_PER_SECOND", SPREAD_RATE),
    ("PRODUCTS_TABLE", SPREAD_PRODUCTS_TABLE),
];

/// The list pages measured at the default deployment's one shard, with their queries.
pub const PAGES: [(&str, &str); 3] = [
    ("list-products", ""),
    ("list-products limit=100", "limit=100"),
    ("list-products limit=100 sort=price", "limit=100&sort=price"),
];

/// The same pages at the shards of 10,000 creates a second.
pub const SPREAD_PAGES: [(&str, &str); 3] = [
    ("list-products @10k/s", ""),
    ("list-products limit=100 @10k/s", "limit=100"),
    (
        "list-products limit=100 sort=price @10k/s",
        "limit=100&sort=price",
    ),
];

/// Warm invocations of most functions.
pub const WARM_RUNS: usize = 300;
/// Warm invocations of those that run argon2 (each takes tens of milliseconds).
pub const SLOW_WARM_RUNS: usize = 200;
/// Warm invocations of complete-image: each needs an upload of its own, a 2 MB photo the
/// S3 emulator keeps in memory.
pub const COMPLETE_WARM_RUNS: usize = 100;
/// Jobs the image worker is timed on, each the 2 MB photo of one completed upload: the first of
/// a fresh process (its cold start), then warm ones in one process.
pub const IMAGER_COLD_RUNS: usize = 5;
pub const IMAGER_WARM_RUNS: usize = 20;

const fn planned(function: &'static str, warm_runs: usize, status: u16) -> Planned {
    planned_with(function, function, warm_runs, status)
}

/// A function run with an event of its own (one function, several requests).
const fn planned_with(
    function: &'static str,
    event: &'static str,
    warm_runs: usize,
    status: u16,
) -> Planned {
    Planned {
        function,
        event,
        warm_runs,
        status,
        env: &[],
    }
}

/// In the order they run: delete-product last, since each of its runs deletes a product.
pub const PLAN: &[Planned] = &[
    planned("health", WARM_RUNS, 200),
    planned("fallback", WARM_RUNS, 404),
    planned("jwks", WARM_RUNS, 200),
    planned("list-sessions", WARM_RUNS, 200),
    planned("register", SLOW_WARM_RUNS, 201),
    planned("login", SLOW_WARM_RUNS, 200),
    planned("profile", WARM_RUNS, 200),
    planned("list-products", WARM_RUNS, 200),
    planned_with("list-products", PAGES[1].0, WARM_RUNS, 200),
    planned_with("list-products", PAGES[2].0, WARM_RUNS, 200),
    Planned {
        env: SPREAD,
        ..planned_with("list-products", SPREAD_PAGES[0].0, WARM_RUNS, 200)
    },
    Planned {
        env: SPREAD,
        ..planned_with("list-products", SPREAD_PAGES[1].0, WARM_RUNS, 200)
    },
    Planned {
        env: SPREAD,
        ..planned_with("list-products", SPREAD_PAGES[2].0, WARM_RUNS, 200)
    },
    planned("get-product", WARM_RUNS, 200),
    planned("create-product", WARM_RUNS, 201),
    planned_with(
        "create-product",
        "create-product Idempotency-Key",
        WARM_RUNS,
        201,
    ),
    planned_with(
        "create-product",
        "create-product Idempotency-Key replayed",
        WARM_RUNS,
        201,
    ),
    planned("update-product", WARM_RUNS, 200),
    planned("patch-product", WARM_RUNS, 200),
    planned("forgot-password", WARM_RUNS, 202),
    // A pending image on each of the first products, one per run; the uploads of the first
    // `COMPLETE_RUNS` are then sent as a client sends them, and completed.
    planned("create-image-upload", WARM_RUNS, 201),
    planned("complete-image", COMPLETE_WARM_RUNS, 202),
    planned("update-profile", WARM_RUNS, 200),
    planned("delete-product", WARM_RUNS, 204),
];

/// Functions not benchmarked, and why.
pub const NOT_RUN: &[(&str, &str)] = &[
    ("logout", "each run ends the session the other runs use"),
    ("logout-all", "each run ends every session of the seeded account"),
    ("end-session", "each run needs a live session of its own to end"),
    (
        "change-password",
        "two argon2 operations, as register and login measure, and each run ends the other sessions",
    ),
    (
        "reset-password",
        "each run needs a fresh token, which only a mail carries",
    ),
    (
        "verify-email",
        "each run needs a fresh token, which only a mail carries",
    ),
    (
        "resend-verification",
        "three runs an hour per account, by the contract",
    ),
    ("delete-account", "each run deletes the account the others use"),
    ("delete-image", "each run needs an image of its own to delete"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use shared::deploy::http_functions;

    #[test]
    fn every_function_of_the_route_table_is_benchmarked_or_said_not_to_be() {
        for route in http_functions() {
            let planned = PLAN.iter().any(|p| p.function == route.function);
            let not_run = NOT_RUN.iter().any(|(f, _)| *f == route.function);
            assert!(
                planned != not_run,
                "{}: place it in the benchmark's PLAN or NOT_RUN (once)",
                route.function
            );
        }
        for name in PLAN
            .iter()
            .map(|p| p.function)
            .chain(NOT_RUN.iter().map(|(f, _)| *f))
        {
            assert!(
                http_functions().any(|route| route.function == name),
                "{name} is no function of the manifest"
            );
        }
    }
}
