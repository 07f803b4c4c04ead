//! `GET /api/products`: a page of the catalogue in one of five orders, of one category, in a
//! price range, matching search words; by cursor or by page number; with the exact total where
//! one is kept.

use serde::Serialize;
use shared::collect_fields;
use shared::domain::{CatalogueQuery, Category, Price, PriceRange, Product, Search, Sort};
use shared::error::FieldError;
use shared::http::query::query_param;
use shared::http::{json, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::pagination::CursorKey;
use shared::store::listing::{self, Shards};
use shared::store::totals;
use shared::{ApiError, AppState};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// The deepest a page number reaches (`page × limit`); past it, cursors.
pub const MAX_PAGE_DEPTH: usize = 1_000;

/// Lists change often: shared caches may keep a page only briefly.
pub const CACHE_CONTROL: &str = "public, max-age=5";

/// Every query parameter a page reads. The front door's cache keys pages on exactly these
/// (template.yaml's `CataloguePagesCachePolicy`, held to this list by a test): a parameter read
/// but not in the key would serve one page for another. In a debug build, reading one that is
/// not listed here panics, so the tests find it.
pub const QUERY_PARAMETERS: [&str; 9] = [
    "category", "cursor", "include", "limit", "maxPrice", "minPrice", "page", "q", "sort",
];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductPage<'a> {
    data: &'a [Product],
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<usize>,
    limit: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<u64>,
    next_cursor: Option<String>,
}

/// Where a page starts: after a cursor's position, or at a page number.
enum Start {
    First,
    After(String),
    Page(usize),
}

fn parse_limit(raw: Option<&str>) -> Result<usize, FieldError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    whole_number(raw)
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| FieldError::new("limit", "must be a whole number from 1 to 100"))
}

/// Digits only, without leading zeros, at most four of them.
fn whole_number(raw: &str) -> Option<usize> {
    let valid = !raw.is_empty()
        && raw.len() <= 4
        && raw.bytes().all(|b| b.is_ascii_digit())
        && !(raw.len() > 1 && raw.starts_with('0'));
    valid.then(|| raw.parse().ok()).flatten()
}

fn parse_sort(raw: Option<&str>) -> Result<Sort, FieldError> {
    raw.map_or(Ok(Sort::NewestFirst), |raw| {
        Sort::parse(raw).ok_or_else(|| {
            FieldError::new(
                "sort",
                "must be one of -createdAt, createdAt, price, -price, name",
            )
        })
    })
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

fn parse_price(name: &'static str, raw: Option<&str>) -> Result<Option<Price>, FieldError> {
    raw.map(|raw| {
        Price::parse_text(raw).map_err(|problem| {
            FieldError::new(name, format!("{problem} (a price from 0 to 999999.99)"))
        })
    })
    .transpose()
}

fn parse_search(raw: Option<&str>) -> Result<Option<Search>, FieldError> {
    raw.map(|raw| Search::parse(raw).map_err(|problem| FieldError::new("q", problem)))
        .transpose()
}

/// `include=total` (the only thing a listing includes on request).
fn parse_include(raw: Option<&str>) -> Result<bool, FieldError> {
    match raw {
        None => Ok(false),
        Some("total") => Ok(true),
        Some(_) => Err(FieldError::new("include", "must be total")),
    }
}

fn parse_page(raw: Option<&str>) -> Result<Option<usize>, FieldError> {
    raw.map(|raw| {
        whole_number(raw)
            .filter(|page| *page >= 1)
            .ok_or_else(|| FieldError::new("page", "must be a whole number from 1"))
    })
    .transpose()
}

/// The listing's canonical line, which its cursors are signed for.
fn listing_line(query: &CatalogueQuery, shards: Shards) -> String {
    format!("{}|shards={}", query.canonical(), shards.count())
}

/// The query's filters together, once each is valid on its own.
fn query_of(
    sort: Sort,
    category: Option<Category>,
    min: Option<Price>,
    max: Option<Price>,
    search: Option<Search>,
) -> Result<CatalogueQuery, FieldError> {
    let price = PriceRange::new(min, max)
        .ok_or_else(|| FieldError::new("minPrice", "must not be above maxPrice"))?;
    Ok(CatalogueQuery {
        sort,
        category,
        price,
        search,
    })
}

/// Where the page starts: a cursor (read once the query it is bound to is known; an empty
/// `cursor=` is no cursor) or a page number, not both.
fn start_of(
    cursors: &CursorKey,
    query: &CatalogueQuery,
    shards: Shards,
    cursor: Option<&str>,
    page: Option<usize>,
    limit: usize,
) -> Result<Start, FieldError> {
    match (cursor.filter(|raw| !raw.is_empty()), page) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "page",
            "cannot be combined with cursor: follow nextCursor, or ask for a page number",
        )),
        (Some(raw), None) => cursors
            .decode(raw, &listing_line(query, shards))
            .map(Start::After)
            .ok_or_else(|| {
                FieldError::new(
                    "cursor",
                    "is not a cursor this listing issued; start again without it",
                )
            }),
        (None, Some(page)) if page.saturating_mul(limit) > MAX_PAGE_DEPTH => Err(FieldError::new(
            "page",
            "page × limit may be at most 1000; to go deeper, follow nextCursor",
        )),
        (None, Some(page)) => Ok(Start::Page(page)),
        (None, None) => Ok(Start::First),
    }
}

