//! `PATCH /api/profile`: changes the caller's profile with a JSON Merge Patch (RFC 7396): the
//! name, or `null` to remove it; nothing else of an account is written here (the email is the
//! account's key; the password has its own routes).

use shared::domain::{ProfilePatch, ProfilePatchRequest};
use shared::http::body::ReadBody;
use shared::http::{caller, data, with_header};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Request, Response};
use shared::store::users;
use shared::{ApiError, AppState};

pub async fn handle(state: &AppState, req: Request) -> Result<Response<Body>, ApiError> {
    let stored = &caller(&req)?.user;
    let patch = ProfilePatch::try_from(ProfilePatchRequest::read_patch(&req)?)?;
    let user = match patch.name {
        // Nothing named: the profile as it is.
        None => stored.user.clone(),
        Some(name) => users::set_name(state.users(), &stored.user, name.as_ref())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("The account is gone.".to_owned()))?,
    };
    let response = data(StatusCode::OK, &user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
