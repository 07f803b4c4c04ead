//! Conditional requests: `If-None-Match` for cached reads and `If-Match` for safe writes
//! (RFC 9110 §13, conditional requests).

use lambda_http::Request;

use super::context::RequestContextExt;
use crate::domain::product::version_in_etag;
use crate::domain::{Expected, Id};
use crate::error::ApiError;

/// The longest `If-Match` or `If-None-Match` read (openapi.yaml): room for tens of entity tags.
pub const MAX_CONDITION_CHARS: usize = 1024;

/// The value of the conditional header `name`, if present; 400 if it is longer than
/// [`MAX_CONDITION_CHARS`].
fn condition<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, ApiError> {
    match req.header_str(name) {
        Some(value) if value.len() > MAX_CONDITION_CHARS => Err(ApiError::bad_request(format!(
            "The {name} header is longer than {MAX_CONDITION_CHARS} characters."
        ))),
        value => Ok(value),
    }
}

/// The entity tags listed in a header, `*` kept as is.
fn entity_tags(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110 §13.1.2 requires).
pub fn if_none_match(req: &Request, etag: &str) -> Result<bool, ApiError> {
    let Some(value) = condition(req, "if-none-match")? else {
        return Ok(false);
    };
    let opaque = etag.trim_start_matches("W/");
    Ok(entity_tags(value).any(|tag| tag == "*" || tag.trim_start_matches("W/") == opaque))
}

/// The versions `If-Match` allows a write to replace. Comparison is strong: a weak tag, or a tag
/// of another product, matches nothing (and so the write answers 412).
pub fn if_match(req: &Request, id: &Id) -> Result<Expected, ApiError> {
    let Some(value) = condition(req, "if-match")? else {
        return Ok(Expected::AnyVersion);
    };
    let mut versions = Vec::new();
    for tag in entity_tags(value) {
        if tag == "*" {
            return Ok(Expected::AnyVersion);
        }
        versions.extend(version_in_etag(tag, id));
    }
    Ok(Expected::Versions(versions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::{http, Body};

    const ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

    fn request(name: &str, value: &str) -> Request {
        http::Request::builder()
            .header(name, value)
            .body(Body::Empty)
            .expect("request")
    }

    fn id() -> Id {
        Id::parse(ID).expect("id")
    }

    fn matches_none(req: &Request, etag: &str) -> bool {
        if_none_match(req, etag).expect("a short header")
    }

    fn expected(req: &Request) -> Expected {
        if_match(req, &id()).expect("a short header")
    }

    #[test]
    fn a_condition_longer_than_the_limit_is_a_bad_request() {
        let long = format!("\"{ID}.1\", ").repeat(40);
        assert!(long.len() > MAX_CONDITION_CHARS);
        assert!(if_match(&request("if-match", &long), &id()).is_err());
        assert!(if_none_match(&request("if-none-match", &long), "\"x\"").is_err());
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = format!("\"{ID}.3\"");
        assert!(matches_none(&request("if-none-match", &etag), &etag));
        assert!(matches_none(
            &request("if-none-match", &format!("W/{etag}")),
            &etag
        ));
        assert!(matches_none(
            &request("if-none-match", &format!("\"x\", {etag}")),
            &etag
        ));
        assert!(matches_none(&request("if-none-match", "*"), &etag));
        assert!(!matches_none(
            &request("if-none-match", &format!("\"{ID}.2\"")),
            &etag
        ));
    }

    #[test]
    fn if_match_yields_the_versions_of_this_product() {
        let req = request("if-match", &format!("\"{ID}.3\", \"{ID}.4\""));
        assert_eq!(expected(&req), Expected::Versions(vec![3, 4]));
    }

    #[test]
    fn if_match_star_or_absent_allows_any_version() {
        assert_eq!(expected(&request("if-match", "*")), Expected::AnyVersion);
        let req = http::Request::builder().body(Body::Empty).expect("request");
        assert_eq!(expected(&req), Expected::AnyVersion);
    }

    #[test]
    fn weak_foreign_or_garbage_tags_match_nothing() {
        for value in [
            format!("W/\"{ID}.3\""),
            "\"01ARZ3NDEKTSV4RRFFQ69G5FAW.3\"".to_owned(),
            "garbage".to_owned(),
            format!("\"{ID}.x\""),
        ] {
            assert_eq!(
                expected(&request("if-match", &value)),
                Expected::Versions(vec![])
            );
        }
    }
}
