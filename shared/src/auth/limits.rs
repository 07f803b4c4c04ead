//! Brute-force limits: fixed windows of failed logins per email and per source IP, and of
//! registrations per source IP, counted atomically in DynamoDB.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::config::LimitConfig;
use crate::domain::client::client_of;
use crate::domain::Email;
use crate::error::ApiError;
use crate::store::limits::{self as counters, Increment, Limits, Window};

/// Key prefixes of the counters in the limits table, by what they count: template.yaml lets each
/// function write only the counters it keeps (`dynamodb:LeadingKeys`).
pub const LOGIN_EMAIL_COUNTERS: &str = "login-email#";
pub const LOGIN_IP_COUNTERS: &str = "login-ip#";
pub const REGISTRATION_COUNTERS: &str = "register-ip#";

/// An attempt counted in the window that ends at `ends_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a reservation is either kept (the attempt failed) or released"]
pub struct Reservation {
    ends_at: Timestamp,
}

/// One counted thing: what is counted, for whom, and how many are allowed per window.
#[derive(Debug, Clone)]
pub struct Limit {
    key: String,
    max: u32,
    window: Duration,
    what: &'static str,
}

impl Limit {
    pub fn login_failures_for_email(limits: &LimitConfig, email: &Email) -> Self {
        Self {
            key: format!("{LOGIN_EMAIL_COUNTERS}{email}"),
            max: limits.login_failures_per_email,
            window: limits.window,
            what: "Too many failed logins for this account",
        }
    }

    pub fn login_failures_for_ip(limits: &LimitConfig, ip: &str) -> Self {
        Self {
            key: format!("{LOGIN_IP_COUNTERS}{}", client_of(ip)),
            max: limits.login_failures_per_ip,
            window: limits.window,
            what: "Too many failed logins from this address",
        }
    }

    pub fn registrations_for_ip(limits: &LimitConfig, ip: &str) -> Self {
        Self {
            key: format!("{REGISTRATION_COUNTERS}{}", client_of(ip)),
            max: limits.registrations_per_ip,
            window: limits.window,
            what: "Too many registrations from this address",
        }
    }

    /// The counter's key in the limits table.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Counts one more event at `now` if the limit allows it, atomically; 429 if it does not.
    /// The count stands: for attempts that count whatever their outcome (registrations).
    pub async fn consume(&self, table: Limits<'_>, now: Timestamp) -> Result<(), ApiError> {
        self.reserve(table, now).await.map(|_| ())
    }

    /// Counts one attempt before it is made, atomically, refusing (429) once the window holds
    /// the limit: so concurrent attempts can never pass it, as checking first and counting after
    /// the argon2 verification could. An attempt that turns out not to count is given back with
    /// [`Limit::release`].
    pub async fn reserve(
        &self,
        table: Limits<'_>,
        now: Timestamp,
    ) -> Result<Reservation, ApiError> {
        match counters::increment(table, &self.key, now, self.window, self.max).await? {
            Increment::Counted(window) => Ok(Reservation {
                ends_at: window.ends_at,
            }),
            Increment::Refused(window) => Err(self.exceeded(window, now)),
        }
    }

    /// Gives back a reserved attempt (a login that succeeded, or was never judged).
    pub async fn release(
        &self,
        table: Limits<'_>,
        reservation: Reservation,
    ) -> Result<(), ApiError> {
        counters::decrement(table, &self.key, reservation.ends_at).await
    }

    fn exceeded(&self, window: Window, now: Timestamp) -> ApiError {
        let remaining_ms = (window.ends_at.millis() - now.millis()).max(0);
        let retry_after = (remaining_ms as u64).div_ceil(1000).max(1);
        ApiError::TooManyRequests {
            detail: format!("{}; try again in {retry_after} seconds.", self.what),
            retry_after,
        }
    }

    /// Forgets the window: a successful login wipes the account's earlier failures.
    pub async fn reset(&self, table: Limits<'_>) -> Result<(), ApiError> {
        counters::clear(table, &self.key).await
    }
}
