//! The idempotency table: one record per user and `Idempotency-Key` (keyed by the user's id and
//! a SHA-256 of the key), holding the fingerprint of the request that first used the key, and
//! either the lease of that request while it runs or its response once done.
//!
//! A keyed create starts with a conditional put of a running record, which only succeeds where
//! there is no live record (none, one past its 24 hours, or a running one whose lease has ended
//! with the same body); what refuses it is the record that decides the answer. The record is
//! completed in the create's own transaction, on the condition that it is still this attempt's,
//! so the product never exists without its completed record, nor the record without it.

use std::time::Duration;

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::{Deserialize, Serialize};

use super::values::{n, s};
use super::{conditional, corrupt_item, kind, storage_error, Conditional, Item, Table};
use crate::clock::Timestamp;
use crate::domain::idempotency::{Record, RecordState, StoredResponse, RECORD_LIFETIME};
use crate::domain::session::random_128_bits;
use crate::domain::Id;
use crate::error::ApiError;

/// A handle on the idempotency table.
pub type Idempotency<'a> = Table<'a, kind::Idempotency>;

const RUNNING: &str = "running";
const DONE: &str = "done";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RecordItem {
    key: String,
    /// The account whose request it records (the start of its key): what a deleted account's
    /// purge finds its records by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    fingerprint: String,
    state: String,
    /// Which start holds the record: only it may complete or release it.
    attempt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease_ends_at: Option<i64>,
    /// When the record stops counting (milliseconds; the code's own check).
    valid_until: i64,
    /// The same moment in epoch seconds, for TTL to delete the record some time after.
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
}

fn record_from_item(item: Item) -> Result<Record, ApiError> {
    const CONTEXT: &str = "read idempotency record";
    let item: RecordItem = serde_dynamo::from_item(item).map_err(|e| corrupt_item(CONTEXT, e))?;
    let state = match (
        item.state.as_str(),
        item.lease_ends_at,
        item.status,
        item.body,
    ) {
        (RUNNING, Some(lease), _, _) => RecordState::Running {
            lease_ends_at: Timestamp::from_millis(lease),
        },
        (DONE, _, Some(status), Some(body)) => RecordState::Done(StoredResponse {
            status,
            body,
            location: item.location,
            etag: item.etag,
        }),
        _ => {
            return Err(corrupt_item(
                CONTEXT,
                format!("state of record {}", item.key),
            ))
        }
    };
    Ok(Record {
        fingerprint: item.fingerprint,
        state,
        expires_at: Timestamp::from_millis(item.valid_until),
    })
}

fn encode(item: &RecordItem) -> Result<Item, ApiError> {
    serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode idempotency record", e))
}

/// How a start went: this request holds the record now (as `attempt`), or a live record of the
/// key decides its answer.
#[derive(Debug)]
pub enum Start {
    Started { attempt: String },
    Existing(Record),
}

/// The account a record's id (`<owner>#<hash of the key>`) belongs to.
fn owner_of(id: &str) -> Option<String> {
    id.split_once('#').map(|(owner, _)| owner.to_owned())
}

/// The index of the idempotency table by account (`userId`, keys only): what a deleted
/// account's purge finds its records (which hold its products' JSON) by.
pub const BY_USER_INDEX: &str = "byUser";

/// Deletes every record of the account `user_id` (one that is gone); returns how many.
pub async fn purge_user(table: Idempotency<'_>, user_id: &Id) -> Result<usize, ApiError> {
    let at = (table.name, BY_USER_INDEX);
    super::delete_of_user(
        table.client,
        at,
        &["key"],
        user_id,
        "purge idempotency records",
    )
    .await
}

