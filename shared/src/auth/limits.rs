//! Brute-force limits: fixed windows of failed logins per email and per source IP, and of
//! registrations per source IP, counted atomically in DynamoDB.

use crate::clock::Timestamp;
use crate::config::LimitConfig;
use crate::domain::Email;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::limits::{self as counters, Increment, Window};

/// One counted thing: what is counted, for whom, and how many are allowed per window.
#[derive(Debug, Clone)]
pub struct Limit {
    key: String,
    max: u32,
    what: &'static str,
}

impl Limit {
    pub fn login_failures_for_email(limits: &LimitConfig, email: &Email) -> Self {
        Self {
            key: format!("login-email#{email}"),
            max: limits.login_failures_per_email,
            what: "Too many failed logins for this account",
        }
    }

    pub fn login_failures_for_ip(limits: &LimitConfig, ip: &str) -> Self {
        Self {
            key: format!("login-ip#{ip}"),
            max: limits.login_failures_per_ip,
            what: "Too many failed logins from this address",
        }
    }

    pub fn registrations_for_ip(limits: &LimitConfig, ip: &str) -> Self {
        Self {
            key: format!("register-ip#{ip}"),
            max: limits.registrations_per_ip,
            what: "Too many registrations from this address",
        }
    }

    /// 429 with `Retry-After` if the window's count has reached the limit; otherwise the live
    /// window, if there is one.
    pub async fn check(&self, state: &AppState) -> Result<Option<Window>, ApiError> {
        let now = state.clock.now();
        let window = counters::current(state, &self.key, now).await?;
        self.verdict(window, now)
    }

    /// The same judgement on a window already read (a login reads all its counters at once).
    pub fn verdict(
        &self,
        window: Option<Window>,
        now: Timestamp,
    ) -> Result<Option<Window>, ApiError> {
        match window {
            Some(window) if window.count >= self.max => Err(self.exceeded(window, now)),
            live => Ok(live),
        }
    }

    /// The counter's key in the limits table.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Counts one more event in the current window (opening a new window if needed), whatever
    /// the count: for failures, which are counted after the fact.
    pub async fn record(&self, state: &AppState) -> Result<(), ApiError> {
        let window = state.config.limits.window;
        counters::increment(state, &self.key, state.clock.now(), window, u32::MAX).await?;
        Ok(())
    }

    /// Counts one more event if the limit allows it, atomically; 429 if it does not.
    pub async fn consume(&self, state: &AppState) -> Result<(), ApiError> {
        let now = state.clock.now();
        let window = state.config.limits.window;
        match counters::increment(state, &self.key, now, window, self.max).await? {
            Increment::Counted(_) => Ok(()),
            Increment::Refused(window) => Err(self.exceeded(window, now)),
        }
    }

    fn exceeded(&self, window: Window, now: Timestamp) -> ApiError {
        let remaining_ms = (window.ends_at.millis() - now.millis()).max(0);
        let retry_after = (remaining_ms as u64).div_ceil(1000).max(1);
        ApiError::TooManyRequests {
            detail: format!("{}; try again in {retry_after} seconds.", self.what),
            retry_after,
        }
    }

    /// Forgets the window, after a successful login.
    pub async fn reset(&self, state: &AppState) -> Result<(), ApiError> {
        counters::clear(state, &self.key).await
    }
}
