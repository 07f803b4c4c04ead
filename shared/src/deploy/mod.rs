//! The deployment manifest: every function of the API, an HTTP route's or a stream worker's, with
//! its trigger, who may call it, its memory and what it may do in AWS. It is the one place a
//! function is declared (`functions.rs`); `make gen` writes from it what derives from it (the
//! watch router in `Cargo.toml`, each function's part of `template.yaml` with its least-privilege
//! policy and alarms, the sample event skeletons, the test dispatch), and a test fails, naming
//! the file, when one of them is not what the manifest gives.
//!
//! Grants name the store's own constants (tables, indexes, key prefixes), so renaming an index or
//! a key cannot leave a stale permission behind. The pipeline reads the manifest too: whether a
//! request is counted, and which methods a path takes (405 and CORS).

mod functions;

use std::marker::PhantomData;
use std::ops::Deref;

pub use functions::*;

use crate::state::Needs;
use crate::tables::TableName;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// Anyone: no token is asked for.
    Anyone,
    /// A caller with a valid token of a live session.
    SignedIn,
    /// A signed-in caller whose email is verified, when `REQUIRE_VERIFIED_EMAIL=true` (the
    /// product writes); any signed-in caller otherwise.
    Verified,
}

/// Who may call a route, as a type: an HTTP function's entry carries it, and a handler can only
/// ask for what its route's callers give (`http::extract`): asking for a caller on a public
/// route does not compile.
pub trait Access: 'static {
    const CALLERS: Callers;
}

/// Anyone may call it.
#[derive(Debug)]
pub enum Public {}
/// Signed-in callers only.
#[derive(Debug)]
pub enum SignedIn {}
/// Signed-in callers, with a verified email when `REQUIRE_VERIFIED_EMAIL=true`.
#[derive(Debug)]
pub enum Verified {}

impl Access for Public {
    const CALLERS: Callers = Callers::Anyone;
}
impl Access for SignedIn {
    const CALLERS: Callers = Callers::SignedIn;
}
impl Access for Verified {
    const CALLERS: Callers = Callers::Verified;
}

/// A function behind an HTTP route: a method, a path pattern (`{name}` matches one segment), and
/// what the function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// How API Gateway names the route (`GET /api/products/{id}`, `$default`): request lines
    /// carry it, so it is written once here rather than formatted per request.
    pub key: &'static str,
    pub function: &'static str,
    pub callers: Callers,
    /// Whether requests to it count against their client's rate limit (health's do not).
    pub counted: bool,
    /// What its function loads at cold start.
    pub needs: Needs,
    /// Its Lambda memory in MB: CPU grows with it, so argon2 routes get more.
    pub memory_mb: u32,
    /// Whether it runs argon2, which its p99 latency alarm allows for.
    pub hashing: bool,
    /// What the function itself may do in DynamoDB, besides what every function of its kind
    /// gets (the connection warm-up, the rate limit's counter, the authenticator's read).
    pub grants: &'static [Grant],
    /// What it may do in the media bucket.
    pub media: &'static [MediaGrant],
}

impl Route {
    /// Whether requests must carry a valid token of a live session.
    pub const fn authenticated(&self) -> bool {
        !matches!(self.callers, Callers::Anyone)
    }

    /// Whether this is the `$default` route, which answers every path no other route takes.
    pub fn is_fallback(&self) -> bool {
        self.key == FALLBACK.key
    }
}

/// An HTTP function's entry, typed by who may call it (`A`): what `shared::run` takes with the
/// function's handler.
#[derive(Debug)]
pub struct Endpoint<A> {
    pub route: Route,
    access: PhantomData<fn() -> A>,
}

impl<A> Deref for Endpoint<A> {
    type Target = Route;

    fn deref(&self) -> &Route {
        &self.route
    }
}

impl<A: Access> Endpoint<A> {
    /// `function` behind `key` (`METHOD path`): counted, on storage, 256 MB, no grants of its
    /// own, for the callers `A` admits.
    const fn new(
        method: &'static str,
        path: &'static str,
        key: &'static str,
        function: &'static str,
    ) -> Self {
        Self {
            route: Route {
                method,
                path,
                key,
                function,
                callers: A::CALLERS,
                counted: true,
                needs: Needs {
                    storage: true,
                    ..Needs::NOTHING
                },
                memory_mb: 256,
                hashing: false,
                grants: &[],
                media: &[],
            },
            access: PhantomData,
        }
    }

    const fn without_storage(mut self) -> Self {
        self.route.needs.storage = false;
        self
    }

    /// Requests to it are never counted against a rate limit.
    const fn uncounted(mut self) -> Self {
        self.route.counted = false;
        self
    }

    const fn with_signing_key(mut self) -> Self {
        self.route.needs.signing_key = true;
        self
    }

    const fn with_cursor_key(mut self) -> Self {
        self.route.needs.cursor_key = true;
        self
    }

    /// It reads every listing shard at once: a connection per shard is opened at init.
    const fn reading_every_shard(mut self) -> Self {
        self.route.needs.every_shard = true;
        self
    }