/// Starts the request recorded as `id` with `fingerprint` at `now`, holding the record until
/// `lease_ends_at` (when its function's own deadline ends), unless a live record is there.
pub async fn start(
    table: Idempotency<'_>,
    id: &str,
    fingerprint: &str,
    now: Timestamp,
    lease_ends_at: Timestamp,
) -> Result<Start, ApiError> {
    let valid_until = now.millis() + RECORD_LIFETIME.as_millis() as i64;
    // A record that vanishes between the refusal and its reading (its TTL) is tried again.
    for _ in 0..3 {
        let attempt = random_128_bits()?;
        let record = RecordItem {
            key: id.to_owned(),
            user_id: owner_of(id),
            fingerprint: fingerprint.to_owned(),
            state: RUNNING.to_owned(),
            attempt: attempt.clone(),
            lease_ends_at: Some(lease_ends_at.millis()),
            valid_until,
            expires_at: valid_until.div_euclid(1000) + 1,
            status: None,
            body: None,
            location: None,
            etag: None,
        };
        let result = table
            .client
            .put_item()
            .table_name(table.name)
            .set_item(Some(encode(&record)?))
            .condition_expression(
                "attribute_not_exists(#key) OR validUntil <= :now \
                 OR (#state = :running AND leaseEndsAt <= :now AND fingerprint = :fingerprint)",
            )
            .expression_attribute_names("#key", "key")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now.millis()))
            .expression_attribute_values(":running", s(RUNNING))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional("start idempotent request", result)? {
            Conditional::Written(_) => return Ok(Start::Started { attempt }),
            Conditional::Refused(Some(item)) => {
                return Ok(Start::Existing(record_from_item(item)?))
            }
            Conditional::Refused(None) => continue,
        }
    }
    Err(ApiError::Unavailable {
        context: "start idempotent request",
        retry_after: 1,
        source: "the idempotency record kept changing".into(),
    })
}

/// The write that completes the record as `attempt` holds it, with `response`: one item of the
/// transaction that does the request's work.
pub fn completion(
    table: Idempotency<'_>,
    id: &str,
    attempt: &str,
    fingerprint: &str,
    response: &StoredResponse,
    now: Timestamp,
) -> Result<TransactWriteItem, ApiError> {
    let valid_until = now.millis() + RECORD_LIFETIME.as_millis() as i64;
    let record = RecordItem {
        key: id.to_owned(),
        user_id: owner_of(id),
        fingerprint: fingerprint.to_owned(),
        state: DONE.to_owned(),
        attempt: attempt.to_owned(),
        lease_ends_at: None,
        valid_until,
        expires_at: valid_until.div_euclid(1000) + 1,
        status: Some(response.status),
        body: Some(response.body.clone()),
        location: response.location.clone(),
        etag: response.etag.clone(),
    };
    let put = Put::builder()
        .table_name(table.name)
        .set_item(Some(encode(&record)?))
        .condition_expression("#state = :running AND attempt = :attempt")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":running", s(RUNNING))
        .expression_attribute_values(":attempt", s(attempt))
        .build()
        .map_err(|e| ApiError::unexpected("build idempotency completion", e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// The live record `id`, read consistently; `None` if there is none or it is past its time.
pub async fn find(
    table: Idempotency<'_>,
    id: &str,
    now: Timestamp,
) -> Result<Option<Record>, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .key("key", s(id))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get idempotency record", e))?;
    match output.item {
        Some(item) => {
            let record = record_from_item(item)?;
            Ok((record.expires_at > now).then_some(record))
        }
        None => Ok(None),
    }
}

/// Gives up the record `attempt` holds (its request failed before its work was done), so a
/// retry can start at once. A record another attempt holds by now is left alone.
pub async fn release(table: Idempotency<'_>, id: &str, attempt: &str) -> Result<(), ApiError> {
    let result = table
        .client
        .delete_item()
        .table_name(table.name)
        .key("key", s(id))
        .condition_expression("#state = :running AND attempt = :attempt")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":running", s(RUNNING))
        .expression_attribute_values(":attempt", s(attempt))
        .send()
        .await;
    conditional("release idempotency record", result).map(drop)
}

/// How long a lease lasts when the function's deadline is not known (outside Lambda).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
