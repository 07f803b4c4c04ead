//! Routing questions the pipeline asks of the manifest (`crate::deploy`): which route a key
//! names, which methods a path takes (405, `Allow`, CORS). API Gateway (and `cargo lambda watch`
//! locally) does the routing itself.

use std::sync::LazyLock;

use crate::deploy::{http_functions, Route, ROUTES};
use crate::error::ApiError;

/// The 404 of any path no route takes.
pub fn not_found() -> ApiError {
    ApiError::NotFound("No route matches this path.".to_owned())
}

/// The route API Gateway names `key` (`GET /api/products/{id}`), if the table has it.
pub fn route_for_key(key: &str) -> Option<&'static Route> {
    http_functions().find(|route| route.key == key)
}

fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pattern_segments = pattern.split('/');
    let mut path_segments = path.split('/');
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return true,
            (Some(expected), Some(actual)) => {
                let is_parameter = expected.starts_with('{') && expected.ends_with('}');
                if is_parameter && actual.is_empty() {
                    return false;
                }
                if !is_parameter && expected != actual {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The methods a path takes, as an `Allow` header value, or `None` if no route has the path.
pub fn allowed_methods(path: &str) -> Option<String> {
    let methods: Vec<&str> = ROUTES
        .iter()
        .filter(|route| path_matches(route.path, path))
        .map(|route| route.method)
        .collect();
    if methods.is_empty() {
        None
    } else {
        Some(format!("{}, OPTIONS", methods.join(", ")))
    }
}

/// Every method some route takes, and `OPTIONS`: what CORS preflights allow.
pub fn all_methods() -> &'static str {
    static METHODS: LazyLock<String> = LazyLock::new(|| {
        let mut methods: Vec<&str> = Vec::new();
        for route in ROUTES {
            if !methods.contains(&route.method) {
                methods.push(route.method);
            }
        }
        methods.push("OPTIONS");
        methods.join(", ")
    });
    &METHODS
}

/// The paths of the API, each once, in the table's order.
pub fn paths() -> Vec<&'static str> {
    let mut paths: Vec<&str> = Vec::new();
    for route in ROUTES {
        if !paths.contains(&route.path) {
            paths.push(route.path);
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_item_path_takes_get_put_patch_and_delete() {
        assert_eq!(
            allowed_methods("/api/products/abc").as_deref(),
            Some("GET, PUT, PATCH, DELETE, OPTIONS")
        );
    }

    #[test]
    fn collection_path_takes_get_and_post() {
        assert_eq!(
            allowed_methods("/api/products").as_deref(),
            Some("GET, POST, OPTIONS")
        );
    }

    #[test]
    fn unknown_paths_take_nothing() {
        for path in [
            "/api/nope",
            "/api/products/",
            "/api/products/a/b",
            "/",
            "/api",
        ] {
            assert_eq!(allowed_methods(path), None, "{path}");
        }
    }

    #[test]
    fn preflights_allow_every_method_of_the_table() {
        let methods: Vec<&str> = all_methods().split(", ").collect();
        for route in ROUTES {
            assert!(methods.contains(&route.method), "{}", route.key);
        }
        assert_eq!(methods.last(), Some(&"OPTIONS"));
    }
}
