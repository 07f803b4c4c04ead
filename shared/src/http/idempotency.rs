//! The HTTP side of idempotent creates: the `Idempotency-Key` header, how long the first
//! request may hold its key, and the answers a stored record gives (see
//! [`store::idempotency`](crate::store::idempotency)).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

use super::response::{with_header, PRODUCT_CACHE_CONTROL};
use crate::clock::Timestamp;
use crate::domain::idempotency::{IdempotencyKey, Outcome, StoredResponse};
use crate::error::ApiError;
use crate::store::idempotency::DEFAULT_LEASE;

pub const HEADER: &str = "idempotency-key";

/// The request's `Idempotency-Key`, if it has one: 400 for a malformed one, or for several.
pub fn idempotency_key(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let mut values = req.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::bad_request(
            "Send one Idempotency-Key header, not several.",
        ));
    }
    IdempotencyKey::parse(value.as_bytes())
        .map(Some)
        .ok_or_else(|| ApiError::bad_request(IdempotencyKey::INVALID))
}

/// When the lease of a request that starts at `now` ends: when its function's deadline does
/// (Lambda's own, from the invocation), so that no retry takes the key over while it may still
/// be running. Outside Lambda, [`DEFAULT_LEASE`] from now.
pub fn lease_end(req: &Request, now: Timestamp) -> Timestamp {
    let deadline = req.lambda_context_ref().map(|context| context.deadline);
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let left = match deadline {
        Some(deadline) if deadline > wall => Duration::from_millis(deadline - wall),
        _ => DEFAULT_LEASE,
    };
    let left = left.clamp(Duration::from_secs(1), Duration::from_secs(15 * 60));
    Timestamp::from_millis(now.millis() + left.as_millis() as i64)
}

/// A stored response as the client gets it, first or again (`replayed`, with
/// `Idempotent-Replayed: true`).
pub fn stored_response(
    stored: &StoredResponse,
    replayed: bool,
) -> Result<Response<Body>, ApiError> {
    let status = StatusCode::from_u16(stored.status)
        .map_err(|e| ApiError::unexpected("replay response", e))?;
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(stored.body.clone()))
        .map_err(|e| ApiError::unexpected("replay response", e))?;
    if let Some(location) = &stored.location {
        response = with_header(response, "location", location);
    }
    if let Some(etag) = &stored.etag {
        response = with_header(response, "etag", etag);
        response = with_header(response, "cache-control", PRODUCT_CACHE_CONTROL);
    }
    if replayed {
        response = with_header(response, "idempotent-replayed", "true");
    }
    Ok(response)
}

/// The answer a live record of the key gives a request.
pub fn outcome_response(outcome: Outcome) -> Result<Response<Body>, ApiError> {
    match outcome {
        Outcome::Replay(stored) => stored_response(&stored, true),
        Outcome::OtherRequest => Err(ApiError::Unprocessable(
            "This Idempotency-Key was used with another request body; use a new key.".to_owned(),
        )),
        Outcome::InProgress { retry_after } => Err(ApiError::InProgress {
            detail: "A request with this Idempotency-Key is still being processed; retry shortly."
                .to_owned(),
            retry_after,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    #[test]
    fn the_lease_ends_with_the_invocation() {
        let now = Timestamp::from_millis(5_000_000);
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_millis() as u64;
        let mut context = Context::default();
        context.deadline = wall + 7_000;
        let req = Request::default().with_lambda_context(context);
        let lease = lease_end(&req, now).millis() - now.millis();
        assert!((6_000..=7_000).contains(&lease), "{lease} ms");

        let outside_lambda = lease_end(&Request::default(), now).millis() - now.millis();
        assert_eq!(outside_lambda, DEFAULT_LEASE.as_millis() as i64);
    }

    #[test]
    fn several_keys_or_a_bad_one_are_refused() {
        let mut req = Request::default();
        assert!(matches!(idempotency_key(&req), Ok(None)));
        req.headers_mut()
            .append(HEADER, "\"abc\"".parse().expect("header"));
        assert_eq!(
            idempotency_key(&req)
                .ok()
                .flatten()
                .map(|k| k.as_str().to_owned()),
            Some("abc".to_owned())
        );
        req.headers_mut()
            .append(HEADER, "abc".parse().expect("header"));
        assert!(matches!(
            idempotency_key(&req),
            Err(ApiError::Validation { .. })
        ));
        let mut bad = Request::default();
        bad.headers_mut()
            .append(HEADER, "\"open".parse().expect("header"));
        assert!(matches!(
            idempotency_key(&bad),
            Err(ApiError::Validation { .. })
        ));
    }
}
