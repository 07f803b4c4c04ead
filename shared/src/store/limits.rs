//! The limits table: fixed-window counters (failed logins, registrations, every client's
//! requests) that expire through DynamoDB TTL.
//!
//! TTL deletion is best effort (it can lag by days), so an expired counter is treated as absent
//! by comparing `expiresAt` with the clock on every read and write.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

use super::values::{n, number_of, s};
use super::{
    conditional, corrupt_item, is_throttling, kind, storage_error, Conditional, Item, Table,
};
use crate::clock::Timestamp;
use crate::domain::{Email, Id};
use crate::error::ApiError;

/// Key prefixes of the counters in the limits table, by what they count: template.yaml lets
/// each function write only the counters it keeps (`dynamodb:LeadingKeys`).
pub const REQUEST_COUNTERS: &str = "rate#";
pub const LOGIN_EMAIL_COUNTERS: &str = "login-email#";
pub const LOGIN_IP_COUNTERS: &str = "login-ip#";
pub const REGISTRATION_COUNTERS: &str = "register-ip#";
pub const FORGOT_IP_COUNTERS: &str = "forgot-ip#";
pub const RESET_MAIL_COUNTERS: &str = "reset-mail#";
pub const VERIFICATION_MAIL_COUNTERS: &str = "verify-mail#";
/// The mails to one address, whatever the account: keyed by an HMAC of the address
/// (`mail::AddressKey`), never the address, as they outlive a deleted account.
pub const MAIL_ADDRESS_COUNTERS: &str = "mail-to#";

/// A handle on the limits table.
pub type Limits<'a> = Table<'a, kind::Limits>;

/// The attribute DynamoDB's TTL deletes counters by (epoch seconds), as template.yaml names it.
pub const TTL_ATTRIBUTE: &str = "expiresAt";

/// A live counting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub count: u32,
    pub ends_at: Timestamp,
}

/// What an increment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Increment {
    /// Counted; the window now holds this count.
    Counted(Window),
    /// Not counted: the live window had already reached the ceiling.
    Refused(Window),
}

fn window_of(item: &Item) -> Option<Window> {
    Some(Window {
        count: u32::try_from(number_of(item, "count")?).unwrap_or(u32::MAX),
        ends_at: Timestamp::from_millis(number_of(item, "endsAt")?),
    })
}

/// Adds one to the live window for `key` if its count is below `ceiling`, or opens a new window
/// of `length` with a count of one. Every path is a conditional write, so concurrent increments
/// are neither lost nor let past the ceiling.
pub async fn increment(
    table: Limits<'_>,
    key: &str,
    now: Timestamp,
    length: Duration,
    ceiling: u32,
) -> Result<Increment, ApiError> {
    let now_value = n(now.millis());
    for _ in 0..3 {
        let bumped = table
            .client
            .update_item()
            .table_name(table.name)
            .key("key", s(key))
            .update_expression("SET #count = #count + :one")
            .condition_expression("attribute_exists(#key) AND endsAt > :now AND #count < :ceiling")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#key", "key")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", now_value.clone())
            .expression_attribute_values(":ceiling", n(ceiling))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional("count limit", bumped)? {
            Conditional::Written(output) => {
                let window = output
                    .attributes
                    .as_ref()
                    .and_then(window_of)
                    .ok_or_else(|| corrupt_item("count limit", "count or endsAt"))?;
                return Ok(Increment::Counted(window));
            }
            Conditional::Refused(old) => {
                // A live window that failed the condition is a full one.
                let live = old.as_ref().and_then(window_of).filter(|w| w.ends_at > now);
                if let Some(window) = live {
                    return Ok(Increment::Refused(window));
                }
            }
        }

        let ends_at = now.plus(length);
        let opened = table
            .client
            .put_item()
            .table_name(table.name)
            .item("key", s(key))
            .item("count", n(1))
            .item("endsAt", n(ends_at.millis()))
            // The TTL attribute, in epoch seconds, lets DynamoDB clean up (eventually).
            .item(TTL_ATTRIBUTE, n(ends_at.seconds() + 1))
            .condition_expression("attribute_not_exists(#key) OR endsAt <= :now")
            .expression_attribute_names("#key", "key")
            .expression_attribute_values(":now", now_value.clone())
            .send()
            .await;
        match conditional("open limit window", opened)? {
            Conditional::Written(_) => return Ok(Increment::Counted(Window { count: 1, ends_at })),
            // Another request opened the window first: count in it.
            Conditional::Refused(_) => continue,
        }
    }
    Err(ApiError::unexpected(
        "count limit",
        "window kept changing under concurrent writes",
    ))
}

