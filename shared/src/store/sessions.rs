//! The sessions table: one item per session, keyed by user id and session id, so a user's
//! sessions are one consistent Query and another user's session id finds nothing.
//!
//! Items carry a TTL attribute; DynamoDB deletes them (eventually) after they expire, and every
//! read treats an expired or superseded session as absent (`Session::is_live`).

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde::{Deserialize, Serialize};

use super::users::{stored_user_from_item, StoredUser};
use super::{corrupt_item, storage_error};
use crate::clock::Timestamp;
use crate::domain::{Email, Id, Session, SessionId};
use crate::error::ApiError;
use crate::state::AppState;

type Item = HashMap<String, AttributeValue>;

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

fn session_from_item(item: Item) -> Result<Session, ApiError> {
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

fn key(user_id: &Id, id: &SessionId) -> Item {
    HashMap::from([
        ("userId".to_owned(), AttributeValue::S(user_id.to_string())),
        ("id".to_owned(), AttributeValue::S(id.to_string())),
    ])
}

/// Stores a new session.
pub async fn insert(state: &AppState, session: &Session) -> Result<(), ApiError> {
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
    let item =
        serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode session", e))?;
    state
        .dynamo
        .put_item()
        .table_name(&state.config.tables.sessions)
        .set_item(Some(item))
        .send()
        .await
        .map_err(|e| storage_error("put session", e))?;
    Ok(())
}

/// The account under `email` and one of its sessions, read consistently in one round trip.
pub async fn read_with_user(
    state: &AppState,
    email: &Email,
    user_id: &Id,
    id: &SessionId,
) -> Result<(Option<StoredUser>, Option<Session>), ApiError> {
    let tables = &state.config.tables;
    let consistent = |key: Item| {
        KeysAndAttributes::builder()
            .keys(key)
            .consistent_read(true)
            .build()
            .map_err(|e| ApiError::unexpected("build session reads", e))
    };
    let mut request = HashMap::from([
        (
            tables.users.clone(),
            consistent(HashMap::from([(
                "email".to_owned(),
                AttributeValue::S(email.to_string()),
            )]))?,
        ),
        (tables.sessions.clone(), consistent(key(user_id, id))?),
    ]);
    let mut user = None;
    let mut session = None;
    // BatchGetItem may leave keys unprocessed under load: ask again for those, a few times.
    for _ in 0..3 {
        let output = state
            .dynamo
            .batch_get_item()
            .set_request_items(Some(request))
            .send()
            .await
            .map_err(|e| storage_error("read session", e))?;
        let mut responses = output.responses.unwrap_or_default();
        if let Some(item) = responses
            .remove(&tables.users)
            .and_then(|items| items.into_iter().next())
        {
            user = Some(stored_user_from_item(item)?);
        }
        if let Some(item) = responses
            .remove(&tables.sessions)
            .and_then(|items| items.into_iter().next())
        {
            session = Some(session_from_item(item)?);
        }
        request = output.unprocessed_keys.unwrap_or_default();
        if request.is_empty() {
            return Ok((user, session));
        }
    }
    Err(ApiError::Unavailable {
        context: "read session",
        retry_after: super::RETRY_AFTER_SECONDS,
        source: "keys left unprocessed after retries".into(),
    })
}

/// Every stored session of a user, live or not, read consistently.
pub async fn list(state: &AppState, user_id: &Id) -> Result<Vec<Session>, ApiError> {
    let mut sessions = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let output = state
            .dynamo
            .query()
            .table_name(&state.config.tables.sessions)
            .key_condition_expression("userId = :user")
            .expression_attribute_values(":user", AttributeValue::S(user_id.to_string()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| storage_error("list sessions", e))?;
        for item in output.items.unwrap_or_default() {
            sessions.push(session_from_item(item)?);
        }
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(sessions);
        }
    }
}

/// Ends a session, whatever its state.
pub async fn delete(state: &AppState, user_id: &Id, id: &SessionId) -> Result<(), ApiError> {
    state
        .dynamo
        .delete_item()
        .table_name(&state.config.tables.sessions)
        .set_key(Some(key(user_id, id)))
        .send()
        .await
        .map_err(|e| storage_error("delete session", e))?;
    Ok(())
}

/// Ends one of the user's sessions if it is live (of `epoch`, unexpired at `now`); `false` if
/// there is no such live session.
pub async fn end_live(
    state: &AppState,
    user_id: &Id,
    id: &SessionId,
    epoch: u64,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let result = state
        .dynamo
        .delete_item()
        .table_name(&state.config.tables.sessions)
        .set_key(Some(key(user_id, id)))
        .condition_expression("attribute_exists(id) AND epoch = :epoch AND endsAt > :now")
        .expression_attribute_values(":epoch", AttributeValue::N(epoch.to_string()))
        .expression_attribute_values(":now", AttributeValue::N(now.millis().to_string()))
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(error) => match error.as_service_error() {
            Some(DeleteItemError::ConditionalCheckFailedException(_)) => Ok(false),
            _ => Err(storage_error("end session", error)),
        },
    }
}

/// The key of a session item, for writes other modules put in one transaction.
pub(crate) fn session_key(user_id: &Id, id: &SessionId) -> Item {
    key(user_id, id)
}
