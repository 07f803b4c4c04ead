//! DynamoDB storage: the client, and one module per table.

pub mod client;
pub mod limits;
pub mod products;
pub mod sessions;
pub mod users;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::ApiError;

/// Seconds a client is asked to wait when storage is unavailable.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// Error codes DynamoDB uses for a transient failure worth retrying.
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
];

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
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
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