pub async fn handle(
    state: &AppState,
    cursors: &CursorKey,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let shards = state.shards();
    let param = |name: &str| {
        debug_assert!(
            QUERY_PARAMETERS.contains(&name),
            "{name} is read but not in QUERY_PARAMETERS (and so not in the cache key)"
        );
        query_param(&req, name)
    };
    let (limit, sort, category, min, max, search, with_total, page) = collect_fields!(
        limit = parse_limit(param("limit")),
        sort = parse_sort(param("sort")),
        category = parse_category(param("category")),
        min = parse_price("minPrice", param("minPrice")),
        max = parse_price("maxPrice", param("maxPrice")),
        search = parse_search(param("q")),
        with_total = parse_include(param("include")),
        page = parse_page(param("page")),
    )?;
    let query = query_of(sort, category, min, max, search)
        .map_err(|error| ApiError::invalid_fields(vec![error]))?;
    if with_total && !query.has_total() {
        return Err(ApiError::invalid_fields(vec![FieldError::new(
            "include",
            "total is not available with minPrice, maxPrice or q; only for all products or one category",
        )]));
    }
    let start = start_of(cursors, &query, shards, param("cursor"), page, limit)
        .map_err(|error| ApiError::invalid_fields(vec![error]))?;

    let table = state.products();
    let listed = async {
        match &start {
            Start::First => listing::page(table, &query, shards, None, limit).await,
            Start::After(position) => {
                listing::page(table, &query, shards, Some(position), limit).await
            }
            Start::Page(number) => {
                listing::numbered_page(table, &query, shards, *number, limit).await
            }
        }
    };
    let total = async {
        if with_total {
            totals::read(table, query.category.as_ref()).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (listed, total) = shared::tokio::join!(listed, total);
    let (listed, total) = (listed?, total?);
    let line = listing_line(&query, shards);
    let response = json(
        StatusCode::OK,
        &ProductPage {
            data: &listed.products,
            page: match start {
                Start::Page(number) => Some(number),
                _ => None,
            },
            limit,
            total,
            next_cursor: listed.next.map(|position| cursors.encode(&position, &line)),
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

    #[test]
    fn page_numbers_start_at_one() {
        assert_eq!(parse_page(Some("1")), Ok(Some(1)));
        for raw in ["0", "-1", "01", "", "1.0", "99999"] {
            assert!(parse_page(Some(raw)).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn prices_take_the_products_format() {
        assert_eq!(
            parse_price("minPrice", Some("12.5")),
            Ok(Price::from_cents(1250))
        );
        for raw in ["-1", "1.234", "abc", "1000000", ""] {
            assert!(parse_price("minPrice", Some(raw)).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn min_above_max_is_refused() {
        let query = query_of(
            Sort::CheapestFirst,
            None,
            Price::from_cents(200),
            Price::from_cents(100),
            None,
        );
        assert_eq!(query.map_err(|e| e.field), Err("minPrice".to_owned()));
    }
}
