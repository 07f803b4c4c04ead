//! Brute-force limits, counted atomically in DynamoDB in fixed windows: failed logins per email
//! (per source address, and from all addresses together) and per source address; registrations
//! and forgot-password requests per source address; reset and verification mails.

use std::future::Future;
use std::time::Duration;

use crate::clock::Timestamp;
use crate::config::{LimitConfig, MAIL_LIMIT_WINDOW};
use crate::domain::client::client_of;
use crate::domain::{Email, Id};
use crate::error::ApiError;
use crate::store::limits::{
    self as counters, Increment, Limits, LoginReservation, Window, FORGOT_IP_COUNTERS,
    MAIL_ADDRESS_COUNTERS, RESET_MAIL_COUNTERS, VERIFICATION_MAIL_COUNTERS,
};

pub use crate::store::limits::{LOGIN_EMAIL_COUNTERS, LOGIN_IP_COUNTERS, REGISTRATION_COUNTERS};

/// The 429 of a limit reached in the window that ends at `ends_at`.
fn too_many(what: &str, ends_at: Timestamp, now: Timestamp) -> ApiError {
    let remaining_ms = (ends_at.millis() - now.millis()).max(0);
    let retry_after = (remaining_ms as u64).div_ceil(1000).max(1);
    ApiError::TooManyRequests {
        detail: format!("{what}; try again in {retry_after} seconds."),
        retry_after,
    }
}

/// The failed logins of one email: those from each source address (5 by default: then that
/// address is locked out of that email) and those from all addresses together (100: then the
/// email is locked for everyone). Keyed so, nobody can lock another person out from afar: an
/// attacker's failures lock the attacker's own address, and only a guessing campaign from
/// many addresses reaches the email's own ceiling.
#[derive(Debug, Clone)]
struct LoginFailures {
    key: String,
    address: String,
    per_address: u32,
    per_email: u32,
    window: Duration,
}

/// A failed login reserved before the password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LoginAttempt {
    ends_at: Timestamp,
}

impl LoginFailures {
    /// The failures of `email` as `ip` (a source address, or `None` when API Gateway gave none)
    /// counts them.
    fn of(limits: &LimitConfig, email: &Email, ip: Option<&str>) -> Self {
        Self {
            key: format!("{LOGIN_EMAIL_COUNTERS}{email}"),
            address: ip.map_or_else(|| "unknown".to_owned(), client_of),
            per_address: limits.login_failures_per_email_and_ip,
            per_email: limits.login_failures_per_email,
            window: limits.window,
        }
    }
}

/// What a password check is made under: the attempt counted in the email's failed logins (and,
/// for a login, in its source address's), before the check, atomically, so concurrent guesses
/// cannot pass a limit. Once the check is done the guard is given its outcome: the password was
/// right ([`LoginGuard::forgive`]), wrong ([`LoginGuard::keep`]), or never judged
/// ([`LoginGuard::release`]).
#[derive(Debug)]
#[must_use = "an attempt is forgiven, kept or released"]
pub struct LoginGuard<'a> {
    table: Limits<'a>,
    failures: LoginFailures,
    /// The attempt counted in the email's failures (none while a refused reservation gives
    /// back what the other counter took).
    attempt: Option<LoginAttempt>,
    /// The source address's own failures, and the attempt counted there.
    address: Option<(Limit, Reservation)>,
}

/// Which counters a password check counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// The email's failed logins (per address and all together).
    Email,
    /// Those, and the source address's failed logins at any email: a login.
    EmailAndAddress,
}

impl<'a> LoginGuard<'a> {
    /// Reserves the attempt of `email` from `ip` in `counted`; 429 if a limit is reached, with
    /// whatever the other counter took given back.
    pub async fn reserve(
        table: Limits<'a>,
        limits: &LimitConfig,
        (email, ip): (&Email, Option<&str>),
        counted: Counted,
        now: Timestamp,
    ) -> Result<Self, ApiError> {
        let failures = LoginFailures::of(limits, email, ip);
        let address = match (counted, ip) {
            (Counted::EmailAndAddress, Some(ip)) => Some(Limit::login_failures_for_ip(limits, ip)),
            _ => None,
        };
        let ceilings = (failures.per_address, failures.per_email);
        let email_reserved = async {
            let reserved = counters::reserve_login(
                table,
                &failures.key,
                &failures.address,
                now,
                failures.window,
                ceilings,
            );
            match reserved.await? {
                LoginReservation::Counted(window) => Ok(LoginAttempt {
                    ends_at: window.ends_at,
                }),
                LoginReservation::RefusedForAddress(window) => Err(too_many(
                    "Too many failed logins for this account from this address",
                    window.ends_at,
                    now,
                )),
                LoginReservation::RefusedForEmail(window) => Err(too_many(
                    "Too many failed logins for this account",
                    window.ends_at,
                    now,
                )),
            }
        };
        let address_reserved = async {
            match &address {
                Some(limit) => limit.reserve(table, now).await.map(Some),
                None => Ok(None),
            }
        };
        let (email_reserved, address_reserved) = tokio::join!(email_reserved, address_reserved);
        let guard = Self {
            table,
            attempt: email_reserved.as_ref().ok().copied(),
            address: address.zip(address_reserved.as_ref().ok().copied().flatten()),
            failures,
        };
        match (email_reserved, address_reserved) {
            (Ok(_), Ok(_)) => Ok(guard),
            // Refused by one: what the other took is given back.
            (Err(refusal), _) | (_, Err(refusal)) => {
                guard.release().await;
                Err(refusal)
            }
        }
    }