/// Takes back one count from the window of `key` that ends at `ends_at`, if that window is still
/// the stored one: a later window is left alone.
pub async fn decrement(table: Limits<'_>, key: &str, ends_at: Timestamp) -> Result<(), ApiError> {
    let result = table
        .client
        .update_item()
        .table_name(table.name)
        .key("key", s(key))
        .update_expression("SET #count = #count - :one")
        .condition_expression("endsAt = :endsAt AND #count > :zero")
        .expression_attribute_names("#count", "count")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":endsAt", n(ends_at.millis()))
        .send()
        .await;
    match conditional("give back limit count", result)? {
        Conditional::Written(_) => Ok(()),
        // A later window is the stored one (or none is): nothing to give back.
        Conditional::Refused(_) => Ok(()),
    }
}

/// The key of the counter `key` names.
pub(crate) fn key(key: &str) -> Item {
    Item::from([("key".to_owned(), s(key))])
}

/// An email's failed logins in one window: all of them, and those from one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginWindow {
    pub ends_at: Timestamp,
    pub total: u32,
    pub from_address: u32,
}

/// What reserving a failed login found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReservation {
    Counted(LoginWindow),
    /// The address has had its failures for this email.
    RefusedForAddress(LoginWindow),
    /// The email has had its failures from everywhere together.
    RefusedForEmail(LoginWindow),
}

fn login_window_of(item: &Item, address: &str) -> Option<LoginWindow> {
    let from_address = match item.get("addresses") {
        Some(AttributeValue::M(addresses)) => match addresses.get(address) {
            Some(AttributeValue::N(count)) => count.parse().ok()?,
            _ => 0,
        },
        _ => 0,
    };
    Some(LoginWindow {
        ends_at: Timestamp::from_millis(number_of(item, "endsAt")?),
        total: u32::try_from(number_of(item, "count")?).unwrap_or(u32::MAX),
        from_address,
    })
}

/// Reserves one failed login for the email counter `key` from `address`: one conditional
/// update counts it in the email's total and in the address's own count together, refused if
/// either has reached its ceiling (`per_address`, `per_email`), so concurrent attempts can pass
/// neither. A window of `length` opens with the first failure.
pub async fn reserve_login(
    table: Limits<'_>,
    key: &str,
    address: &str,
    now: Timestamp,
    length: Duration,
    (per_address, per_email): (u32, u32),
) -> Result<LoginReservation, ApiError> {
    for _ in 0..3 {
        let bumped = table
            .client
            .update_item()
            .table_name(table.name)
            .key("key", s(key))
            .update_expression(
                "SET #count = #count + :one, addresses.#address = if_not_exists(addresses.#address, :zero) + :one",
            )
            .condition_expression(
                "attribute_exists(#key) AND endsAt > :now AND #count < :perEmail \
                 AND (attribute_not_exists(addresses.#address) OR addresses.#address < :perAddress)",
            )
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#key", "key")
            .expression_attribute_names("#address", address)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":now", n(now.millis()))
            .expression_attribute_values(":perEmail", n(per_email))
            .expression_attribute_values(":perAddress", n(per_address))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional("count failed login", bumped)? {
            Conditional::Written(output) => {
                let window = output
                    .attributes
                    .as_ref()
                    .and_then(|item| login_window_of(item, address))
                    .ok_or_else(|| corrupt_item("count failed login", "count or endsAt"))?;
                return Ok(LoginReservation::Counted(window));
            }
            Conditional::Refused(old) => {
                let live = old
                    .as_ref()
                    .and_then(|item| login_window_of(item, address))
                    .filter(|window| window.ends_at > now);
                match live {
                    Some(window) if window.total >= per_email => {
                        return Ok(LoginReservation::RefusedForEmail(window))
                    }
                    Some(window) if window.from_address >= per_address => {
                        return Ok(LoginReservation::RefusedForAddress(window))
                    }
                    Some(_) => continue,
                    None => {}
                }
            }
        }

        let ends_at = now.plus(length);
        let opened = table
            .client
            .put_item()
            .table_name(table.name)
            .item("key", s(key))
            .item("count", n(1))
            .item(
                "addresses",
                AttributeValue::M(Item::from([(address.to_owned(), n(1))])),
            )
            .item("endsAt", n(ends_at.millis()))
            .item(TTL_ATTRIBUTE, n(ends_at.seconds() + 1))
            .condition_expression("attribute_not_exists(#key) OR endsAt <= :now")
            .expression_attribute_names("#key", "key")
            .expression_attribute_values(":now", n(now.millis()))
            .send()
            .await;
        match conditional("open failed-login window", opened)? {
            Conditional::Written(_) => {
                return Ok(LoginReservation::Counted(LoginWindow {
                    ends_at,
                    total: 1,
                    from_address: 1,
                }))
            }
            Conditional::Refused(_) => continue,
        }
    }
    Err(ApiError::unexpected(
        "count failed login",
        "window kept changing under concurrent writes",
    ))
}

