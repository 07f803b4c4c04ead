//! The users table, keyed by normalised email so that uniqueness is a conditional write.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{corrupt_item, storage_error};
use crate::clock::Timestamp;
use crate::domain::{DisplayName, Email, Id, User};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserItem {
    email: String,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    password_hash: String,
    created_at: String,
}

/// A user together with the password hash only login may see.
#[derive(Debug)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

/// Stores a new account. `Ok(false)` means the email is taken, even under a race: the write is
/// conditional on the email being absent, so two registrations cannot both succeed.
pub async fn insert(state: &AppState, user: &User, password_hash: &str) -> Result<bool, ApiError> {
    let item = UserItem {
        email: user.email.to_string(),
        id: user.id.to_string(),
        name: user.name.as_ref().map(|n| n.as_str().to_owned()),
        password_hash: password_hash.to_owned(),
        created_at: user.created_at.to_string(),
    };
    let item = serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode user", e))?;
    let result = state
        .dynamo
        .put_item()
        .table_name(&state.config.tables.users)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(email)")
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(error) => match error.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
            _ => Err(storage_error("put user", error)),
        },
    }
}

/// The account registered under `email`, if any.
pub async fn find_by_email(
    state: &AppState,
    email: &Email,
) -> Result<Option<StoredUser>, ApiError> {
    let output = state
        .dynamo
        .get_item()
        .table_name(&state.config.tables.users)
        .key("email", AttributeValue::S(email.to_string()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get user", e))?;
    output.item.map(stored_user_from_item).transpose()
}

/// A user item as stored, checked back into its domain types.
pub(crate) fn stored_user_from_item(
    item: std::collections::HashMap<String, AttributeValue>,
) -> Result<StoredUser, ApiError> {
    let item: UserItem = serde_dynamo::from_item(item).map_err(|e| corrupt_item("read user", e))?;
    let bad = |what: &str| corrupt_item("read user", what.to_owned());
    let user = User {
        id: Id::parse(&item.id).ok_or_else(|| bad("id"))?,
        email: Email::parse(&item.email).map_err(|_| bad("email"))?,
        name: item.name.map(DisplayName::from_stored),
        created_at: Timestamp::parse_rfc3339(&item.created_at).ok_or_else(|| bad("createdAt"))?,
    };
    Ok(StoredUser {
        user,
        password_hash: item.password_hash,
    })
}
