//! Path parameters.

use lambda_http::{Request, RequestExt};

use super::extract::FromRequestParts;
use crate::domain::{product_not_found, Id, SessionId};
use crate::error::ApiError;
use crate::state::AppState;

/// The `{id}` of the path, as API Gateway passed it.
fn raw_id(req: &Request) -> Option<&str> {
    let from_parameters = req
        .path_parameters_ref()
        .and_then(|params| params.first("id"));
    // An event without pathParameters (a hand-written one) still carries the path itself.
    from_parameters.or_else(|| req.uri().path().rsplit('/').next())
}

/// The `{id}` of a product path. An id of the wrong shape names nothing: 404, without a read.
pub fn product_id(req: &Request) -> Result<Id, ApiError> {
    raw_id(req)
        .and_then(Id::parse)
        .ok_or_else(product_not_found)
}

/// The `{id}` of a session path; the wrong shape is a 404 likewise.
pub fn session_id(req: &Request) -> Result<SessionId, ApiError> {
    raw_id(req)
        .and_then(SessionId::parse)
        .ok_or_else(session_not_found)
}

/// The 404 of a session that is not one of the caller's live sessions.
pub fn session_not_found() -> ApiError {
    ApiError::NotFound("No live session of yours has this id.".to_owned())
}

/// The `{id}` of the request's path, as a handler parameter: a product's [`Id`] or a
/// [`SessionId`], each 404 when malformed.
#[derive(Debug)]
pub struct InPath<T>(pub T);

impl<'a, A> FromRequestParts<'a, A> for InPath<Id> {
    async fn from_request_parts(_: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        product_id(req).map(InPath)
    }
}

impl<'a, A> FromRequestParts<'a, A> for InPath<SessionId> {
    async fn from_request_parts(_: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        session_id(req).map(InPath)
    }
}

/// The `{id}` and `{imageId}` of an image's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePath {
    pub product: Id,
    pub image: Id,
}

/// The 404 of an image the product does not have.
pub fn image_not_found() -> ApiError {
    ApiError::NotFound("The product has no image with this id.".to_owned())
}

/// `{id}` and `{imageId}` as API Gateway passed them, or read from the path itself
/// (`/api/products/{id}/images/{imageId}[/complete]`).
fn image_path(req: &Request) -> Result<ImagePath, ApiError> {
    let parameters = req.path_parameters_ref();
    let named = |name: &str| parameters.and_then(|params| params.first(name));
    let segments: Vec<&str> = req.uri().path().split('/').collect();
    let product = named("id").or_else(|| segments.get(3).copied());
    let image = named("imageId").or_else(|| segments.get(5).copied());
    Ok(ImagePath {
        product: product.and_then(Id::parse).ok_or_else(product_not_found)?,
        image: image.and_then(Id::parse).ok_or_else(image_not_found)?,
    })
}

impl<'a, A> FromRequestParts<'a, A> for InPath<ImagePath> {
    async fn from_request_parts(_: &'a AppState, req: &Request) -> Result<Self, ApiError> {
        image_path(req).map(InPath)
    }
}
