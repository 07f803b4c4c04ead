//! Path parameters.

use lambda_http::{Request, RequestExt};

use crate::domain::Id;
use crate::error::ApiError;

/// The `{id}` of a product path. An id of the wrong shape names nothing: 404, without a read.
pub fn product_id(req: &Request) -> Result<Id, ApiError> {
    let from_parameters = req
        .path_parameters_ref()
        .and_then(|params| params.first("id"));
    // An event without pathParameters (a hand-written one) still carries the path itself.
    let raw = from_parameters.or_else(|| req.uri().path().rsplit('/').next());
    raw.and_then(Id::parse)
        .ok_or_else(|| ApiError::NotFound("No product has this id.".to_owned()))
}
