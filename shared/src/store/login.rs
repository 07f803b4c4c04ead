//! The reads a login starts with, in one round trip: the account and its limit counters.
//!
//! Login is the one hot path whose cost is argon2 plus I/O; a single BatchGetItem instead of
//! three GetItems keeps the I/O to one request.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};

use super::limits::{live_window, Window};
use super::storage_error;
use super::users::{stored_user_from_item, StoredUser};
use crate::clock::Timestamp;
use crate::domain::Email;
use crate::error::ApiError;
use crate::state::AppState;

/// What a login needs to know before it verifies a password.
#[derive(Debug)]
pub struct LoginReads {
    pub user: Option<StoredUser>,
    /// The live window of each counter key asked for, in the same order.
    pub windows: Vec<Option<Window>>,
}

fn keys_for(name: &str, values: &[&str]) -> Result<KeysAndAttributes, ApiError> {
    let keys = values
        .iter()
        .map(|value| HashMap::from([(name.to_owned(), AttributeValue::S((*value).to_owned()))]))
        .collect();
    KeysAndAttributes::builder()
        .set_keys(Some(keys))
        .consistent_read(true)
        .build()
        .map_err(|e| ApiError::unexpected("build login reads", e))
}

/// Reads the account for `email` and the counters under `counter_keys`, consistently.
pub async fn read(
    state: &AppState,
    email: &Email,
    counter_keys: &[&str],
    now: Timestamp,
) -> Result<LoginReads, ApiError> {
    let tables = &state.config.tables;
    let mut request =
        HashMap::from([(tables.users.clone(), keys_for("email", &[email.as_str()])?)]);
    if !counter_keys.is_empty() {
        request.insert(tables.limits.clone(), keys_for("key", counter_keys)?);
    }

    let mut items: Vec<HashMap<String, AttributeValue>> = Vec::new();
    let mut users: Vec<HashMap<String, AttributeValue>> = Vec::new();
    // BatchGetItem may leave keys unprocessed under load: ask again for those, a few times.
    for _ in 0..3 {
        let output = state
            .dynamo
            .batch_get_item()
            .set_request_items(Some(request))
            .send()
            .await
            .map_err(|e| storage_error("read login state", e))?;
        let mut responses = output.responses.unwrap_or_default();
        users.extend(responses.remove(&tables.users).unwrap_or_default());
        items.extend(responses.remove(&tables.limits).unwrap_or_default());
        request = output.unprocessed_keys.unwrap_or_default();
        if request.is_empty() {
            let user = users
                .into_iter()
                .next()
                .map(stored_user_from_item)
                .transpose()?;
            let windows = counter_keys
                .iter()
                .map(|key| {
                    items
                        .iter()
                        .find(|item| matches!(item.get("key"), Some(AttributeValue::S(k)) if k == key))
                        .and_then(|item| live_window(item, now))
                })
                .collect();
            return Ok(LoginReads { user, windows });
        }
    }
    Err(ApiError::Unavailable {
        context: "read login state",
        retry_after: super::RETRY_AFTER_SECONDS,
        source: "keys left unprocessed after retries".into(),
    })
}
