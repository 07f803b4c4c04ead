//! Stands in, under `make dev` and `make test`, for the event source mappings that feed the
//! workers deployed: reads the outbox table's stream in DynamoDB Local and hands each worker the
//! records its mapping lets through, configured as template.yaml configures the mapping (filter,
//! batch size, partial batch responses, bisect on error, retry and record-age limits: see
//! `api_tests::mapping`), by invoking the function through `cargo lambda watch` (the Lambda
//! Invoke API it serves). A batch the mapping gives up on goes to the mapping's on-failure
//! queue, in the local SQS emulator, named as the template names it.
//!
//! Usage: `stream-poller WATCH_URL` (`http://127.0.0.1:PORT`); the tables, DynamoDB and the SQS
//! emulator come from the environment the functions read.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use api_tests::mapping::{Answer, Mapping};
use api_tests::outbox::{failure_queue, send_to, streams_client, StreamReader};
use serde_json::Value;
use shared::deploy::WORKERS;

/// How often the stream is read when nothing waits.
const POLL: Duration = Duration::from_millis(200);
/// How long a failed batch waits before it is given again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The function's answer; a function error if it crashed, timed out or said it failed.
fn invoke(watch: &str, function: &str, event: &Value) -> Answer {
    let url = format!("{watch}/2015-03-31/functions/{function}/invocations");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(330)))
        .build()
        .into();
    let Ok(mut response) = agent.post(&url).send(event.to_string()) else {
        eprintln!("stream-poller: {function} could not be invoked");
        return Answer::FunctionError;
    };
    let unhandled = response.headers().get("x-amz-function-error").is_some();
    if !response.status().is_success() || unhandled {
        eprintln!(
            "stream-poller: {function} answered {} (a function error)",
            response.status()
        );
        return Answer::FunctionError;
    }
    let text = response.body_mut().read_to_string().unwrap_or_default();
    serde_json::from_str(&text).map_or(Answer::FunctionError, Answer::Response)
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[tokio::main]
async fn main() {
    let watch = std::env::args()
        .nth(1)
        .expect("usage: stream-poller WATCH_URL");
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("AWS_ENDPOINT_URL_DYNAMODB names DynamoDB Local");
    let table = std::env::var("OUTBOX_TABLE").unwrap_or_else(|_| "outbox".to_owned());
    let dynamo = shared::store::client::from_env();
    let mut reader = loop {
        match StreamReader::of_table(&dynamo, streams_client(&endpoint), &table).await {
            Ok(reader) => break reader,
            Err(error) => {
                eprintln!("stream-poller: waiting for {table}'s stream: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut mappings: Vec<Mapping> = WORKERS.iter().map(Mapping::new).collect();
    // Each mapping's on-failure queue, by the name the template gives it.
    let mut destinations = Vec::new();
    for mapping in &mappings {
        let queue = match &mapping.settings.on_failure {
            Some(name) => Some(failure_queue(name).await.url().to_owned()),
            None => None,
        };
        destinations.push(queue);
    }
    println!("stream-poller: feeding {table}'s stream to the workers through {watch}");
    loop {
        match reader.read().await {
            Ok(records) => mappings.iter_mut().for_each(|m| m.offer(&records)),
            Err(error) => eprintln!("stream-poller: reading the stream: {error:?}"),
        }
        let mut failed = false;
        for (mapping, destination) in mappings.iter_mut().zip(&destinations) {
            let mut discarded = mapping
                .expired(now_seconds())
                .into_iter()
                .collect::<Vec<_>>();
            while let Some(batch) = mapping.batch() {
                let function = mapping.worker.function;
                let answer = tokio::task::block_in_place(|| invoke(&watch, function, &batch));
                let (done, gone) = mapping.answered(&answer);
                discarded.extend(gone);
                if !done {
                    failed = true;
                    break;
                }
            }
            for message in discarded {
                let function = mapping.worker.function;
                match destination {
                    Some(url) => {
                        eprintln!(
                            "stream-poller: {function}'s mapping gave up on a batch: to {url}"
                        );
                        send_to(url, &message).await;
                    }
                    None => eprintln!("stream-poller: {function}'s mapping dropped a batch"),
                }
            }
        }
        tokio::time::sleep(if failed { RETRY_PAUSE } else { POLL }).await;
    }
}
