//! What spans tables: an account read with one of its sessions; a password change that ends
//! the account's other sessions; registration, reset, verification and deletion, each one
//! transaction with the token it uses and the outbox job it owes.
//!
//! Kept apart from each table's module so that none of them needs another.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, TransactWriteItem, Update,
};

use super::limits::{self, Limits};
use super::listing::Shards;
use super::outbox::{self, Outbox};
use super::products::{self, Products};
use super::sessions::{session_from_item, session_key, Sessions};
use super::tokens::{self, NewToken, Tokens};
use super::users::{self, stored_user_from_item, StoredUser, Users};
use super::values::{n, s};
use super::{storage_error, transact, Item, Transaction};
use crate::clock::Timestamp;
use crate::domain::outbox::OutboxEntry;
use crate::domain::token::{TokenHash, TokenPurpose};
use crate::domain::{Email, Id, Product, Session, SessionId, User};
use crate::error::ApiError;

/// The key of an email's failed-login counter (`auth::limits` keeps it).
fn login_email_key(email: &Email) -> String {
    format!("{}{email}", limits::LOGIN_EMAIL_COUNTERS)
}

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

/// The condition that an account is in session epoch `epoch` (an account that never moved on
/// has no `sessionEpoch` yet), on `:epoch`.
fn in_epoch(epoch: u64) -> &'static str {
    if epoch == 0 {
        "(attribute_not_exists(sessionEpoch) OR sessionEpoch = :epoch)"
    } else {
        "sessionEpoch = :epoch"
    }
}

/// Replaces the account's password hash (the one just verified) with `new_hash` and moves the
/// user to a new session epoch, carrying the session `keep` along: every other session ends,
/// and every reset link issued in the old epoch with them. One transaction, conditional on the
/// hash and epoch read, so a login that verified the old password cannot leave a session alive
/// after the change; the `notice` is owed in it.
pub async fn change_password(
    (users, sessions, outbox): (Users<'_>, Sessions<'_>, Outbox<'_>),
    stored: &StoredUser,
    new_hash: &str,
    keep: &SessionId,
    notice: &OutboxEntry,
) -> Result<PasswordChange, ApiError> {
    let epoch = stored.session_epoch;
    let next = n(epoch + 1);
    let epoch_condition = in_epoch(epoch);
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
        .expression_attribute_values(":verified", s(&stored.password_hash))
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
    let items = vec![
        TransactWriteItem::builder().update(user_update).build(),
        TransactWriteItem::builder().update(session_update).build(),
        TransactWriteItem::builder()
            .put(outbox::put(outbox, notice)?)
            .build(),
    ];
    let written = transact(users.client, "change password", items).await?;
    Ok(if written.refused_at(0) {
        PasswordChange::Conflict
    } else if written.refused_at(1) {
        PasswordChange::SessionEnded
    } else {
        PasswordChange::Changed
    })
}

/// Registers `user` and owes it the mail `verify` in the same transaction: `Ok(false)` if the
/// email is taken (conditionally, so two registrations racing cannot both succeed).
pub async fn register(
    users: Users<'_>,
    outbox: Outbox<'_>,
    user: &User,
    password_hash: &str,
    verify: &OutboxEntry,
) -> Result<bool, ApiError> {
    let account = Put::builder()
        .table_name(users.name)
        .set_item(Some(users::new_item(user, password_hash)?))
        .condition_expression(users::EMAIL_FREE)
        .build()
        .map_err(|e| ApiError::unexpected("build registration", e))?;
    let items = vec![
        TransactWriteItem::builder().put(account).build(),
        TransactWriteItem::builder()
            .put(outbox::put(outbox, verify)?)
            .build(),
    ];
    let written = transact(users.client, "register", items).await?;
    Ok(!written.refused_at(0))
}

/// How using a token ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenUse {
    Done,
    /// The token was used, expired or for something else meanwhile, or the account is gone
    /// or another: nothing was written.
    Refused,
}

