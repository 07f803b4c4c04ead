//! Stands in, under `make dev` and `make test`, for the event source mappings that feed the
//! workers deployed: reads the outbox table's stream in DynamoDB Local, hands each worker the
//! records its mapping's filter lets through, in the event Lambda sends, by invoking the
//! function through `cargo lambda watch` (the Lambda Invoke API it serves), and gives a failed
//! batch again from its failure after a pause, as the mapping retries.
//!
//! Usage: `stream-poller WATCH_URL` (`http://127.0.0.1:PORT`); the tables and DynamoDB come from
//! the environment the functions read.

use std::time::Duration;

use api_tests::outbox::{streams_client, Mapping, StreamReader};
use serde_json::Value;
use shared::worker::WORKERS;

/// How often the stream is read when nothing waits.
const POLL: Duration = Duration::from_millis(200);
/// How long a failed batch waits before it is given again.
const RETRY_PAUSE: Duration = Duration::from_secs(1);

fn invoke(watch: &str, function: &str, event: &Value) -> Option<Value> {
    let url = format!("{watch}/2015-03-31/functions/{function}/invocations");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(330)))
        .build()
        .into();
    let mut response = agent.post(&url).send(event.to_string()).ok()?;
    if !response.status().is_success() {
        eprintln!("stream-poller: {function} answered {}", response.status());
        return None;
    }
    let text = response.body_mut().read_to_string().ok()?;
    serde_json::from_str(&text).ok()
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
    println!("stream-poller: feeding {table}'s stream to the workers through {watch}");
    loop {
        match reader.read().await {
            Ok(records) => mappings.iter_mut().for_each(|m| m.offer(&records)),
            Err(error) => eprintln!("stream-poller: reading the stream: {error:?}"),
        }
        let mut failed = false;
        for mapping in &mut mappings {
            while let Some(batch) = mapping.batch() {
                let function = mapping.worker.function;
                let done = tokio::task::block_in_place(|| invoke(&watch, function, &batch))
                    .is_some_and(|answer| mapping.answered(&answer));
                if !done {
                    failed = true;
                    break;
                }
            }
        }
        tokio::time::sleep(if failed { RETRY_PAUSE } else { POLL }).await;
    }
}
