//! The per-client request budget of every counted request (openapi.yaml, `TooManyRequests`):
//! fixed windows counted in the limits table, so every instance of every function shares them,
//! answered with the `RateLimit` and `RateLimit-Policy` headers of the IETF draft
//! draft-ietf-httpapi-ratelimit-headers.
//!
//! Writes are exact: each is counted before it runs by a conditional increment that refuses
//! once the window holds the budget, so no more writes than the budget are ever performed.
//! Reads never wait for their counter: a read is decided from what this instance already knows
//! of its client ([`CounterMemory`]), answered, and counted once its response is posted (the
//! pipeline's after-response work), before the instance takes its next event. Once a result shows the budget spent, the
//! instance refuses the client's reads at once, without touching storage, for the rest of the
//! window. One client reading serially from one instance gets exactly its budget; reading
//! concurrently, at most one more read per instance serving it.
//!
//! Failure policy: the limiter never turns a request that would have succeeded into a 5xx. A
//! counter DynamoDB throttles means one client is hammering its key, so that client is over its
//! budget (429). Any other counter failure lets the request through without the headers, and is
//! logged: the route's own storage call then decides (503 when storage is down).

use std::time::Duration;

use lambda_http::http::{HeaderMap, HeaderValue, Method};
use lambda_http::{Request, RequestExt};

use super::context::source_ip;
use crate::clock::Timestamp;
use crate::config::RateLimitConfig;
use crate::deploy::Route;
use crate::domain::client::client_of;
use crate::error::ApiError;
use crate::state::{AppState, CounterMemory, Seen};
use crate::store::limits::{count_request, Count, CountError, REQUEST_COUNTERS};

/// The limits table's key of `client`'s counter for the window that starts at `starts_at`
/// (epoch milliseconds).
pub fn counter_key(client: &str, starts_at: i64) -> String {
    format!("{REQUEST_COUNTERS}{client}#{starts_at}")
}

/// The counter one request is counted under: its client, in the window that holds `now`.
#[derive(Debug, Clone)]
pub struct Budget {
    key: String,
    limit: u32,
    window: Duration,
    ends_at: Timestamp,
    now: Timestamp,
}

/// What counting a request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted; the window holds `count` requests, this one included.
    Allowed { count: u64 },
    /// Over the budget (or the counter is throttled): the request is not performed.
    Over,
    /// The counter could not be read: no headers, and the request goes on.
    Unknown,
}

/// Whether a request is a read, which is answered before its counter lands.
pub fn is_read(method: &Method) -> bool {
    *method == Method::GET || *method == Method::HEAD
}

impl Budget {
    /// The budget `req` counts against, or `None` for what is never counted: preflights, routes
    /// that declare themselves uncounted (health), the fallback's paths outside `/api/`, and
    /// everything when the limit is 0. Decided by route and by the event's raw path, never by
    /// anything built from the `Host` or `X-Forwarded-Proto` headers.
    pub fn of(state: &AppState, route: &Route, req: &Request) -> Option<Self> {
        let RateLimitConfig { requests, window } = state.config.rate_limit;
        let counted = requests > 0
            && req.method() != Method::OPTIONS
            && route.counted
            && (!route.is_fallback() || req.raw_http_path().starts_with("/api/"));
        if !counted {
            return None;
        }
        let now = state.clock.now();
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
        // Fixed windows on multiples of their length since the epoch: the same for every
        // instance, whatever its clock started at.
        let starts_at = now.millis() - now.millis().rem_euclid(window_ms);
        let client = source_ip(req).map_or_else(|| "unknown".to_owned(), |ip| client_of(&ip));
        Some(Self {
            key: counter_key(&client, starts_at),
            limit: requests,
            window,
            ends_at: Timestamp::from_millis(starts_at.saturating_add(window_ms)),
            now,
        })
    }

    /// What this instance has seen of the window's counter, if anything.
    pub fn seen(&self, memory: &CounterMemory) -> Option<Seen> {
        memory.get(&self.key)
    }

    /// Whether this instance already knows the client's budget is spent for this window.
    pub fn is_spent(&self, memory: &CounterMemory) -> bool {
        self.seen(memory).is_some_and(|seen| seen.spent)
    }

    /// Counts a write before it runs: refused, without counting, once the window is full.
    pub async fn count_write(&self, state: &AppState) -> Verdict {
        let counted = count_request(state.limits(), &self.key, self.ends_at, Some(self.limit));
        self.verdict(counted.await)
    }

    /// Counts a read that is being served: always counted, whatever the window holds.
    pub async fn count_read(self, state: &AppState) -> Verdict {
        let counted = count_request(state.limits(), &self.key, self.ends_at, None).await;
        self.verdict(counted)
    }

    fn verdict(&self, counted: Result<Count, CountError>) -> Verdict {
        match counted {
            Ok(Count::Counted(count)) if count <= u64::from(self.limit) => {
                Verdict::Allowed { count }
            }
            // A read counted past the budget was served all the same; the instance now knows.
            Ok(Count::Counted(_) | Count::Refused(_)) | Err(CountError::Throttled) => Verdict::Over,
            Err(CountError::Failed(error)) => {
                tracing::warn!(error = %error, "request not counted: the rate limiter's store failed");
                Verdict::Unknown
            }
        }
    }

