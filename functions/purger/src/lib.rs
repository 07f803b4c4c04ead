//! The purger: deletes everything a deleted account leaves — its products (however many, a
//! page of the owner index at a time, each after its images' objects), sessions, verification and reset tokens, idempotency
//! records and counters — so that no stored item holds the account's id or address. Only the
//! per-address mail counter stays: it holds an HMAC of the address, not the address, and must
//! outlive the account (API.md, Mail).
//!
//! It purges only an account that is gone: a purge job for an account that exists, whoever
//! wrote it, deletes nothing and goes to the failure queue, where an operator is alarmed.
//!
//! Complete, not only eventually: nothing of the account can be written after its deletion
//! (a product's create is conditional on the account in the same transaction, a token's issue
//! likewise, every other write needs a session, read with the account), so what is left is what
//! was written before the deletion. The owner and account indexes the purge reads are updated
//! after their table, asynchronously; so once a pass has run, the purger waits
//! [`INDEX_CATCH_UP`] and runs another, and goes on until a pass finds nothing. A product written
//! the moment before the deletion is in the index by then (DynamoDB propagates an index update
//! in well under a second), and a pass that still finds one goes round again. A purge that fails
//! is given again by the stream and finds what is left.

use std::time::Duration;

use shared::domain::outbox::{Job, OutboxEntry};
use shared::domain::{Email, Id};
use shared::media::keys::product_prefixes;
use shared::media::Media;
use shared::store::{idempotency, limits, products, sessions, tokens, users};
use shared::worker::JobError;
use shared::{ApiError, AppState};

/// How long the purger waits between its passes, for the indexes to catch up with what was
/// written just before the deletion.
pub const INDEX_CATCH_UP: Duration = Duration::from_secs(2);

/// Passes a purge makes at most before it is given again by the stream.
const MAX_PASSES: usize = 3;

pub async fn handle(state: &AppState, media: &Media, entry: OutboxEntry) -> Result<(), JobError> {
    let Job::Purge { user_id, email } = entry.job else {
        return Ok(());
    };
    if users::holds_account(state.users(), &email, &user_id).await? {
        return Err(JobError::Final(
            "a purge of an account that exists: nothing deleted".to_owned(),
        ));
    }
    let mut total = Purged::default();
    for pass in 0..MAX_PASSES {
        if pass > 0 {
            shared::tokio::time::sleep(INDEX_CATCH_UP).await;
        }
        let purged = purge(state, media, &user_id, &email).await?;
        total = total.and(purged);
        if purged.is_nothing() && pass > 0 {
            tracing::info!(
                userId = %user_id,
                products = total.products,
                sessions = total.sessions,
                tokens = total.tokens,
                records = total.records,
                passes = pass + 1,
                "account purged"
            );
            return Ok(());
        }
    }
    Err(JobError::Retry(ApiError::Unavailable {
        context: "purge account",
        retry_after: 1,
        source: "the account's items kept appearing in the indexes".into(),
    }))
}

/// What one pass deleted.
#[derive(Debug, Default, Clone, Copy)]
struct Purged {
    products: usize,
    sessions: usize,
    tokens: usize,
    records: usize,
}

impl Purged {
    fn is_nothing(self) -> bool {
        self.products + self.sessions + self.tokens + self.records == 0
    }

    fn and(self, other: Purged) -> Purged {
        Purged {
            products: self.products + other.products,
            sessions: self.sessions + other.sessions,
            tokens: self.tokens + other.tokens,
            records: self.records + other.records,
        }
    }
}

/// One pass over everything the account can have left.
async fn purge(
    state: &AppState,
    media: &Media,
    user_id: &Id,
    email: &Email,
) -> Result<Purged, ApiError> {
    let objects = |product: Id| async move {
        for prefix in product_prefixes(&product) {
            media.delete_under(&prefix).await?;
        }
        Ok(())
    };
    let purged = Purged {
        products: products::purge_owner(state.products(), user_id, objects).await?,
        sessions: sessions::purge_user(state.sessions(), user_id).await?,
        tokens: tokens::purge_user(state.tokens(), user_id).await?,
        records: idempotency::purge_user(state.idempotency(), user_id).await?,
    };
    limits::purge_account(state.limits(), email, user_id).await?;
    Ok(purged)
}
