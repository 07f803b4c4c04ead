//! Request bodies: `application/json`, at most 64 KiB, one JSON object with only known fields,
//! read into the body's own type ([`ReadBody`]).

use std::collections::BTreeMap;

use lambda_http::{Body, Request};
use serde_json::value::RawValue;

use crate::domain::body::{JsonObject, RequestBody};
use crate::error::{ApiError, FieldError};

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Fields a client sometimes tries to set that belong to the server.
const READ_ONLY_FIELDS: &[&str] = &["id", "ownerId", "createdAt", "updatedAt", "version"];

/// The raw bytes of a request body, however the event carried them.
pub fn body_bytes(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The media type of a JSON Merge Patch (RFC 7396), the only patch the API takes.
pub const MERGE_PATCH: &str = "application/merge-patch+json";

/// Reads a declared request body ([`RequestBody`]) from a request.
pub trait ReadBody: RequestBody {
    /// Reads `req`'s body: 415, 413 or 400 for a body that is not a JSON object of only
    /// [`RequestBody::FIELDS`], then the fields.
    fn read(req: &Request) -> Result<Self, ApiError> {
        let mut object = json_object(req, Self::FIELDS)?;
        Ok(Self::take_fields(&mut object))
    }

    /// Reads `req`'s body as a JSON Merge Patch of the fields (RFC 7396): the same rules, but
    /// sent as `application/merge-patch+json` (415 with `Accept-Patch` otherwise). A member
    /// absent leaves its field as it is; `null` removes it.
    fn read_patch(req: &Request) -> Result<Self, ApiError> {
        if !is_media_type(content_type(req), MERGE_PATCH) {
            return Err(ApiError::UnsupportedPatch(format!(
                "A patch must be sent as Content-Type: {MERGE_PATCH}."
            )));
        }
        let mut object = object_of(req, Self::FIELDS)?;
        Ok(Self::take_fields(&mut object))
    }
}

impl<T: RequestBody> ReadBody for T {}

fn content_type(req: &Request) -> &str {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Checks the content type, size and shape of a JSON body, rejecting any key not in `allowed`.
pub fn json_object(req: &Request, allowed: &[&str]) -> Result<JsonObject, ApiError> {
    if !is_media_type(content_type(req), "application/json") {
        return Err(ApiError::UnsupportedMediaType(
            "The request body must be sent as Content-Type: application/json.".to_owned(),
        ));
    }
    object_of(req, allowed)
}

/// The size and shape checks of a JSON body whose media type is known to be right.
fn object_of(req: &Request, allowed: &[&str]) -> Result<JsonObject, ApiError> {
    let bytes = body_bytes(req);
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if let Err(error) = serde_json::from_slice::<&RawValue>(bytes) {
        return Err(ApiError::bad_request(format!(
            "The request body is not valid JSON: {error}."
        )));
    }
    let fields: BTreeMap<String, Box<RawValue>> = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::bad_request("The request body must be a JSON object."))?;

    let unknown: Vec<FieldError> = fields
        .keys()
        .filter(|key| !allowed.contains(&key.as_str()))
        .map(|key| {
            let message = if READ_ONLY_FIELDS.contains(&key.as_str()) {
                "is set by the server and cannot be written"
            } else {
                "is not a recognised field"
            };
            FieldError::new(key.clone(), message)
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid_fields(unknown));
    }
    Ok(JsonObject::new(fields))
}

/// `expected` (a JSON media type), optionally with `charset=utf-8` (RFC 8259 allows no other
/// charset).
fn is_media_type(value: &str, expected: &str) -> bool {
    let mut parts = value.split(';');
    let media_type = parts.next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case(expected) {
        return false;
    }
    parts.all(|parameter| match parameter.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        Some(_) => true,
        None => parameter.trim().is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http;

    fn request(content_type: Option<&str>, body: &str) -> Request {
        let mut builder = http::Request::builder().method("POST").uri("/api/products");
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(Body::from(body)).expect("request")
    }

    fn status_of(result: Result<JsonObject, ApiError>) -> u16 {
        result.map(|_| 200).unwrap_or_else(|e| e.status().as_u16())
    }

    #[test]
    fn json_content_types_are_accepted() {
        for content_type in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert_eq!(
                status_of(json_object(&request(Some(content_type), "{}"), &[])),
                200
            );
        }
    }

    #[test]
    fn other_content_types_are_415() {
        for content_type in [
            None,
            Some("text/plain"),
            Some("application/json; charset=latin1"),
        ] {
            let req = request(content_type, "{}");
            assert_eq!(status_of(json_object(&req, &[])), 415, "{content_type:?}");
        }
    }

    #[test]
    fn body_over_64_kib_is_413() {
        let body = format!("{{\"name\":\"{}\"}}", "a".repeat(MAX_BODY_BYTES));
        let req = request(Some("application/json"), &body);
        assert_eq!(status_of(json_object(&req, &["name"])), 413);
    }

    #[test]
    fn malformed_json_and_non_objects_are_400() {
        for body in ["", "{", "{\"a\":}", "[]", "\"text\"", "null", "{} {}"] {
            let req = request(Some("application/json"), body);
            assert_eq!(status_of(json_object(&req, &["a"])), 400, "{body:?}");
        }
    }

    #[test]
    fn every_unknown_field_is_listed() {
        let req = request(
            Some("application/json"),
            r#"{"id":"x","ownerId":"y","name":"n"}"#,
        );
        match json_object(&req, &["name"]) {
            Err(ApiError::Validation { errors, .. }) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["id", "ownerId"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }
}
