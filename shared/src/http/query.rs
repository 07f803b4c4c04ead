//! Query-string parameters.

use lambda_http::{Request, RequestExt};

/// The first value of a query parameter, if the client sent one.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.query_string_parameters_ref()
        .and_then(|params| params.first(name))
}
