//! What spans the users and sessions tables: an account read with one of its sessions, and a
//! password change that ends the account's other sessions in the same transaction.
//!
//! Kept apart from `users` and `sessions` so that neither table's module needs the other.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, TransactWriteItem, Update};

use super::sessions::{session_from_item, session_key, Sessions};
use super::users::{stored_user_from_item, StoredUser, Users};
use super::values::{n, s};
use super::{storage_error, Item};
use crate::domain::{Email, Id, Session, SessionId};
use crate::error::ApiError;

/// An account and one of its sessions, as [`read_with_user`] found them.
#[derive(Debug)]
pub struct AccountSession {
    pub user: Option<StoredUser>,
    pub session: Option<Session>,
}

/// The account under `email` and one of its sessions, read consistently in one round trip.
pub async fn read_with_user(
    users: Users<'_>,
    sessions: Sessions<'_>,
    email: &Email,
    user_id: &Id,
    id: &SessionId,
) -> Result<AccountSession, ApiError> {
    let consistent = |key: Item| {
        KeysAndAttributes::builder()
            .keys(key)
            .consistent_read(true)
            .build()
            .map_err(|e| ApiError::unexpected("build session reads", e))
    };
    let mut request = HashMap::from([
        (
            users.name.to_owned(),
            consistent(HashMap::from([("email".to_owned(), s(email.to_string()))]))?,
        ),
        (
            sessions.name.to_owned(),
            consistent(session_key(user_id, id))?,
        ),
    ]);
    let mut found = AccountSession {
        user: None,
        session: None,
    };
    // BatchGetItem may leave keys unprocessed under load: ask again for those, a few times.
    for _ in 0..3 {
        let output = users
            .client
            .batch_get_item()
            .set_request_items(Some(request))
            .send()
            .await
            .map_err(|e| storage_error("read session", e))?;
        let mut responses = output.responses.unwrap_or_default();
        if let Some(item) = responses
            .remove(users.name)
            .and_then(|items| items.into_iter().next())
        {
            found.user = Some(stored_user_from_item(item)?);
        }
        if let Some(item) = responses
            .remove(sessions.name)
            .and_then(|items| items.into_iter().next())
        {
            found.session = Some(session_from_item(item)?);
        }
        request = output.unprocessed_keys.unwrap_or_default();
        if request.is_empty() {
            return Ok(found);
        }
    }
    Err(ApiError::Unavailable {
        context: "read session",
        retry_after: super::RETRY_AFTER_SECONDS,
        source: "keys left unprocessed after retries".into(),
    })
}

/// How a password change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    Changed,
    /// The password or the sessions changed since they were read: nothing was written.
    Conflict,
    /// The session the change was made from has ended meanwhile: nothing was written.
    SessionEnded,
}

/// Replaces the password hash `verified_hash` with `new_hash` and moves the user to a new
/// session epoch, carrying the session `keep` along: every other session ends. One transaction,
/// conditional on the hash and epoch read, so a login that verified the old password cannot
/// leave a session alive after the change.
pub async fn change_password(
    users: Users<'_>,
    sessions: Sessions<'_>,
    stored: &StoredUser,
    verified_hash: &str,
    new_hash: &str,
    keep: &SessionId,
) -> Result<PasswordChange, ApiError> {
    let epoch = stored.session_epoch;
    let next = n(epoch + 1);
    let epoch_condition = if epoch == 0 {
        "(attribute_not_exists(sessionEpoch) OR sessionEpoch = :epoch)"
    } else {
        "sessionEpoch = :epoch"
    };
    let user_update = Update::builder()
        .table_name(users.name)
        .key("email", s(stored.user.email.to_string()))
        .update_expression("SET passwordHash = :new, sessionEpoch = :next")
        .condition_expression(format!(
            "id = :id AND passwordHash = :verified AND {epoch_condition}"
        ))
        .expression_attribute_values(":new", s(new_hash))
        .expression_attribute_values(":next", next.clone())
        .expression_attribute_values(":id", s(stored.user.id.to_string()))
        .expression_attribute_values(":verified", s(verified_hash))
        .expression_attribute_values(":epoch", n(epoch))
        .build()
        .map_err(|e| ApiError::unexpected("build password change", e))?;
    let session_update = Update::builder()
        .table_name(sessions.name)
        .set_key(Some(session_key(&stored.user.id, keep)))
        .update_expression("SET epoch = :next")
        .condition_expression("attribute_exists(id) AND epoch = :epoch")
        .expression_attribute_values(":next", next)
        .expression_attribute_values(":epoch", n(epoch))
        .build()
        .map_err(|e| ApiError::unexpected("build password change", e))?;
    let result = users
        .client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(user_update).build())
        .transact_items(TransactWriteItem::builder().update(session_update).build())
        .send()
        .await;
    match result {
        Ok(_) => Ok(PasswordChange::Changed),
        Err(error) => {
            if let Some(TransactWriteItemsError::TransactionCanceledException(canceled)) =
                error.as_service_error()
            {
                let failed = |index: usize| {
                    canceled
                        .cancellation_reasons()
                        .get(index)
                        .and_then(|reason| reason.code())
                        == Some("ConditionalCheckFailed")
                };
                if failed(0) {
                    return Ok(PasswordChange::Conflict);
                }
                if failed(1) {
                    return Ok(PasswordChange::SessionEnded);
                }
            }
            Err(storage_error("change password", error))
        }
    }
}
