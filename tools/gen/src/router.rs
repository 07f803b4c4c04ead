//! `cargo lambda watch`'s router in `Cargo.toml`: every method of every API path to its
//! function (any method watch is not told about would get its own plain 404, not the API's
//! problem), and every other path to the fallback, as API Gateway's `$default` route.

use shared::deploy::{FALLBACK, ROUTES};
use shared::http::routes::paths;

use crate::{replace_part, GenError};

/// The methods routed on every path.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// What generates the router's part of `Cargo.toml`.
pub const PART: &str = "the watch router";

/// The function that answers `method` on `path`: its route's, or the fallback.
pub fn function_of(method: &str, path: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|route| route.method == method && route.path == path)
        .map_or(FALLBACK.function, |route| route.function)
}

/// The router table.
pub fn router() -> String {
    let mut out = String::from("[workspace.metadata.lambda.watch.router]\n");
    for path in paths() {
        out.push_str(&format!("\"{path}\" = [\n"));
        for method in METHODS {
            let function = function_of(method, path);
            out.push_str(&format!(
                "  {{ method = \"{method}\", function = \"{function}\" }},\n"
            ));
        }
        out.push_str("]\n");
    }
    let fallback = FALLBACK.function;
    out.push_str(&format!(
        "\"/\" = \"{fallback}\"\n\"/{{*rest}}\" = \"{fallback}\"\n"
    ));
    out
}

/// `Cargo.toml` (as `text` holds it) with its router written from the table.
pub fn cargo_toml(text: &str) -> Result<String, GenError> {
    replace_part(text, "Cargo.toml", PART, "", &router())
}