    /// Runs the password check `check` and settles the attempt by what it found: `Some` (the
    /// password was right) forgives it and is answered; `None` (wrong) keeps it and answers
    /// 401 with `wrong`; an error (the check could not run) releases it and is answered.
    pub async fn settle<T>(
        self,
        check: impl Future<Output = Result<Option<T>, ApiError>>,
        wrong: &str,
    ) -> Result<T, ApiError> {
        match check.await {
            Ok(Some(passed)) => {
                self.forgive().await?;
                Ok(passed)
            }
            Ok(None) => {
                self.keep();
                Err(ApiError::Unauthorized(wrong.to_owned()))
            }
            Err(error) => {
                self.release().await;
                Err(error)
            }
        }
    }

    /// The password was right: the attempt does not count, and this address's earlier failures
    /// for the email are forgiven (no other address's).
    pub async fn forgive(self) -> Result<(), ApiError> {
        let failures = &self.failures;
        let forgiven = async {
            match self.attempt {
                Some(attempt) => {
                    let (key, address) = (&failures.key, &failures.address);
                    counters::forgive_address(self.table, key, address, attempt.ends_at).await
                }
                None => Ok(()),
            }
        };
        let (forgiven, released) = tokio::join!(forgiven, self.release_address());
        forgiven.and(released)
    }

    /// The password was wrong: the attempt counts, as reserved.
    pub fn keep(self) {}

    /// The password was never judged (storage or hashing failed): the attempt is given back. A
    /// failure to give it back is logged, not answered: the caller answers with what stopped
    /// the check.
    pub async fn release(self) {
        let failures = &self.failures;
        let email = async {
            match self.attempt {
                Some(attempt) => {
                    let (key, address) = (&failures.key, &failures.address);
                    counters::release_login(self.table, key, address, attempt.ends_at).await
                }
                None => Ok(()),
            }
        };
        let (email, address) = tokio::join!(email, self.release_address());
        if let Err(error) = email.and(address) {
            tracing::warn!(error = %error, "could not give back a login attempt");
        }
    }

    async fn release_address(&self) -> Result<(), ApiError> {
        match &self.address {
            Some((limit, reservation)) => limit.release(self.table, *reservation).await,
            None => Ok(()),
        }
    }
}

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

    pub fn forgot_requests_for_ip(limits: &LimitConfig, ip: &str) -> Self {
        Self {
            key: format!("{FORGOT_IP_COUNTERS}{}", client_of(ip)),
            max: limits.forgot_requests_per_ip,
            window: limits.window,
            what: "Too many password reset requests from this address",
        }
    }

    pub fn reset_mails_for_email(limits: &LimitConfig, email: &Email) -> Self {
        Self {
            key: format!("{RESET_MAIL_COUNTERS}{email}"),
            max: limits.reset_mails_per_email,
            window: MAIL_LIMIT_WINDOW,
            what: "Too many password reset mails for this account",
        }
    }

    /// The mails to one address, by its tag (`mail::AddressKey::tag`), whatever the account.
    pub fn mails_to_address(limits: &LimitConfig, address_tag: &str) -> Self {
        Self {
            key: format!("{MAIL_ADDRESS_COUNTERS}{address_tag}"),
            max: limits.mails_per_address,
            window: MAIL_LIMIT_WINDOW,
            what: "Too many mails to this address",
        }
    }

    pub fn verification_mails_for_user(limits: &LimitConfig, user_id: &Id) -> Self {
        Self {
            key: format!("{VERIFICATION_MAIL_COUNTERS}{user_id}"),
            max: limits.verification_mails_per_user,
            window: MAIL_LIMIT_WINDOW,
            what: "Too many verification mails",
        }
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
        too_many(self.what, window.ends_at, now)
    }
}
