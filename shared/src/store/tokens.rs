//! The tokens table: one item per one-time token, keyed by the token's SHA-256 (never the
//! token itself), with what it was issued for, to whom, until when, and whether it was used.
//! Using one is a conditional write in the transaction that does what it allows
//! (`accounts`), so a token works once however many requests race with it.

use aws_sdk_dynamodb::types::Put;
use serde::{Deserialize, Serialize};

use super::values::{n, s};
use super::{corrupt_item, kind, storage_error, Item, Table};
use crate::clock::Timestamp;
use crate::domain::token::{TokenHash, TokenPurpose};
use crate::domain::{Email, Id};
use crate::error::ApiError;

/// A handle on the tokens table.
pub type Tokens<'a> = Table<'a, kind::Tokens>;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenItem {
    hash: String,
    purpose: String,
    user_id: String,
    email: String,
    /// The account's session epoch when the token was issued (absent on tokens from before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    epoch: Option<u64>,
    /// Milliseconds since the epoch: the code's own expiry.
    ends_at: i64,
    /// Seconds since the epoch: DynamoDB's TTL attribute, which only tidies up.
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    used_at: Option<i64>,
}

/// A stored token, as a request that presents it finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub purpose: TokenPurpose,
    pub user_id: Id,
    pub email: Email,
    /// The account's session epoch when it was issued.
    pub epoch: Option<u64>,
    pub ends_at: Timestamp,
    pub used: bool,
}

impl IssuedToken {
    /// Whether it still works at `now` for `purpose`: unused and unexpired.
    pub fn works_for(&self, purpose: TokenPurpose, now: Timestamp) -> bool {
        self.purpose == purpose && !self.used && self.ends_at > now
    }
}

/// A token to store: issued at `now` for `purpose` to the account `user_id` at `email`, in its
/// session epoch `epoch` (a reset token works only while the account is still in it).
#[derive(Debug)]
pub struct NewToken<'a> {
    pub hash: &'a TokenHash,
    pub purpose: TokenPurpose,
    pub user_id: &'a Id,
    pub email: &'a Email,
    pub epoch: u64,
    pub now: Timestamp,
}

/// The write that stores `token`, never over another (256 random bits never repeat; if they
/// did, the earlier token must not be replaced): one item of the transaction that issues it.
pub(crate) fn put(table: Tokens<'_>, token: &NewToken<'_>) -> Result<Put, ApiError> {
    let ends_at = token.now.plus(token.purpose.lifetime());
    let item = TokenItem {
        hash: token.hash.as_str().to_owned(),
        purpose: token.purpose.as_str().to_owned(),
        user_id: token.user_id.to_string(),
        email: token.email.to_string(),
        epoch: Some(token.epoch),
        ends_at: ends_at.millis(),
        expires_at: ends_at.seconds() + 1,
        used_at: None,
    };
    let item = serde_dynamo::to_item(item).map_err(|e| ApiError::unexpected("encode token", e))?;
    Put::builder()
        .table_name(table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#hash)")
        .expression_attribute_names("#hash", "hash")
        .build()
        .map_err(|e| ApiError::unexpected("build token", e))
}

/// The token stored under `hash`, read consistently, if any.
pub async fn find(table: Tokens<'_>, hash: &TokenHash) -> Result<Option<IssuedToken>, ApiError> {
    let output = table
        .client
        .get_item()
        .table_name(table.name)
        .set_key(Some(key(hash)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| storage_error("get token", e))?;
    output.item.map(token_from_item).transpose()
}

fn token_from_item(item: Item) -> Result<IssuedToken, ApiError> {
    let item: TokenItem =
        serde_dynamo::from_item(item).map_err(|e| corrupt_item("read token", e))?;
    let bad = |what: &str| corrupt_item("read token", what.to_owned());
    Ok(IssuedToken {
        purpose: TokenPurpose::parse(&item.purpose).ok_or_else(|| bad("purpose"))?,
        user_id: Id::parse(&item.user_id).ok_or_else(|| bad("userId"))?,
        email: Email::parse(&item.email).map_err(|_| bad("email"))?,
        epoch: item.epoch,
        ends_at: Timestamp::from_millis(item.ends_at),
        used: item.used_at.is_some(),
    })
}

/// The key of the token stored under `hash`.
pub(crate) fn key(hash: &TokenHash) -> Item {
    Item::from([("hash".to_owned(), s(hash.as_str()))])
}

/// The update that uses a token in a transaction: it marks the token used at `now`, on the
/// condition that it is still unused, unexpired and for `purpose`.
pub(crate) fn use_token(
    table: Tokens<'_>,
    hash: &TokenHash,
    purpose: TokenPurpose,
    now: Timestamp,
) -> Result<aws_sdk_dynamodb::types::Update, ApiError> {
    aws_sdk_dynamodb::types::Update::builder()
        .table_name(table.name)
        .set_key(Some(key(hash)))
        .update_expression("SET usedAt = :now")
        .condition_expression(
            "attribute_exists(#hash) AND purpose = :purpose AND endsAt > :now AND attribute_not_exists(usedAt)",
        )
        .expression_attribute_names("#hash", "hash")
        .expression_attribute_values(":now", n(now.millis()))
        .expression_attribute_values(":purpose", s(purpose.as_str()))
        .build()
        .map_err(|e| ApiError::unexpected("build token use", e))
}

/// The index of the tokens table by account (`userId`, keys only): what a deleted account's
/// purge finds its tokens by.
pub const BY_USER_INDEX: &str = "byUser";

/// Deletes every token issued to the account `user_id` (one that is gone); returns how many.
pub async fn purge_user(table: Tokens<'_>, user_id: &Id) -> Result<usize, ApiError> {
    let at = (table.name, BY_USER_INDEX);
    super::delete_of_user(table.client, at, &["hash"], user_id, "purge tokens").await
}
