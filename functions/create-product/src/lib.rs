//! `POST /api/products`: creates a product owned by the caller, at version 1, and counts it in
//! the totals in the same transaction.
//!
//! With an `Idempotency-Key`, the request is recorded under the caller and key before the work
//! (a running record, leased until this invocation's deadline) and the record is completed with
//! the response in the product's own transaction: a retry with the same key and body gets that
//! response again, with `Idempotent-Replayed: true`, and creates nothing. Answers decided
//! before the work (400, 401, 415, 429) are not recorded.

use shared::domain::idempotency::Outcome;
use shared::domain::idempotency::{fingerprint, IdempotencyKey, StoredResponse};
use shared::domain::{Id, Product, ProductInput, ProductRequest, User};
use shared::http::body::body_bytes;
use shared::http::idempotency::{idempotency_key, lease_end, outcome_response, stored_response};
use shared::http::response::created_product;
use shared::http::{Caller, Json};
use shared::lambda_http::{Body, Request, Response};
use shared::store::accounts::{self, Creation};
use shared::store::idempotency::{self, Start};
use shared::{ApiError, AppState};

pub async fn handle(
    state: &AppState,
    caller: Caller,
    Json(body): Json<ProductRequest>,
    req: Request,
) -> Result<Response<Body>, ApiError> {
    let input = ProductInput::try_from(body)?;
    let key = idempotency_key(&req)?;

    let now = state.clock.now();
    let product = Product {
        id: Id::generate(now)?,
        name: input.name,
        price: input.price,
        description: input.description,
        category: input.category,
        owner_id: caller.user_id().clone(),
        created_at: now,
        updated_at: now,
        version: 1,
        images: shared::domain::image::Images::default(),
    };
    let created = created_product(&product)?;
    let user = caller.user();
    let Some(key) = key else {
        return match accounts::create_product(
            state.products(),
            state.users(),
            user,
            &product,
            state.shards(),
            None,
        )
        .await?
        {
            Creation::Created => stored_response(&created, false),
            Creation::AccountGone | Creation::Refused => Err(account_gone()),
        };
    };
    create_once(state, &req, &key, user, &product, &created).await
}

/// Creates `product` under the caller's `key`, once, or answers from the key's record.
async fn create_once(
    state: &AppState,
    req: &Request,
    key: &IdempotencyKey,
    owner: &User,
    product: &Product,
    created: &StoredResponse,
) -> Result<Response<Body>, ApiError> {
    let table = state.idempotency();
    let record = key.record_id(&owner.id);
    let fingerprint = fingerprint(body_bytes(req));
    let now = state.clock.now();
    let attempt =
        match idempotency::start(table, &record, &fingerprint, now, lease_end(req, now)).await? {
            Start::Started { attempt } => attempt,
            Start::Existing(existing) => {
                return outcome_response(existing.outcome_for(&fingerprint, now))
            }
        };
    let completion = idempotency::completion(table, &record, &attempt, &fingerprint, created, now)?;
    let creation = accounts::create_product(
        state.products(),
        state.users(),
        owner,
        product,
        state.shards(),
        Some(completion),
    )
    .await;
    match creation {
        Ok(Creation::Created) => stored_response(created, false),
        // Another attempt took the key over (this one outlived its lease): its record answers.
        Ok(Creation::Refused) => match idempotency::find(table, &record, now).await? {
            Some(existing) => outcome_response(existing.outcome_for(&fingerprint, now)),
            None => outcome_response(Outcome::InProgress { retry_after: 1 }),
        },
        Ok(Creation::AccountGone) => {
            release(state, &record, &attempt).await;
            Err(account_gone())
        }
        Err(error) => {
            release(state, &record, &attempt).await;
            Err(error)
        }
    }
}

/// Frees the key after a failed attempt, so that a retry need not wait for the lease; if that
/// fails too, the lease ends by itself.
async fn release(state: &AppState, record: &str, attempt: &str) {
    if let Err(error) = idempotency::release(state.idempotency(), record, attempt).await {
        tracing::warn!(error = %error, "idempotency record not released");
    }
}

fn account_gone() -> ApiError {
    ApiError::Unauthorized("The account is gone.".to_owned())
}
