//! DynamoDB storage: the client, and one module per table.
//!
//! Every store function takes the [`Table`] handles it works on (a client and a table's name),
//! never the whole application state: what a function may touch is in its signature. Failures
//! come back as [`ApiError`]s. A conditional write's refusal is told apart from a storage
//! failure in one place for single items, `conditional`, and one for transactions, `transact`;
//! failures are classified (throttled, transient, unexpected) in one place, `storage_error`.

pub mod accounts;
pub mod client;
pub mod idempotency;
mod images;
pub mod layout;
pub mod limits;
pub mod listing;
pub mod outbox;
pub mod products;
pub mod sessions;
pub mod tokens;
pub mod totals;
pub mod users;
mod values;

use std::collections::HashMap;
use std::marker::PhantomData;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::error::ApiError;

/// A stored item, attribute by attribute.
pub type Item = HashMap<String, AttributeValue>;

/// One DynamoDB table: the client and the table's name. `Kind` (one of [`kind`]'s markers) ties
/// a handle to the module of its table, so a users handle cannot reach a products function.
pub struct Table<'a, Kind> {
    client: &'a Client,
    name: &'a str,
    kind: PhantomData<Kind>,
}

impl<'a, Kind> Table<'a, Kind> {
    pub fn new(client: &'a Client, name: &'a str) -> Self {
        Self {
            client,
            name,
            kind: PhantomData,
        }
    }
}

impl<Kind> Clone for Table<'_, Kind> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Kind> Copy for Table<'_, Kind> {}

impl<Kind> std::fmt::Debug for Table<'_, Kind> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Table").field(&self.name).finish()
    }
}

/// A handle on the products table ([`products`], and its indexes: [`listing`]).
pub type Products<'a> = Table<'a, kind::Products>;

/// The tables, as type markers for [`Table`].
pub mod kind {
    /// `PRODUCTS_TABLE`: [`super::products`].
    pub enum Products {}
    /// `USERS_TABLE`: [`super::users`].
    pub enum Users {}
    /// `SESSIONS_TABLE`: [`super::sessions`].
    pub enum Sessions {}
    /// `LIMITS_TABLE`: [`super::limits`].
    pub enum Limits {}
    /// `TOKENS_TABLE`: [`super::tokens`].
    pub enum Tokens {}
    /// `OUTBOX_TABLE`: [`super::outbox`].
    pub enum Outbox {}
    /// `IDEMPOTENCY_TABLE`: [`super::idempotency`].
    pub enum Idempotency {}
}

/// How a conditional write ended, when storage did not fail.
pub(crate) enum Conditional<T> {
    Written(T),
    /// Its condition did not hold; the item as it was, if the write asked for it
    /// (`ReturnValuesOnConditionCheckFailure`) and there was one.
    Refused(Option<Item>),
}

/// The operation errors that can mean a condition did not hold.
pub(crate) trait ConditionFailure {
    fn condition_failure(&self) -> Option<&ConditionalCheckFailedException>;
}

macro_rules! condition_failure {
    ($($error:ident),*) => {$(
        impl ConditionFailure for $error {
            fn condition_failure(&self) -> Option<&ConditionalCheckFailedException> {
                match self {
                    Self::ConditionalCheckFailedException(failed) => Some(failed),
                    _ => None,
                }
            }
        }
    )*};
}

condition_failure!(PutItemError, UpdateItemError, DeleteItemError);

/// Tells a conditional write's refusal apart from a storage failure (see [`storage_error`]).
pub(crate) fn conditional<T, E, R>(
    context: &'static str,
    result: Result<T, SdkError<E, R>>,
) -> Result<Conditional<T>, ApiError>
where
    E: ConditionFailure + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(output) => Ok(Conditional::Written(output)),
        Err(error) => match error
            .as_service_error()
            .and_then(ConditionFailure::condition_failure)
        {
            Some(failed) => Ok(Conditional::Refused(failed.item.clone())),
            None => Err(storage_error(context, error)),
        },
    }
}

/// How a transaction ended, when storage did not fail.
pub(crate) enum Transaction {
    Written,
    /// A condition did not hold: which of the transaction's items (by position) refused.
    Refused(Vec<bool>),
}

impl Transaction {
    /// Whether the item at `index` refused.
    pub fn refused_at(&self, index: usize) -> bool {
        matches!(self, Self::Refused(refused) if refused.get(index) == Some(&true))
    }
}

/// How many times a transaction that met another on one of its items is tried.
const TRANSACTION_ATTEMPTS: u32 = 6;

