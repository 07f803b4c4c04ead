//! `PATCH /api/profile`: changes the caller's profile with a JSON Merge Patch (RFC 7396): the
//! name, or `null` to remove it; nothing else of an account is written here (the email is the
//! account's key; the password has its own routes).

use shared::domain::{ProfilePatch, ProfilePatchRequest};
use shared::http::{data, with_header, Caller, MergePatch};
use shared::lambda_http::http::StatusCode;
use shared::lambda_http::{Body, Response};
use shared::store::users;
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    MergePatch(body): MergePatch<ProfilePatchRequest>,
) -> Result<Response<Body>, ApiError> {
    let patch = ProfilePatch::try_from(body)?;
    let user = match patch.name {
        // Nothing named: the profile as it is.
        None => caller.user().clone(),
        Some(name) => users::set_name(state.users(), caller.user(), name.as_ref())
            .await?
            .ok_or_else(|| ApiError::Unauthorized("The account is gone.".to_owned()))?,
    };
    let response = data(StatusCode::OK, &user)?;
    Ok(with_header(response, "cache-control", "no-store"))
}
