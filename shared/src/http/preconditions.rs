//! Conditional requests: `If-None-Match` for cached reads and `If-Match` for safe writes
//! (RFC 9110 §13, conditional requests).

use lambda_http::Request;

use super::context::RequestContextExt;
use crate::domain::product::version_in_etag;
use crate::domain::{Expected, Id};

/// The entity tags listed in a header, `*` kept as is.
fn entity_tags(value: &str) -> impl Iterator<Item = &str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// Whether `If-None-Match` matches `etag` (weak comparison, as RFC 9110 §13.1.2 requires).
pub fn if_none_match(req: &Request, etag: &str) -> bool {
    let Some(value) = req.header_str("if-none-match") else {
        return false;
    };
    let opaque = etag.trim_start_matches("W/");
    entity_tags(value).any(|tag| tag == "*" || tag.trim_start_matches("W/") == opaque)
}

/// The versions `If-Match` allows a write to replace. Comparison is strong: a weak tag, or a tag
/// of another product, matches nothing (and so the write answers 412).
pub fn if_match(req: &Request, id: &Id) -> Expected {
    let Some(value) = req.header_str("if-match") else {
        return Expected::AnyVersion;
    };
    let mut versions = Vec::new();
    for tag in entity_tags(value) {
        if tag == "*" {
            return Expected::AnyVersion;
        }
        versions.extend(version_in_etag(tag, id));
    }
    Expected::Versions(versions)
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

    #[test]
    fn if_none_match_compares_weakly() {
        let etag = format!("\"{ID}.3\"");
        assert!(if_none_match(&request("if-none-match", &etag), &etag));
        assert!(if_none_match(
            &request("if-none-match", &format!("W/{etag}")),
            &etag
        ));
        assert!(if_none_match(
            &request("if-none-match", &format!("\"x\", {etag}")),
            &etag
        ));
        assert!(if_none_match(&request("if-none-match", "*"), &etag));
        assert!(!if_none_match(
            &request("if-none-match", &format!("\"{ID}.2\"")),
            &etag
        ));
    }

    #[test]
    fn if_match_yields_the_versions_of_this_product() {
        let req = request("if-match", &format!("\"{ID}.3\", \"{ID}.4\""));
        assert_eq!(if_match(&req, &id()), Expected::Versions(vec![3, 4]));
    }

    #[test]
    fn if_match_star_or_absent_allows_any_version() {
        assert_eq!(
            if_match(&request("if-match", "*"), &id()),
            Expected::AnyVersion
        );
        let req = http::Request::builder().body(Body::Empty).expect("request");
        assert_eq!(if_match(&req, &id()), Expected::AnyVersion);
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
                if_match(&request("if-match", &value), &id()),
                Expected::Versions(vec![])
            );
        }
    }
}