    const fn memory(mut self, mb: u32) -> Self {
        self.route.memory_mb = mb;
        self
    }

    /// It runs argon2: a CPU-bound 1 GB function, with the hashing latency threshold.
    const fn hashing(mut self) -> Self {
        self.route.hashing = true;
        self.route.memory_mb = 1024;
        self
    }

    const fn grants(mut self, grants: &'static [Grant]) -> Self {
        self.route.grants = grants;
        self
    }

    /// It keeps images: a client of the media bucket, and what it may do there.
    const fn media(mut self, grants: &'static [MediaGrant]) -> Self {
        self.route.needs.media = true;
        self.route.media = grants;
        self
    }
}

/// A function fed by the outbox table's stream: the jobs of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worker {
    pub function: &'static str,
    /// The outbox jobs it does: its stream filter lets through new items of this `job` alone.
    pub job: &'static str,
    pub needs: Needs,
    pub memory_mb: u32,
    /// Its Lambda timeout: a batch of jobs must fit.
    pub timeout_seconds: u32,
    /// Records handed to one invocation.
    pub batch_size: u32,
    /// What it may do in DynamoDB (besides removing the jobs it has done).
    pub grants: &'static [Grant],
    /// What it may do in the media bucket.
    pub media: &'static [MediaGrant],
    /// Whether it sends mail through SES (from the configured identity only).
    pub sends_mail: bool,
    /// The environment variable holding the URL of its failure queue.
    pub failure_queue_variable: &'static str,
}

/// One function of the manifest, whatever triggers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Http(&'static Route),
    Stream(&'static Worker),
}

impl Function {
    /// Its name: its crate under `functions/`, its binary.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Http(route) => route.function,
            Self::Stream(worker) => worker.function,
        }
    }

    pub const fn needs(self) -> Needs {
        match self {
            Self::Http(route) => route.needs,
            Self::Stream(worker) => worker.needs,
        }
    }

    pub const fn grants(self) -> &'static [Grant] {
        match self {
            Self::Http(route) => route.grants,
            Self::Stream(worker) => worker.grants,
        }
    }

    pub const fn media(self) -> &'static [MediaGrant] {
        match self {
            Self::Http(route) => route.media,
            Self::Stream(worker) => worker.media,
        }
    }
}

/// Every HTTP function: each route's, and the fallback's.
pub fn http_functions() -> impl Iterator<Item = &'static Route> {
    const FALLBACK_ROUTE: &Route = &FALLBACK.route;
    ROUTES.iter().chain(std::iter::once(FALLBACK_ROUTE))
}

/// Every function of the API.
pub fn functions() -> impl Iterator<Item = Function> {
    http_functions()
        .map(Function::Http)
        .chain(WORKERS.iter().map(Function::Stream))
}

/// DynamoDB actions on one table (or some of its indexes) and the conditions that narrow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub table: TableName,
    pub actions: &'static [&'static str],
    /// Indexes the actions are on, instead of the table itself.
    pub indexes: &'static [&'static str],
    /// `dynamodb:LeadingKeys`: the prefixes the item keys must start with.
    pub key_prefixes: &'static [&'static str],
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
        key_prefixes: &[],
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

    /// Only items whose partition key starts with one of `prefixes`.
    pub const fn keys_starting(mut self, prefixes: &'static [&'static str]) -> Self {
        self.key_prefixes = prefixes;
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

/// S3 actions on the media bucket's objects under some prefixes (`s3:ListBucket`: listing
/// those prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaGrant {
    pub actions: &'static [&'static str],
    /// The key prefixes (`media::keys`) the actions are on.
    pub prefixes: &'static [&'static str],
    pub why: &'static str,
    /// Why it is kept although no test makes the calls it allows (see [`Grant::untested`]).
    pub untested: Option<&'static str>,
}

/// `actions` on the objects under `prefixes`, for the reason `why`.
pub const fn media_grant(
    actions: &'static [&'static str],
    prefixes: &'static [&'static str],
    why: &'static str,
) -> MediaGrant {
    MediaGrant {
        actions,
        prefixes,
        why,
        untested: None,
    }
}

impl MediaGrant {
    /// Kept though no test makes its calls, for `reason`.
    pub const fn untested(mut self, reason: &'static str) -> Self {
        self.untested = Some(reason);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_functions_are_unique() {
        let mut keys: Vec<&str> = http_functions().map(|route| route.key).collect();
        let mut names: Vec<&str> = functions().map(Function::name).collect();
        let (routes, count) = (keys.len(), names.len());
        keys.sort_unstable();
        keys.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!((keys.len(), names.len()), (routes, count));
    }

    #[test]
    fn a_routes_callers_follow_from_its_type() {
        assert_eq!(HEALTH.callers, Callers::Anyone);
        assert_eq!(PROFILE.callers, Callers::SignedIn);
        assert_eq!(CREATE_PRODUCT.callers, Callers::Verified);
        assert!(!LOGIN.authenticated() && LOGOUT.authenticated());
    }
}
