//! The route table: the one place a route is declared, with everything its function needs.
//!
//! API Gateway (and `cargo lambda watch` locally) does the routing. From this table `make gen`
//! (`tools/src/gen`) writes what is derived from it: the watch router in `Cargo.toml`, each
//! function's part of `template.yaml` (its resource, least-privilege policy and alarms), the
//! sample event skeletons and the test dispatch; a test fails, naming the file, when one of them
//! is not what the table gives. The pipeline reads it too: whether a request is authenticated
//! and counted, and which methods a path takes (405 and CORS).

use std::sync::LazyLock;

use crate::state::Needs;

pub use table::*;

/// One route: a method, a path pattern (`{name}` matches one segment), the function for it,
/// and what that function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// How API Gateway names the route (`GET /api/products/{id}`, `$default`): request lines
    /// carry it, so it is written once here rather than formatted per request.
    pub key: &'static str,
    pub function: &'static str,
    /// Requests must carry a valid token of a live session: the pipeline authenticates them
    /// before the handler runs, and hands the handler the caller (`http::caller`).
    pub auth: bool,
    /// Whether requests to it count against their client's rate limit (health's do not).
    pub counted: bool,
    /// Whether, with `REQUIRE_VERIFIED_EMAIL=true`, its caller's email must be verified (the
    /// product writes).
    pub verified: bool,
    /// What its function loads at cold start.
    pub needs: Needs,
    /// Its Lambda memory in MB: CPU grows with it, so argon2 routes get more.
    pub memory_mb: u32,
    /// Whether it runs argon2, which its p99 latency alarm allows for.
    pub hashing: bool,
    /// What the function itself may do in DynamoDB, besides what every function of its kind
    /// gets (the connection warm-up, the rate limit's counter, the authenticator's read).
    pub grants: &'static [Grant],
}

/// The tables, as the template names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TableName {
    Products,
    Users,
    Sessions,
    Limits,
    Tokens,
    Outbox,
    Idempotency,
}

/// DynamoDB actions on one table (or some of its indexes) and the conditions that narrow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub table: TableName,
    pub actions: &'static [&'static str],
    /// Indexes the actions are on, instead of the table itself.
    pub indexes: &'static [&'static str],
    /// `dynamodb:LeadingKeys` patterns the item keys must match.
    pub leading_keys: &'static [&'static str],
    /// `dynamodb:Attributes`: the only attributes a write may name.
    pub attributes: &'static [&'static str],
    /// Why, as the template's comment says it.
    pub why: &'static str,
    /// Why it is kept although no test makes the calls it allows: the role check lists every
    /// grant no recorded call used, and fails on any without this.
    pub untested: Option<&'static str>,
}

/// `actions` on `table`, for the reason `why`.
pub const fn grant(table: TableName, actions: &'static [&'static str], why: &'static str) -> Grant {
    Grant {
        table,
        actions,
        indexes: &[],
        leading_keys: &[],
        attributes: &[],
        why,
        untested: None,
    }
}

impl Grant {
    /// On these indexes of the table only.
    pub const fn on_indexes(mut self, indexes: &'static [&'static str]) -> Self {
        self.indexes = indexes;
        self
    }

    /// Only items whose partition key matches one of `patterns`.
    pub const fn leading_keys(mut self, patterns: &'static [&'static str]) -> Self {
        self.leading_keys = patterns;
        self
    }

    /// Only writes naming no other attributes than these.
    pub const fn attributes(mut self, attributes: &'static [&'static str]) -> Self {
        self.attributes = attributes;
        self
    }

    /// Kept though no test makes its calls, for `reason` (a path only a race or a storage
    /// failure reaches).
    pub const fn untested(mut self, reason: &'static str) -> Self {
        self.untested = Some(reason);
        self
    }
}

/// A route keyed `METHOD path`: authenticated, counted, on storage, 256 MB, no grants of its own.
macro_rules! route {
    ($method:literal, $path:literal, $function:literal) => {
        Route::new($method, $path, concat!($method, " ", $path), $function)
    };
}

// After the macro: the table uses it.
mod table;

