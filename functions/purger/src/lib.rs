//! The purger: deletes what a deleted account owned, its products and its sessions, however
//! many (a page of the owner index at a time, 25 deletions to a batch). A purge that fails is
//! given again by the stream and finds what is left. It purges only an account that is gone:
//! a purge job for an account that exists, whoever wrote it, deletes nothing and goes to the
//! failure queue, where an operator is alarmed.

use shared::domain::outbox::{Job, OutboxEntry};
use shared::store::{products, sessions, users};
use shared::worker::JobError;
use shared::AppState;

pub async fn handle(state: &AppState, entry: OutboxEntry) -> Result<(), JobError> {
    let Job::Purge { user_id, email } = entry.job else {
        return Ok(());
    };
    if users::holds_account(state.users(), &email, &user_id).await? {
        return Err(JobError::Final(
            "a purge of an account that exists: nothing deleted".to_owned(),
        ));
    }
    let products = products::purge_owner(state.products(), &user_id, state.shards()).await?;
    let sessions = sessions::purge_user(state.sessions(), &user_id).await?;
    tracing::info!(userId = %user_id, products, sessions, "account purged");
    Ok(())
}
