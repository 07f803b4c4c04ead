//! `GET /api/products`: products newest first, a page at a time, optionally of one category.

use serde::Serialize;
use shared::collect_fields;
use shared::domain::{Category, Id, Product};
use shared::error::FieldError;
use shared::http::query::query_param;
use shared::http::{json, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::pagination::CursorKey;
use shared::store::products;
use shared::{ApiError, AppState};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

/// Lists change often: shared caches may keep a page only briefly.
const CACHE_CONTROL: &str = "public, max-age=5";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductPage<'a> {
    data: &'a [Product],
    limit: usize,
    next_cursor: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> Result<usize, FieldError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    let valid = !raw.is_empty() && raw.len() <= 3 && raw.bytes().all(|b| b.is_ascii_digit());
    valid
        .then(|| raw.parse::<usize>().ok())
        .flatten()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| FieldError::new("limit", "must be a whole number from 1 to 100"))
}

fn parse_category(raw: Option<&str>) -> Result<Option<Category>, FieldError> {
    raw.map(|raw| {
        Category::parse_str(raw).ok_or_else(|| {
            FieldError::new(
                "category",
                "must be 1-50 characters of lowercase letters, digits and hyphens",
            )
        })
    })
    .transpose()
}

/// A cursor is signed for one category filter, so it is read once the filter is known (and not
/// at all when the filter is itself invalid). An empty `cursor=` is read as no cursor.
fn parse_cursor(
    cursors: &CursorKey,
    raw: Option<&str>,
    category: &Result<Option<Category>, FieldError>,
) -> Result<Option<Id>, FieldError> {
    let (Some(raw), Ok(category)) = (raw.filter(|raw| !raw.is_empty()), category) else {
        return Ok(None);
    };
    cursors
        .decode(raw, category.as_ref())
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                "cursor",
                "is not a cursor this listing issued; start again without it",
            )
        })
}

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let cursors = state.cursors()?;
    let (limit, category, after) = collect_fields!(
        limit = parse_limit(query_param(&req, "limit")),
        category = parse_category(query_param(&req, "category")),
        after = parse_cursor(cursors, query_param(&req, "cursor"), &category),
    )?;

    let page = products::list(state.products(), limit, after.as_ref(), category.as_ref()).await?;
    let next_cursor = page
        .products
        .last()
        .filter(|_| page.has_more)
        .map(|last| cursors.encode(&last.id, category.as_ref()));
    let response = json(
        StatusCode::OK,
        &ProductPage {
            data: &page.products,
            limit,
            next_cursor,
        },
    )?;
    Ok(with_header(response, "cache-control", CACHE_CONTROL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_defaults_to_twenty() {
        assert_eq!(parse_limit(None), Ok(20));
    }

    #[test]
    fn limit_outside_one_to_a_hundred_is_rejected() {
        for raw in [
            "0",
            "101",
            "-1",
            "abc",
            "",
            "1.5",
            " 5",
            "1e2",
            "0100",
            "99999999999999",
        ] {
            assert!(parse_limit(Some(raw)).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn limit_bounds_are_accepted() {
        assert_eq!(parse_limit(Some("1")), Ok(1));
        assert_eq!(parse_limit(Some("100")), Ok(100));
    }
}