impl Route {
    const fn new(
        method: &'static str,
        path: &'static str,
        key: &'static str,
        function: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            key,
            function,
            auth: true,
            counted: true,
            verified: false,
            needs: Needs {
                storage: true,
                signing_key: false,
                cursor_key: false,
                mail: false,
            },
            memory_mb: 256,
            hashing: false,
            grants: &[],
        }
    }

    /// Anyone may call it: no token is asked for.
    const fn public(mut self) -> Self {
        self.auth = false;
        self
    }

    const fn without_storage(mut self) -> Self {
        self.needs.storage = false;
        self
    }

    /// With `REQUIRE_VERIFIED_EMAIL=true`, only callers whose email is verified may use it.
    const fn verified_callers(mut self) -> Self {
        self.verified = true;
        self
    }

    /// Requests to it are never counted against a rate limit.
    const fn uncounted(mut self) -> Self {
        self.counted = false;
        self
    }

    const fn with_signing_key(mut self) -> Self {
        self.needs.signing_key = true;
        self
    }

    const fn with_cursor_key(mut self) -> Self {
        self.needs.cursor_key = true;
        self
    }

    const fn memory(mut self, mb: u32) -> Self {
        self.memory_mb = mb;
        self
    }

    /// It runs argon2: a CPU-bound 1 GB function, with the hashing latency threshold.
    const fn hashing(mut self) -> Self {
        self.hashing = true;
        self.memory_mb = 1024;
        self
    }

    const fn grants(mut self, grants: &'static [Grant]) -> Self {
        self.grants = grants;
        self
    }

    /// Whether this is the `$default` route, which answers every path no other route takes.
    pub fn is_fallback(&self) -> bool {
        self.key == FALLBACK.key
    }
}

/// The route API Gateway names `key` (`GET /api/products/{id}`), if the table has it.
pub fn route_for_key(key: &str) -> Option<&'static Route> {
    functions().find(|route| route.key == key)
}

/// Every function: each route's, and the fallback's.
pub fn functions() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().chain(std::iter::once(&FALLBACK))
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return true,
            (Some(expected), Some(actual)) => {
                let is_parameter = expected.starts_with('{') && expected.ends_with('}');
                if is_parameter && actual.is_empty() {
                    return false;
                }
                if !is_parameter && expected != actual {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The methods a path takes, as an `Allow` header value, or `None` if no route has the path.
pub fn allowed_methods(path: &str) -> Option<String> {
    let methods: Vec<&str> = ROUTES
        .iter()
        .filter(|route| path_matches(route.path, path))
        .map(|route| route.method)
        .collect();
    if methods.is_empty() {
        None
    } else {
        Some(format!("{}, OPTIONS", methods.join(", ")))
    }
}

/// Every method some route takes, and `OPTIONS`: what CORS preflights allow.
pub fn all_methods() -> &'static str {
    static METHODS: LazyLock<String> = LazyLock::new(|| {
        let mut methods: Vec<&str> = Vec::new();
        for route in ROUTES {
            if !methods.contains(&route.method) {
                methods.push(route.method);
            }
        }
        methods.push("OPTIONS");
        methods.join(", ")
    });
    &METHODS
}

/// The paths of the API, each once, in the table's order.
pub fn paths() -> Vec<&'static str> {
    let mut paths: Vec<&str> = Vec::new();
    for route in ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_item_path_takes_get_put_patch_and_delete() {
        assert_eq!(
            allowed_methods("/api/products/abc").as_deref(),
            Some("GET, PUT, PATCH, DELETE, OPTIONS")
        );
    }

    #[test]
    fn collection_path_takes_get_and_post() {
        assert_eq!(
            allowed_methods("/api/products").as_deref(),
            Some("GET, POST, OPTIONS")
        );
    }

    #[test]
    fn unknown_paths_take_nothing() {
        for path in [
            "/api/nope",
            "/api/products/",
            "/api/products/a/b",
            "/",
            "/api",
        ] {
            assert_eq!(allowed_methods(path), None, "{path}");
        }
    }

    #[test]
    fn preflights_allow_every_method_of_the_table() {
        let methods: Vec<&str> = all_methods().split(", ").collect();
        for route in ROUTES {
            assert!(methods.contains(&route.method), "{}", route.key);
        }
        assert_eq!(methods.last(), Some(&"OPTIONS"));
    }

    #[test]
    fn keys_and_functions_are_unique() {
        let mut keys: Vec<&str> = functions().map(|route| route.key).collect();
        let mut names: Vec<&str> = functions().map(|route| route.function).collect();
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!((keys.len(), names.len()), (count, count));
    }
}
