//! The one error type every handler returns, and its single mapping to an HTTP status.
//!
//! Rendering as an RFC 9457 problem lives in [`crate::http::problem`]; nothing else turns an
//! error into a response.

use lambda_http::http::StatusCode;
use serde::Serialize;

/// Boxed cause of an unexpected failure, kept for the log and never shown to a client.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The most field errors a problem lists (openapi.yaml, `Problem.errors`): a body of thousands
/// of unknown keys is refused all the same, without an answer as large as itself.
pub const MAX_FIELD_ERRORS: usize = 20;
/// The longest field name a field error repeats: a client's unknown key is cut to this.
pub const MAX_FIELD_NAME_CHARS: usize = 100;

/// One problem with one field of a request, reported in the problem body's `errors` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// A field's error; a field name longer than [`MAX_FIELD_NAME_CHARS`] is cut to it.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut field = field.into();
        if let Some((cut, _)) = field.char_indices().nth(MAX_FIELD_NAME_CHARS) {
            field.truncate(cut);
        }
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; `errors` lists field-level failures when there are any.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// No valid credentials; answered with `WWW-Authenticate: Bearer`.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method; `allow` lists the methods it takes.
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    /// The same request (by its idempotency key) is still running; answered with `Retry-After`.
    #[error("{detail}")]
    InProgress { detail: String, retry_after: u64 },
    /// The request is well formed but cannot be done as asked (an idempotency key already used
    /// with another body).
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A patch of another media type than JSON Merge Patch; answered with `Accept-Patch`.
    #[error("{0}")]
    UnsupportedPatch(String),
    /// A rate limit is exhausted; the client may retry after `retry_after` seconds.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// Storage is unreachable or throttled; worth retrying after `retry_after` seconds.
    #[error("{context}: storage unavailable")]
    Unavailable {
        context: &'static str,
        retry_after: u64,
        #[source]
        source: Cause,
    },
    /// A bug or an environment fault: logged in full, answered as a bare 500.
    #[error("{context}")]
    Unexpected {
        context: &'static str,
        #[source]
        source: Cause,
    },
}

impl ApiError {
    /// A 400 without field-level detail.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::Validation {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    /// A 400 listing the fields that failed, the first [`MAX_FIELD_ERRORS`] of them.
    pub fn invalid_fields(mut errors: Vec<FieldError>) -> Self {
        errors.truncate(MAX_FIELD_ERRORS);
        Self::Validation {
            detail: "The request has invalid fields.".to_owned(),
            errors,
        }
    }

    pub fn unexpected(context: &'static str, source: impl Into<Cause>) -> Self {
        Self::Unexpected {
            context,
            source: source.into(),
        }
    }

    /// The error and its causes, each after a colon: what an operator's log line needs (never a
    /// client's answer).
    pub fn cause_chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }

    /// The one mapping from error to status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::InProgress { .. } => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) | Self::UnsupportedPatch(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told. Server-side failures say no more than their status.
    pub fn detail(&self) -> String {
        match self {
            Self::Unavailable { .. } => {
                "The service is temporarily unavailable; retry shortly.".to_owned()
            }
            Self::Unexpected { .. } => "Internal Server Error".to_owned(),
            other => other.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_error_detail_hides_its_cause() {
        let err = ApiError::unexpected("put product", "table products-secret missing");
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.detail(), "Internal Server Error");
    }

    #[test]
    fn field_errors_are_bounded_in_number_and_in_their_names() {
        let errors = (0..50)
            .map(|i| {
                FieldError::new(
                    format!("{i}{}", "é".repeat(500)),
                    "is not a recognised field",
                )
            })
            .collect();
        match ApiError::invalid_fields(errors) {
            ApiError::Validation { errors, .. } => {
                assert_eq!(errors.len(), MAX_FIELD_ERRORS);
                assert!(errors
                    .iter()
                    .all(|e| e.field.chars().count() == MAX_FIELD_NAME_CHARS));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unavailable_error_detail_hides_its_cause() {
        let err = ApiError::Unavailable {
            context: "get product",
            retry_after: 1,
            source: "dispatch failure: connection refused to 10.0.0.1".into(),
        };
        assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!err.detail().contains("refused"));
    }
}
