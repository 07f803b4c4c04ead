//! The one authenticator every protected route uses: a token whose session must still be
//! live, checked against the account and the session read in one round trip.
//!
//! Where the token comes from, and turning a refusal into a response, is the HTTP layer's.

use crate::clock::Timestamp;
use crate::domain::{Id, Session, User};
use crate::error::ApiError;
use crate::store::accounts;
use crate::store::sessions::Sessions;
use crate::store::users::{StoredUser, Users};

use super::jwt::TokenVerifier;

/// Who is making a request, and in which session: both read in the same round trip. A handler
/// sees the account, never its stored password hash: a route that checks the password again
/// hands the account to `auth::password::verify_account`.
#[derive(Debug)]
pub struct Caller {
    account: StoredUser,
    pub session: Session,
}

impl Caller {
    /// The caller's user.
    pub fn user(&self) -> &User {
        &self.account.user
    }

    pub fn user_id(&self) -> &Id {
        &self.account.user.id
    }

    /// The account as stored: what a conditional write on it needs.
    pub fn account(&self) -> &StoredUser {
        &self.account
    }

    /// The account's session epoch: sessions of an earlier one have ended.
    pub fn session_epoch(&self) -> u64 {
        self.account.session_epoch
    }
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("The access token is invalid or has expired.".to_owned())
}

/// The user `token` was issued to, at `now`: 401 unless the token is valid and its session is
/// live for the account it names.
pub async fn authenticate(
    tokens: &TokenVerifier,
    users: Users<'_>,
    sessions: Sessions<'_>,
    token: &str,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    let subject = tokens.verify(token, now).map_err(|reason| {
        tracing::debug!(reason = %reason, "token refused");
        unauthorized()
    })?;
    let found = accounts::read_with_user(
        users,
        sessions,
        &subject.email,
        &subject.user_id,
        &subject.session_id,
    )
    .await?;
    // The account must still be the one the token names, and the session one of its live ones.
    let user = found
        .user
        .filter(|stored| stored.user.id == subject.user_id)
        .ok_or_else(|| {
            tracing::debug!("token refused: account gone");
            unauthorized()
        })?;
    let session = found
        .session
        .filter(|session| session.is_live(user.session_epoch, now))
        .ok_or_else(|| {
            tracing::debug!("token refused: session ended");
            unauthorized()
        })?;
    Ok(Caller {
        account: user,
        session,
    })
}
