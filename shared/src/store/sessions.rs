//! The sessions table: one item per session, keyed by user id and session id, so a user's
//! sessions are one consistent Query and another user's session id finds nothing.
//!
//! Items carry a TTL attribute; DynamoDB deletes them (eventually) after they expire, and every
//! read treats an expired or superseded session as absent (`Session::is_live`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::values::{n, s};
use super::{conditional, corrupt_item, kind, storage_error, Conditional, Item, Table};
use crate::clock::Timestamp;
use crate::domain::session::{MAX_LIVE_SESSIONS, SESSION_LIFETIME};
use crate::domain::{Id, Session, SessionId};
use crate::error::ApiError;

/// A handle on the sessions table.
pub type Sessions<'a> = Table<'a, kind::Sessions>;

/// The longest a session lives, in milliseconds.
const SESSION_LIFETIME_MS: i64 = SESSION_LIFETIME.as_millis() as i64;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionItem {
    user_id: String,
    id: String,
    /// Milliseconds since the epoch, like `endsAt`.
    created_at: i64,
    ends_at: i64,
    /// Seconds since the epoch: DynamoDB's TTL attribute (`limits::TTL_ATTRIBUTE`).
    expires_at: i64,
    epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
}

pub(crate) fn session_from_item(item: Item) -> Result<Session, ApiError> {
    let item: SessionItem =
        serde_dynamo::from_item(item).map_err(|e| corrupt_item("read session", e))?;
    let bad = |what: &str| corrupt_item("read session", what.to_owned());
    Ok(Session {
        id: SessionId::parse(&item.id).ok_or_else(|| bad("id"))?,
        user_id: Id::parse(&item.user_id).ok_or_else(|| bad("userId"))?,
        created_at: Timestamp::from_millis(item.created_at),
        expires_at: Timestamp::from_millis(item.ends_at),
        source_ip: item.source_ip,
        user_agent: item.user_agent,
        epoch: item.epoch,
    })
}

/// The key of session `id` of `user_id`: the user id is the partition.
pub fn key(user_id: &Id, id: &SessionId) -> Item {
    HashMap::from([
        ("userId".to_owned(), s(user_id.to_string())),
        ("id".to_owned(), s(id.to_string())),
    ])
}

/// The item of `session`.
fn item_of(session: &Session) -> Result<Item, ApiError> {
    let item = SessionItem {
        user_id: session.user_id.to_string(),
        id: session.id.to_string(),
        created_at: session.created_at.millis(),
        ends_at: session.expires_at.millis(),
        expires_at: session.expires_at.seconds() + 1,
        epoch: session.epoch,
        source_ip: session.source_ip.clone(),
        user_agent: session.user_agent.clone(),
    };
    serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode session", e))
}

/// The most items a listing of one user's sessions reads: the live ones are at most
/// [`MAX_LIVE_SESSIONS`] and are the newest, so this leaves room for sessions of an older epoch
/// (ended all at once by logout-all or a password change) without reading without bound.
pub const LIST_READ_LIMIT: i32 = 2 * MAX_LIVE_SESSIONS as i32;

/// A user's sessions that have not expired by `now`, newest first, read consistently: one Query
/// on the key range of ids started within a token's lifetime of `now` (ids sort by start time),
/// at most [`LIST_READ_LIMIT`] items. Sessions of an older epoch may be among them; the caller
/// keeps the live ones (`Session::is_live`).
pub async fn list_unexpired(
    table: Sessions<'_>,
    user_id: &Id,
    now: Timestamp,
) -> Result<Vec<Session>, ApiError> {
    let oldest_start = Timestamp::from_millis(now.millis() - SESSION_LIFETIME_MS);
    let output = table
        .client
        .query()
        .table_name(table.name)
        .key_condition_expression("userId = :user AND id > :oldest")
        .expression_attribute_values(":user", s(user_id.to_string()))
        .expression_attribute_values(":oldest", s(SessionId::first_started_at(oldest_start)))
        .scan_index_forward(false)
        .limit(LIST_READ_LIMIT)
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("list sessions", e))?;
    output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(session_from_item)
        .filter(|session| !matches!(session, Ok(s) if s.expires_at <= now))
        .collect()
}

/// Starts `session` (stored, at `now`) and ends the user's live sessions beyond the newest
/// [`MAX_LIVE_SESSIONS`]: a login that would exceed the limit ends the oldest. One session more
/// than the limit lives at most, and only until this ends the oldest.
pub async fn start(table: Sessions<'_>, session: &Session, now: Timestamp) -> Result<(), ApiError> {
    table
        .client
        .put_item()
        .table_name(table.name)
        .set_item(Some(item_of(session)?))
        .send()
        .await
        .map_err(|e| storage_error("put session", e))?;
    let (user_id, epoch) = (&session.user_id, session.epoch);
    let mut live: Vec<Session> = list_unexpired(table, user_id, now)
        .await?
        .into_iter()
        .filter(|session| session.is_live(epoch, now))
        .collect();
    if live.len() <= MAX_LIVE_SESSIONS {
        return Ok(());
    }
    live.sort_by(|a, b| b.id.cmp(&a.id));
    for oldest in &live[MAX_LIVE_SESSIONS..] {
        delete(table, user_id, &oldest.id).await?;
    }
    Ok(())
}

/// Ends a session, whatever its state.
pub async fn delete(table: Sessions<'_>, user_id: &Id, id: &SessionId) -> Result<(), ApiError> {
    table
        .client
        .delete_item()
        .table_name(table.name)
        .set_key(Some(key(user_id, id)))
        .send()
        .await
        .map_err(|e| storage_error("delete session", e))?;
    Ok(())
}

/// Ends one of the user's sessions if it is live (of `epoch`, unexpired at `now`); `false` if
/// there is no such live session.
pub async fn end_live(
    table: Sessions<'_>,
    user_id: &Id,
    id: &SessionId,
    epoch: u64,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let result = table
        .client
        .delete_item()
        .table_name(table.name)
        .set_key(Some(key(user_id, id)))
        .condition_expression("attribute_exists(id) AND epoch = :epoch AND endsAt > :now")
        .expression_attribute_values(":epoch", n(epoch))
        .expression_attribute_values(":now", n(now.millis()))
        .send()
        .await;
    match conditional("end session", result)? {
        Conditional::Written(_) => Ok(true),
        Conditional::Refused(_) => Ok(false),
    }
}

/// The key of a session item, for writes other modules put in one transaction.
pub(crate) fn session_key(user_id: &Id, id: &SessionId) -> Item {
    key(user_id, id)
}

/// Deletes every session of `user_id` (an account that is gone); returns how many.
pub async fn purge_user(table: Sessions<'_>, user_id: &Id) -> Result<usize, ApiError> {
    let query = table
        .client
        .query()
        .table_name(table.name)
        .key_condition_expression("userId = :user")
        .expression_attribute_values(":user", s(user_id.to_string()))
        .projection_expression("userId, id");
    super::delete_found(
        table.client,
        table.name,
        query,
        &["userId", "id"],
        "purge sessions",
    )
    .await
}