/// Takes back a reserved failed login from `address` (an attempt that was never judged), if
/// the window that ends at `ends_at` is still the stored one.
pub async fn release_login(
    table: Limits<'_>,
    key: &str,
    address: &str,
    ends_at: Timestamp,
) -> Result<(), ApiError> {
    let result = table
        .client
        .update_item()
        .table_name(table.name)
        .key("key", s(key))
        .update_expression(
            "SET #count = #count - :one, addresses.#address = addresses.#address - :one",
        )
        .condition_expression("endsAt = :endsAt AND addresses.#address > :zero")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#address", address)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":zero", n(0))
        .expression_attribute_values(":endsAt", n(ends_at.millis()))
        .send()
        .await;
    conditional("give back failed login", result).map(|_| ())
}

/// Forgets the failures from `address` in the window that ends at `ends_at` (its reserved
/// attempt among them): a correct login forgives its own address's typos, not anyone else's.
pub async fn forgive_address(
    table: Limits<'_>,
    key: &str,
    address: &str,
    ends_at: Timestamp,
) -> Result<(), ApiError> {
    let result = table
        .client
        .update_item()
        .table_name(table.name)
        .key("key", s(key))
        .update_expression("SET #count = #count - addresses.#address REMOVE addresses.#address")
        .condition_expression("endsAt = :endsAt AND attribute_exists(addresses.#address)")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#address", address)
        .expression_attribute_values(":endsAt", n(ends_at.millis()))
        .send()
        .await;
    conditional("forgive failed logins", result).map(|_| ())
}

/// Why a request could not be counted.
#[derive(Debug)]
pub enum CountError {
    /// DynamoDB throttled the counter's key: one client is hammering it.
    Throttled,
    /// Storage unreachable, timed out or failing otherwise.
    Failed(ApiError),
}

/// What counting one request found: the window's count, this request included when counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Counted; the window now holds this many requests.
    Counted(u64),
    /// Not counted: the window already held `ceiling` or more (this many).
    Refused(u64),
}

/// Counts one request under `key` (one client, one window). With a `ceiling` the increment is
/// conditional and refused once the window holds that many (a write that must never be
/// performed over its budget); without one it is an unconditional `ADD` (a read that was served
/// and must be counted, whatever the count). Either way concurrent requests each get their own
/// count, none lost, and the item expires with its window.
pub async fn count_request(
    table: Limits<'_>,
    key: &str,
    window_ends: Timestamp,
    ceiling: Option<u32>,
) -> Result<Count, CountError> {
    let mut update = table
        .client
        .update_item()
        .table_name(table.name)
        .key("key", s(key))
        .update_expression("ADD #count :one SET #ttl = :ttl")
        .expression_attribute_names("#count", "count")
        .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":ttl", n(window_ends.seconds()))
        .return_values(ReturnValue::UpdatedNew);
    if let Some(ceiling) = ceiling {
        update = update
            .condition_expression("attribute_not_exists(#count) OR #count < :ceiling")
            .expression_attribute_values(":ceiling", n(ceiling))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    }
    let result = update.send().await;
    let count_in = |item: Option<&Item>| {
        item.and_then(|item| number_of(item, "count"))
            .and_then(|count| u64::try_from(count).ok())
            .ok_or_else(|| CountError::Failed(corrupt_item("count request", "count")))
    };
    match result {
        Err(error) if is_throttling(&error) => Err(CountError::Throttled),
        result => match conditional("count request", result).map_err(CountError::Failed)? {
            Conditional::Written(output) => {
                count_in(output.attributes.as_ref()).map(Count::Counted)
            }
            Conditional::Refused(old) => count_in(old.as_ref()).map(Count::Refused),
        },
    }
}

/// Deletes the counters keyed by the account `user_id` at `email` (one that is gone): its
/// failed logins, reset mails and verification mails. The per-address mail counters stay: they
/// hold no address, and must outlive the account.
pub async fn purge_account(table: Limits<'_>, email: &Email, user_id: &Id) -> Result<(), ApiError> {
    for counter in [
        format!("{LOGIN_EMAIL_COUNTERS}{email}"),
        format!("{RESET_MAIL_COUNTERS}{email}"),
        format!("{VERIFICATION_MAIL_COUNTERS}{user_id}"),
    ] {
        table
            .client
            .delete_item()
            .table_name(table.name)
            .set_key(Some(key(&counter)))
            .send()
            .await
            .map_err(|e| storage_error("purge counters", e))?;
    }
    Ok(())
}