    /// Keeps what `verdict` says of the window: the count, and whether the budget is spent.
    pub fn remember(&self, memory: &CounterMemory, verdict: Verdict) {
        let seen = match verdict {
            Verdict::Allowed { count } => Seen {
                count,
                spent: count >= u64::from(self.limit),
                ends_at: self.ends_at,
            },
            Verdict::Over => Seen {
                count: u64::from(self.limit),
                spent: true,
                ends_at: self.ends_at,
            },
            Verdict::Unknown => return,
        };
        memory.remember(&self.key, seen, self.now);
    }

    /// The verdict a read is answered with before its counter lands: this one more than the
    /// instance last saw counted in the window.
    pub fn expected(&self, memory: &CounterMemory) -> Verdict {
        let count = self.seen(memory).map_or(0, |seen| seen.count) + 1;
        Verdict::Allowed { count }
    }

    /// Whole seconds until the window ends, at least 1.
    fn reset_seconds(&self) -> u64 {
        let remaining = (self.ends_at.millis() - self.now.millis()).max(0);
        (remaining as u64).div_ceil(1000).max(1)
    }

    /// The 429 of a request over its budget.
    pub fn exceeded(&self) -> ApiError {
        let retry_after = self.reset_seconds();
        ApiError::TooManyRequests {
            detail: format!(
                "Too many requests from this client; try again in {retry_after} seconds."
            ),
            retry_after,
        }
    }

    /// `RateLimit-Policy` and `RateLimit` for a counted response.
    pub fn apply_headers(&self, verdict: Verdict, headers: &mut HeaderMap) {
        let remaining = match verdict {
            Verdict::Allowed { count } => u64::from(self.limit)
                .saturating_sub(count)
                .min(u64::from(self.limit)),
            Verdict::Over => 0,
            Verdict::Unknown => return,
        };
        let policy = format!("{};w={}", self.limit, self.window.as_secs());
        let state = format!(
            "limit={}, remaining={remaining}, reset={}",
            self.limit,
            self.reset_seconds()
        );
        for (name, value) in [("ratelimit-policy", policy), ("ratelimit", state)] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(now_ms: i64) -> Budget {
        let window = Duration::from_secs(900);
        let starts = now_ms - now_ms.rem_euclid(900_000);
        Budget {
            key: format!("{REQUEST_COUNTERS}203.0.113.10#{starts}"),
            limit: 100,
            window,
            ends_at: Timestamp::from_millis(starts + 900_000),
            now: Timestamp::from_millis(now_ms),
        }
    }

    #[test]
    fn counted_responses_carry_policy_and_state() {
        let mut headers = HeaderMap::new();
        budget(100_000).apply_headers(Verdict::Allowed { count: 58 }, &mut headers);
        assert_eq!(headers["ratelimit-policy"], "100;w=900");
        assert_eq!(headers["ratelimit"], "limit=100, remaining=42, reset=800");
    }

    #[test]
    fn a_request_over_the_budget_has_none_left_and_retries_at_the_window_end() {
        let budget = budget(899_500);
        let mut headers = HeaderMap::new();
        budget.apply_headers(Verdict::Over, &mut headers);
        assert_eq!(headers["ratelimit"], "limit=100, remaining=0, reset=1");
        assert!(matches!(
            budget.exceeded(),
            ApiError::TooManyRequests { retry_after: 1, .. }
        ));
    }

    #[test]
    fn an_uncounted_request_gets_no_headers() {
        let mut headers = HeaderMap::new();
        budget(0).apply_headers(Verdict::Unknown, &mut headers);
        assert!(headers.is_empty());
    }

    #[test]
    fn a_read_expects_one_more_than_the_instance_last_saw() {
        let memory = CounterMemory::default();
        let budget = budget(1_000);
        assert_eq!(budget.expected(&memory), Verdict::Allowed { count: 1 });
        budget.remember(&memory, Verdict::Allowed { count: 41 });
        assert_eq!(budget.expected(&memory), Verdict::Allowed { count: 42 });
        assert!(!budget.is_spent(&memory));
    }

    #[test]
    fn a_count_that_reaches_the_budget_spends_it_for_the_rest_of_the_window() {
        let memory = CounterMemory::default();
        let budget = budget(1_000);
        budget.remember(&memory, Verdict::Allowed { count: 100 });
        assert!(budget.is_spent(&memory));
        let next_window = self::budget(900_000 + 1_000);
        assert!(!next_window.is_spent(&memory));
    }

    #[test]
    fn a_throttled_or_refused_count_spends_the_budget_and_an_unknown_one_changes_nothing() {
        let memory = CounterMemory::default();
        let budget = budget(1_000);
        budget.remember(&memory, Verdict::Unknown);
        assert_eq!(budget.seen(&memory), None);
        budget.remember(&memory, Verdict::Over);
        assert!(budget.is_spent(&memory));
    }
}
