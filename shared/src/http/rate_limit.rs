//! The per-client request budget of every request but health checks and preflights (openapi.yaml,
//! `TooManyRequests`): fixed windows counted in the limits table, so every instance of every
//! function shares them, answered with the `RateLimit` and `RateLimit-Policy` headers of the IETF
//! draft draft-ietf-httpapi-ratelimit-headers.
//!
//! Failure policy: the limiter never turns a request that would have succeeded into a 5xx. A
//! counter DynamoDB throttles means one client is hammering its key, so that client is over its
//! budget (429). Any other counter failure lets the request through without the headers, and is
//! logged: the route's own storage call then decides (503 when storage is down).

use std::time::Duration;

use lambda_http::http::{HeaderMap, HeaderValue, Method};
use lambda_http::Request;

use super::context::source_ip;
use super::routes::{Route, HEALTH};
use crate::auth::limits::client_of;
use crate::clock::Timestamp;
use crate::config::RateLimitConfig;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::limits::{count_request, CountError};

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
    /// Within the budget; `remaining` requests are left in the window.
    Allowed { remaining: u32 },
    /// Over the budget: the request is not performed.
    Over,
    /// The counter could not be read: no headers, and the request goes on.
    Unknown,
}

impl Budget {
    /// The budget `req` counts against, or `None` for what is never counted: preflights,
    /// `/api/health`, paths outside `/api/`, and everything when the limit is 0.
    pub fn of(state: &AppState, route: &Route, req: &Request) -> Option<Self> {
        let RateLimitConfig { requests, window } = state.config.rate_limit;
        let counted = requests > 0
            && req.method() != Method::OPTIONS
            && *route != HEALTH
            && req.uri().path().starts_with("/api/");
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
            key: format!("rate#{client}#{starts_at}"),
            limit: requests,
            window,
            ends_at: Timestamp::from_millis(starts_at.saturating_add(window_ms)),
            now,
        })
    }

    /// Counts the request.
    pub async fn count(&self, state: &AppState) -> Verdict {
        match count_request(state.limits(), &self.key, self.ends_at).await {
            Ok(count) if count <= u64::from(self.limit) => Verdict::Allowed {
                remaining: self.limit - u32::try_from(count).unwrap_or(self.limit),
            },
            Ok(_) | Err(CountError::Throttled) => Verdict::Over,
            Err(CountError::Failed(error)) => {
                tracing::warn!(error = %error, "request not counted: the rate limiter's store failed");
                Verdict::Unknown
            }
        }
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
            Verdict::Allowed { remaining } => remaining,
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
            key: "rate#203.0.113.10#0".to_owned(),
            limit: 100,
            window,
            ends_at: Timestamp::from_millis(starts + 900_000),
            now: Timestamp::from_millis(now_ms),
        }
    }

    #[test]
    fn counted_responses_carry_policy_and_state() {
        let mut headers = HeaderMap::new();
        budget(100_000).apply_headers(Verdict::Allowed { remaining: 42 }, &mut headers);
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
}
