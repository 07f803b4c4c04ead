//! The route table of the API: which function answers which method on which path.
//!
//! API Gateway (and `cargo lambda watch` locally) does the routing; this table lets the fallback
//! function tell an unknown path (404) from a known path with another method (405).

/// One route: a method, a path pattern (`{name}` matches one segment), the function for it,
/// and what that function needs at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// How API Gateway names the route (`GET /api/products/{id}`, `$default`): request lines
    /// carry it, so it is written once here rather than formatted per request.
    pub key: &'static str,
    pub function: &'static str,
    /// Whether requests to it count against their client's rate limit (health's do not).
    pub counted: bool,
    pub needs: Needs,
}

/// What a function loads at cold start besides its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// DynamoDB: the connection is opened during init.
    pub storage: bool,
    /// The private key tokens are signed with (login only).
    pub signing_key: bool,
    /// The key page cursors are signed with (list-products only).
    pub cursor_key: bool,
}

/// A route whose function uses storage and holds no private key, keyed `METHOD path`.
macro_rules! route {
    ($method:literal, $path:literal, $function:literal) => {
        Route::new($method, $path, concat!($method, " ", $path), $function)
    };
}

impl Route {
    const fn new(
        method: &'static str,
        path: &'static str,
        key: &'static str,
        function: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            key,
            function,
            counted: true,
            needs: Needs {
                storage: true,
                signing_key: false,
                cursor_key: false,
            },
        }
    }

    const fn without_storage(mut self) -> Self {
        self.needs.storage = false;
        self
    }

    /// Requests to it are never counted against a rate limit.
    const fn uncounted(mut self) -> Self {
        self.counted = false;
        self
    }

    /// Whether this is the `$default` route, which answers every path no other route takes.
    pub fn is_fallback(&self) -> bool {
        self.key == FALLBACK.key
    }

    const fn with_signing_key(mut self) -> Self {
        self.needs.signing_key = true;
        self
    }

    const fn with_cursor_key(mut self) -> Self {
        self.needs.cursor_key = true;
        self
    }
}

pub const HEALTH: Route = route!("GET", "/api/health", "health")
    .without_storage()
    .uncounted();
pub const REGISTER: Route = route!("POST", "/api/auth/register", "register");
pub const LOGIN: Route = route!("POST", "/api/auth/login", "login").with_signing_key();
pub const LOGOUT: Route = route!("POST", "/api/auth/logout", "logout");
pub const LOGOUT_ALL: Route = route!("POST", "/api/auth/logout-all", "logout-all");
pub const LIST_SESSIONS: Route = route!("GET", "/api/auth/sessions", "list-sessions");
pub const END_SESSION: Route = route!("DELETE", "/api/auth/sessions/{id}", "end-session");
pub const JWKS: Route = route!("GET", "/api/auth/jwks.json", "jwks");
pub const PROFILE: Route = route!("GET", "/api/profile", "profile");
pub const CHANGE_PASSWORD: Route = route!("PUT", "/api/profile/password", "change-password");
pub const LIST_PRODUCTS: Route = route!("GET", "/api/products", "list-products").with_cursor_key();
pub const CREATE_PRODUCT: Route = route!("POST", "/api/products", "create-product");
pub const GET_PRODUCT: Route = route!("GET", "/api/products/{id}", "get-product");
pub const UPDATE_PRODUCT: Route = route!("PUT", "/api/products/{id}", "update-product");
pub const DELETE_PRODUCT: Route = route!("DELETE", "/api/products/{id}", "delete-product");
/// Everything no other route takes: API Gateway's `$default` route.
/// It counts requests on unknown `/api/` paths against their client's budget, so it uses storage.
pub const FALLBACK: Route = Route::new("ANY", "$default", "$default", "fallback");

pub const ROUTES: &[Route] = &[
    HEALTH,
    REGISTER,
    LOGIN,
    LOGOUT,
    LOGOUT_ALL,
    LIST_SESSIONS,
    END_SESSION,
    JWKS,
    PROFILE,
    CHANGE_PASSWORD,
    LIST_PRODUCTS,
    CREATE_PRODUCT,
    GET_PRODUCT,
    UPDATE_PRODUCT,
    DELETE_PRODUCT,
];

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_item_path_takes_get_put_and_delete() {
        assert_eq!(
            allowed_methods("/api/products/abc").as_deref(),
            Some("GET, PUT, DELETE, OPTIONS")
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
}
