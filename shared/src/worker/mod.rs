//! The workers: functions that do the outbox's jobs (`domain::outbox`), each fed by the outbox
//! table's stream through a filter on `job`, as Lambda's event source mapping feeds them deployed
//! (and the local stream poller under `make dev`). A worker is declared in the deployment
//! manifest (`crate::deploy`), from which `make gen` writes its function, stream mapping, failure
//! queue and alarms into the template; this is its runtime.
//!
//! A worker handles the records of a batch in order. A job done is removed from the outbox. A
//! job that failed for a passing reason is reported as a partial batch failure, so the stream
//! gives it (and what follows it) again, for up to a day, and then to the failure queue an alarm
//! watches. A job that can never be done goes to that queue at once ([`failures`]), and is
//! removed: it holds up no job behind it.

pub mod failures;
pub mod job;
pub mod stream;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};
use serde_json::{json, Value};
use tracing::Instrument;

use crate::deploy::Worker;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::outbox;
use failures::{FailureQueue, FinalFailure};
use job::JobHandler;

/// Why a job was not done.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// It may be done later (a throttled or failing service, a timeout): the stream gives it
    /// again.
    #[error(transparent)]
    Retry(#[from] ApiError),
    /// It never can be: it goes to the failure queue at once, with this reason.
    #[error("{0}")]
    Final(String),
}

/// How long one job may take before it counts as failed (and is tried again).
pub const JOB_DEADLINE: Duration = Duration::from_secs(20);

/// Handles one stream event: each new outbox item of this worker's job, in order, until one
/// fails for a passing reason. The answer is Lambda's partial batch response: that record, if
/// any. A job that can never be done is parked in `failures` and the next one follows.
pub async fn handle_event<'a, Args, H>(
    state: &'a AppState,
    failures: &FailureQueue,
    worker: &Worker,
    event: Value,
    handler: H,
) -> Value
where
    H: JobHandler<'a, Args>,
{
    let Some(records) = stream::records(&event) else {
        tracing::error!(worker = worker.function, "event is not a stream event");
        return json!({ "batchItemFailures": [] });
    };
    for record in records {
        if record.event_name != "INSERT" {
            continue;
        }
        let sequence_number = record.sequence_number.as_str();
        let entry = record
            .new_image
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("read job", "record without a new image"))
            .and_then(outbox::entry_of);
        let entry = match entry {
            Ok(entry) if entry.job.worker() == worker.job => entry,
            Ok(_) => continue,
            Err(error) => {
                // No retry makes it readable.
                let reason = format!("the job does not read: {}", error.cause_chain());
                let unread_id = record.new_image.as_ref().and_then(outbox::id_of);
                let failure = FinalFailure {
                    worker: worker.function,
                    entry: None,
                    unread_id,
                    sequence_number,
                    reason: &reason,
                };
                if !park(failures, &failure).await {
                    return failed(sequence_number);
                }
                if let Some(id) = unread_id {
                    remove(state, id).await;
                }
                continue;
            }
        };
        let started = Instant::now();
        let id = entry.id.clone();
        let done = tokio::time::timeout(JOB_DEADLINE, handler.call(state, entry.clone()))
            .await
            .unwrap_or_else(|_| {
                Err(JobError::Retry(ApiError::Unavailable {
                    context: "job deadline",
                    retry_after: 1,
                    source: "the job did not finish in time".into(),
                }))
            });
        let took = started.elapsed().as_secs_f64() * 1000.0;
        match done {
            Ok(()) => {
                tracing::info!(worker = worker.function, job = %id, durationMs = took, "job done");
            }
            Err(JobError::Final(reason)) => {
                let failure = FinalFailure {
                    worker: worker.function,
                    entry: Some(&entry),
                    unread_id: None,
                    sequence_number,
                    reason: &reason,
                };
                if !park(failures, &failure).await {
                    return failed(sequence_number);
                }
            }
            Err(JobError::Retry(error)) => {
                tracing::warn!(worker = worker.function, job = %id, durationMs = took, error = %error.cause_chain(), "job failed; the stream gives it again");
                return failed(sequence_number);
            }
        }
        remove(state, &id).await;
    }
    json!({ "batchItemFailures": [] })
}

/// Removes a job done or parked. One left behind is only tidied later: its removal passes no
/// filter, so nothing is done twice for it.
async fn remove(state: &AppState, id: &str) {
    if let Err(error) = outbox::remove(state.outbox(), id).await {
        tracing::warn!(job = %id, error = %error, "done job not removed");
    }
}

/// Parks a job that can never be done; `false` if the queue could not take it (the stream then
/// gives the job again, and it is parked on a later try).
async fn park(failures: &FailureQueue, failure: &FinalFailure<'_>) -> bool {
    match failures.park(failure).await {
        Ok(()) => {
            tracing::error!(
                worker = failure.worker,
                job = failure.entry.map(|e| e.id.as_str()).or(failure.unread_id),
                reason = failure.reason,
                "job can never be done: parked in the failure queue"
            );
            true
        }
        Err(error) => {
            tracing::warn!(worker = failure.worker, error = %error.cause_chain(), "failure queue unavailable; the stream gives the job again");
            false
        }
    }
}

fn failed(sequence_number: &str) -> Value {
    json!({ "batchItemFailures": [{ "itemIdentifier": sequence_number }] })
}

/// A worker's whole life: logging, the state it needs (built once), then every stream event
/// handed to `handler` job by job.
pub fn run<Args, H>(worker: &'static Worker, handler: H) -> Result<(), lambda_runtime::Error>
where
    H: JobHandler<'static, Args>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        crate::telemetry::init();
        crate::aws::name_function(worker.function);
        let state = AppState::for_needs(worker.needs.and(H::NEEDS)).await;
        let queue = std::env::var(worker.failure_queue_variable).unwrap_or_else(|_| {
            eprintln!(
                "configuration error: {} (the failure queue's URL) is required",
                worker.failure_queue_variable
            );
            std::process::exit(1);
        });
        let failures: &'static FailureQueue = Box::leak(Box::new(FailureQueue::at(&queue)));
        lambda_runtime::run(service_fn(move |invocation: LambdaEvent<Value>| {
            let span = tracing::info_span!(
                "invocation",
                traceId = invocation
                    .context
                    .xray_trace_id
                    .as_deref()
                    .unwrap_or_default()
            );
            async move {
                let answer = handle_event(state, failures, worker, invocation.payload, handler);
                Ok::<_, Infallible>(answer.instrument(span).await)
            }
        }))
        .await
    })
}