/// What a reset needs of its token, read before the transaction.
#[derive(Debug, Clone)]
pub struct Reset<'r> {
    pub hash: &'r TokenHash,
    pub user_id: &'r Id,
    pub email: &'r Email,
    /// The account's session epoch when the token was issued: the reset is made only if the
    /// account is still in it (`None` for a token from before tokens held it).
    pub epoch: Option<u64>,
    pub new_hash: &'r str,
    pub now: Timestamp,
}

/// Resets a password with a token, in one transaction: the token is used (on the condition it
/// still works), the account gets `new_hash` and a new session epoch (every session ends), the
/// email's failed-login counter goes, and the notice is owed.
pub async fn reset_password(
    tables: (Tokens<'_>, Users<'_>, Limits<'_>, Outbox<'_>),
    reset: &Reset<'_>,
    notice: &OutboxEntry,
) -> Result<TokenUse, ApiError> {
    let (tokens, users, limits, outbox) = tables;
    let token = tokens::use_token(tokens, reset.hash, TokenPurpose::ResetPassword, reset.now)?;
    let account = Update::builder()
        .table_name(users.name)
        .set_key(Some(users::key(reset.email)))
        .update_expression("SET passwordHash = :new ADD sessionEpoch :one")
        .condition_expression(match reset.epoch {
            Some(epoch) => format!("id = :id AND {}", in_epoch(epoch)),
            None => "id = :id".to_owned(),
        })
        .set_expression_attribute_values(Some({
            let mut values = Item::from([
                (":new".to_owned(), s(reset.new_hash)),
                (":one".to_owned(), n(1)),
                (":id".to_owned(), s(reset.user_id.to_string())),
            ]);
            if let Some(epoch) = reset.epoch {
                values.insert(":epoch".to_owned(), n(epoch));
            }
            values
        }))
        .build()
        .map_err(|e| ApiError::unexpected("build reset", e))?;
    let counters = Delete::builder()
        .table_name(limits.name)
        .set_key(Some(limits::key(&login_email_key(reset.email))))
        .build()
        .map_err(|e| ApiError::unexpected("build reset", e))?;
    let items = vec![
        TransactWriteItem::builder().update(token).build(),
        TransactWriteItem::builder().update(account).build(),
        TransactWriteItem::builder().delete(counters).build(),
        TransactWriteItem::builder()
            .put(outbox::put(outbox, notice)?)
            .build(),
    ];
    Ok(
        match transact(users.client, "reset password", items).await? {
            Transaction::Written => TokenUse::Done,
            Transaction::Refused(_) => TokenUse::Refused,
        },
    )
}

/// Stores `token`, on the condition that its account is still there (and, for a reset token,
/// still in the token's epoch), in one transaction: a mail owed before the account was deleted
/// or its password changed makes no token. `Ok(false)` if the account is gone or moved on.
pub async fn issue_token(
    tokens: Tokens<'_>,
    users: Users<'_>,
    token: &NewToken<'_>,
) -> Result<bool, ApiError> {
    let condition = match token.purpose {
        TokenPurpose::ResetPassword => format!("id = :id AND {}", in_epoch(token.epoch)),
        TokenPurpose::VerifyEmail => "id = :id".to_owned(),
    };
    let mut values = Item::from([(":id".to_owned(), s(token.user_id.to_string()))]);
    if token.purpose == TokenPurpose::ResetPassword {
        values.insert(":epoch".to_owned(), n(token.epoch));
    }
    let account = ConditionCheck::builder()
        .table_name(users.name)
        .set_key(Some(users::key(token.email)))
        .condition_expression(condition)
        .set_expression_attribute_values(Some(values))
        .build()
        .map_err(|e| ApiError::unexpected("build token", e))?;
    let items = vec![
        TransactWriteItem::builder()
            .put(tokens::put(tokens, token)?)
            .build(),
        TransactWriteItem::builder()
            .condition_check(account)
            .build(),
    ];
    let written = transact(users.client, "issue token", items).await?;
    if written.refused_at(0) {
        return Err(ApiError::unexpected("put token", "token hash taken"));
    }
    Ok(!written.refused_at(1))
}