/// Runs a transaction, telling refused conditions apart from storage failures. One cancelled
/// because another transaction held one of its items at the moment (two creates counting in the
/// same counter item, say) is tried again after a short, random pause.
pub(crate) async fn transact(
    client: &Client,
    context: &'static str,
    items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
) -> Result<Transaction, ApiError> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .send()
            .await
        {
            Ok(_) => return Ok(Transaction::Written),
            Err(error) => error,
        };
        let reasons: Vec<Option<String>> = match error.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(canceled)) => canceled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().map(str::to_owned))
                .collect(),
            _ => return Err(storage_error(context, error)),
        };
        let is = |code: &str| reasons.iter().any(|reason| reason.as_deref() == Some(code));
        if is("ConditionalCheckFailed") {
            return Ok(Transaction::Refused(
                reasons
                    .iter()
                    .map(|reason| reason.as_deref() == Some("ConditionalCheckFailed"))
                    .collect(),
            ));
        }
        if !is("TransactionConflict") {
            return Err(storage_error(context, error));
        }
        if attempt >= TRANSACTION_ATTEMPTS {
            return Err(ApiError::Unavailable {
                context,
                retry_after: RETRY_AFTER_SECONDS,
                source: Box::new(error),
            });
        }
        tokio::time::sleep(conflict_pause(attempt)).await;
    }
}

/// A random pause of up to 5 × 2^attempt ms, so that transactions which met do not meet again.
fn conflict_pause(attempt: u32) -> std::time::Duration {
    let mut random = [0u8; 2];
    let _ = getrandom::getrandom(&mut random);
    let ceiling = 5u64 << attempt.min(6);
    std::time::Duration::from_millis(1 + u64::from(u16::from_le_bytes(random)) % ceiling)
}

/// Deletes every item `query` finds, a page at a time, keeping the attributes `key_names` of
/// each as its key; returns how many it deleted. Run again, it finds what is left.
pub(crate) async fn delete_found(
    client: &Client,
    table: &str,
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    key_names: &[&str],
    context: &'static str,
) -> Result<usize, ApiError> {
    let mut deleted = 0;
    let mut start: Option<Item> = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| storage_error(context, e))?;
        let keys: Vec<Item> = page
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|mut item| {
                key_names
                    .iter()
                    .filter_map(|name| item.remove_entry(*name))
                    .collect()
            })
            .collect();
        deleted += keys.len();
        delete_all(client, table, keys, context).await?;
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(deleted);
        }
    }
}

/// Deletes every item of `table` its keys-only `index` files under the account `user_id`
/// (`userId`), reading the table's own key (`key_names`) from the index; returns how many.
pub(crate) async fn delete_of_user(
    client: &Client,
    (table, index): (&str, &str),
    key_names: &[&str],
    user_id: &crate::domain::Id,
    context: &'static str,
) -> Result<usize, ApiError> {
    let query = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression("userId = :user")
        .expression_attribute_values(":user", values::s(user_id.to_string()));
    delete_found(client, table, query, key_names, context).await
}

/// Deletes the items of `keys` from `table`, 25 to a batch (DynamoDB's most), asking again for
/// what a batch leaves unprocessed under load.
pub(crate) async fn delete_all(
    client: &Client,
    table: &str,
    keys: Vec<Item>,
    context: &'static str,
) -> Result<(), ApiError> {
    use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
    for chunk in keys.chunks(25) {
        let mut requests = chunk
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key.clone()))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(|e| ApiError::unexpected(context, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for attempt in 0..8 {
            if requests.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
            }
            let output = client
                .batch_write_item()
                .request_items(table, requests)
                .send()
                .await
                .map_err(|e| storage_error(context, e))?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(table))
                .unwrap_or_default();
        }
        if !requests.is_empty() {
            return Err(ApiError::Unavailable {
                context,
                retry_after: RETRY_AFTER_SECONDS,
                source: "items left unprocessed after retries".into(),
            });
        }
    }
    Ok(())
}

/// Seconds a client is asked to wait when storage is unavailable.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// Error codes with which DynamoDB refuses a request for its rate.
const THROTTLING_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
];

/// Error codes of other transient failures, worth retrying like throttling.
const TRANSIENT_CODES: &[&str] = &[
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// The code DynamoDB answered with. Failures are classified by code, one way for every
/// operation: the typed variants differ from one operation's error type to the next.
fn code<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> Option<&str> {
    error
        .as_service_error()
        .and_then(ProvideErrorMetadata::code)
}

/// Whether DynamoDB refused the request for its rate (a hot key, or the table's throughput).
pub(crate) fn is_throttling<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    code(error).is_some_and(|code| THROTTLING_CODES.contains(&code))
}

/// Maps an SDK failure: unreachable, timed out or throttled storage is a 503; anything else is
/// unexpected (a 500 with the full cause in the log).
pub(crate) fn storage_error<E, R>(context: &'static str, error: SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error + Send + Sync + 'static,
{
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            is_throttling(&error)
                || code(&error).is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    };
    let source = Box::new(error);
    if transient {
        ApiError::Unavailable {
            context,
            retry_after: RETRY_AFTER_SECONDS,
            source,
        }
    } else {
        ApiError::Unexpected { context, source }
    }
}

/// An item that does not parse back into its domain type: a bug or a hand edit, never the client.
pub(crate) fn corrupt_item(context: &'static str, detail: impl std::fmt::Display) -> ApiError {
    ApiError::unexpected(context, format!("stored item is malformed: {detail}"))
}
