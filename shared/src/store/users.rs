//! The users table, keyed by normalised email so that uniqueness is a conditional write.

use serde::{Deserialize, Serialize};

use super::values::{n, s, text_of};
use super::{conditional, corrupt_item, kind, storage_error, Conditional, Item, Table};
use crate::clock::Timestamp;
use crate::domain::{DisplayName, Email, Id, User};
use crate::error::ApiError;

/// A handle on the users table.
pub type Users<'a> = Table<'a, kind::Users>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserItem {
    email: String,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    password_hash: String,
    created_at: String,
    /// Sessions of an older epoch are over (`domain::session`); absent means 0.
    #[serde(default)]
    session_epoch: u64,
    /// Absent (accounts from before verification) means not verified.
    #[serde(default)]
    email_verified: bool,
}

/// A user as stored: with the password hash, which no handler sees (only this library's
/// password check and conditional writes read it: `auth::password::verify_account`).
#[derive(Debug)]
pub struct StoredUser {
    pub user: User,
    pub(crate) password_hash: String,
    pub session_epoch: u64,
}

/// The item of a new account.
pub(crate) fn new_item(user: &User, password_hash: &str) -> Result<Item, ApiError> {
    let User {
        id,
        email,
        name,
        email_verified,
        created_at,
    } = user;
    let item = UserItem {
        email: email.to_string(),
        id: id.to_string(),
        name: name.as_ref().map(|n| n.as_str().to_owned()),
        password_hash: password_hash.to_owned(),
        created_at: created_at.to_string(),
        session_epoch: 0,
        email_verified: *email_verified,
    };
    serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode user", e))
}

/// The condition a new account is written on: its email is not taken.
pub(crate) const EMAIL_FREE: &str = "attribute_not_exists(email)";

/// The key of an account.
pub(crate) fn key(email: &Email) -> Item {
    Item::from([("email".to_owned(), s(email.to_string()))])
}

/// Stores a new account. `Ok(false)` means the email is taken, even under a race: the write is
/// conditional on the email being absent, so two registrations cannot both succeed.
pub async fn insert(table: Users<'_>, user: &User, password_hash: &str) -> Result<bool, ApiError> {
    let item = new_item(user, password_hash)?;
    let result = table
        .client
        .put_item()
        .table_name(table.name)
        .set_item(Some(item))
        .condition_expression(EMAIL_FREE)
        .send()
        .await;
    match conditional("put user", result)? {
        Conditional::Written(_) => Ok(true),
        Conditional::Refused(_) => Ok(false),
    }
}

/// The account registered under `email`, if any.
pub async fn find_by_email(
    table: Users<'_>,
    email: &Email,
) -> Result<Option<StoredUser>, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .key("email", s(email.to_string()))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get user", e))?;
    output.item.map(stored_user_from_item).transpose()
}

/// Whether the account `id` is still registered under `email`. Reads the key and `id` alone,
/// strongly consistent: the purger's role may read no more of an account (template.yaml:
/// `dynamodb:Attributes`).
pub async fn holds_account(table: Users<'_>, email: &Email, id: &Id) -> Result<bool, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .key("email", s(email.to_string()))
        .projection_expression("id")
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get account id", e))?;
    Ok(output
        .item
        .is_some_and(|item| text_of(&item, "id") == Some(id.as_str())))
}

/// A user item as stored, checked back into its domain types.
pub(crate) fn stored_user_from_item(item: Item) -> Result<StoredUser, ApiError> {
    let item: UserItem = serde_dynamo::from_item(item).map_err(|e| corrupt_item("read user", e))?;
    let bad = |what: &str| corrupt_item("read user", what.to_owned());
    let user = User {
        id: Id::parse(&item.id).ok_or_else(|| bad("id"))?,
        email: Email::parse(&item.email).map_err(|_| bad("email"))?,
        name: item.name.map(DisplayName::from_stored),
        email_verified: item.email_verified,
        created_at: Timestamp::parse_rfc3339(&item.created_at).ok_or_else(|| bad("createdAt"))?,
    };
    Ok(StoredUser {
        user,
        password_hash: item.password_hash,
        session_epoch: item.session_epoch,
    })
}

/// Ends every session of the user: one write moves the user to a new session epoch. It names
/// only the account's key and `sessionEpoch`, which is all logout-all's role may write
/// (template.yaml: `dynamodb:Attributes`); the caller has just read the account under this key.
pub async fn end_all_sessions(table: Users<'_>, user: &User) -> Result<(), ApiError> {
    let result = table
        .client
        .update_item()
        .table_name(table.name)
        .key("email", s(user.email.to_string()))
        .update_expression("ADD sessionEpoch :one")
        .condition_expression("attribute_exists(email)")
        .expression_attribute_values(":one", n(1))
        .send()
        .await;
    match conditional("end sessions", result)? {
        Conditional::Written(_) => Ok(()),
        // The account is gone: it has no sessions left to end.
        Conditional::Refused(_) => Ok(()),
    }
}

/// Sets or (with `None`) removes the account's display name, if it is still the account `user`
/// names; the account with its new name, or `None` if it is gone. The write names only the key,
/// `id` and `name`, and asks for nothing back: update-profile's role allows no more
/// (template.yaml: `dynamodb:Attributes`, `dynamodb:ReturnValues`), so the stored password hash
/// never reaches it.
pub async fn set_name(
    table: Users<'_>,
    user: &User,
    name: Option<&DisplayName>,
) -> Result<Option<User>, ApiError> {
    let update = table
        .client
        .update_item()
        .table_name(table.name)
        .set_key(Some(key(&user.email)))
        .condition_expression("id = :id")
        .expression_attribute_values(":id", s(user.id.to_string()))
        .expression_attribute_names("#name", "name");
    let update = match name {
        Some(name) => update
            .update_expression("SET #name = :name")
            .expression_attribute_values(":name", s(name.as_str())),
        None => update.update_expression("REMOVE #name"),
    };
    match conditional("set name", update.send().await)? {
        Conditional::Written(_) => Ok(Some(User {
            name: name.cloned(),
            ..user.clone()
        })),
        Conditional::Refused(_) => Ok(None),
    }
}