/// Verifies the address of the account `user_id` at `email` with the token `hash`, in one
/// transaction: the token is used, the account marked verified.
pub async fn verify_email(
    tokens: Tokens<'_>,
    users: Users<'_>,
    hash: &TokenHash,
    user_id: &Id,
    email: &Email,
    now: Timestamp,
) -> Result<TokenUse, ApiError> {
    let token = tokens::use_token(tokens, hash, TokenPurpose::VerifyEmail, now)?;
    let account = Update::builder()
        .table_name(users.name)
        .set_key(Some(users::key(email)))
        .update_expression("SET emailVerified = :true")
        .condition_expression("id = :id")
        .expression_attribute_values(":true", AttributeValue::Bool(true))
        .expression_attribute_values(":id", s(user_id.to_string()))
        .build()
        .map_err(|e| ApiError::unexpected("build verification", e))?;
    let items = vec![
        TransactWriteItem::builder().update(token).build(),
        TransactWriteItem::builder().update(account).build(),
    ];
    Ok(match transact(users.client, "verify email", items).await? {
        Transaction::Written => TokenUse::Done,
        Transaction::Refused(_) => TokenUse::Refused,
    })
}

/// Deletes the account `stored` (on the condition that its password is still the one verified)
/// and owes the purge of what it owned and the notice of its deletion, in one transaction: from
/// the moment it is written, no token of the account works (its sessions are read with it) and
/// the email is free. `Ok(false)` if the account changed or went meanwhile.
pub async fn delete_account(
    users: Users<'_>,
    outbox: Outbox<'_>,
    stored: &StoredUser,
    (purge, notice): (&OutboxEntry, &OutboxEntry),
) -> Result<bool, ApiError> {
    let account = Delete::builder()
        .table_name(users.name)
        .set_key(Some(users::key(&stored.user.email)))
        .condition_expression("id = :id AND passwordHash = :verified")
        .expression_attribute_values(":id", s(stored.user.id.to_string()))
        .expression_attribute_values(":verified", s(&stored.password_hash))
        .build()
        .map_err(|e| ApiError::unexpected("build account deletion", e))?;
    let items = vec![
        TransactWriteItem::builder().delete(account).build(),
        TransactWriteItem::builder()
            .put(outbox::put(outbox, purge)?)
            .build(),
        TransactWriteItem::builder()
            .put(outbox::put(outbox, notice)?)
            .build(),
    ];
    Ok(!transact(users.client, "delete account", items)
        .await?
        .refused_at(0))
}

/// How a product's creation ended, when storage did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creation {
    Created,
    /// The owner's account is gone (deleted meanwhile): nothing was written.
    AccountGone,
    /// The write given with it (an idempotency record's completion) refused: nothing was
    /// written.
    Refused,
}

/// Creates `product` for `owner`, counted in its totals, on the condition that the account is
/// still there, in one transaction with `with` (an idempotency record's completion) if given: a
/// product is never created for an account deleted meanwhile, whose purge would not see it.
pub async fn create_product(
    products: Products<'_>,
    users: Users<'_>,
    owner: &User,
    product: &Product,
    shards: Shards,
    with: Option<TransactWriteItem>,
) -> Result<Creation, ApiError> {
    let account = ConditionCheck::builder()
        .table_name(users.name)
        .set_key(Some(users::key(&owner.email)))
        .condition_expression("id = :id")
        .expression_attribute_values(":id", s(owner.id.to_string()))
        .build()
        .map_err(|e| ApiError::unexpected("build product creation", e))?;
    let mut items = vec![TransactWriteItem::builder()
        .condition_check(account)
        .build()];
    items.extend(products::creation(products, product, shards)?);
    let last = items.len();
    items.extend(with);
    let outcome = transact(users.client, "create product", items).await?;
    Ok(if outcome.refused_at(0) {
        Creation::AccountGone
    } else if outcome.refused_at(last) {
        Creation::Refused
    } else if let Transaction::Refused(_) = outcome {
        return Err(ApiError::unexpected(
            "create product",
            "a fresh product's own writes refused",
        ));
    } else {
        Creation::Created
    })
}
