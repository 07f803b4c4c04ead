//! What the workers read where Lambda's event source mappings are not (DynamoDB Local, the
//! tests): the outbox table's stream, read through DynamoDB Local's Streams API into the records
//! Lambda's event carries (`crate::mapping` hands them to the workers as the mappings do), and
//! the workers' failure queues in the SQS emulator.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value};
use shared::worker::failures::FailureQueue;
use shared::worker::stream;

/// A stream's records, read shard by shard from where the last read stopped.
pub struct StreamReader {
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    /// Each shard's next iterator, or `None` once the shard is closed and read to its end.
    shards: HashMap<String, Option<String>>,
    /// The last sequence number read of each shard, for an iterator that expired.
    last: HashMap<String, String>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A Streams client for `endpoint` (DynamoDB Local serves Streams at its own endpoint).
pub fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

impl StreamReader {
    /// A reader of `table`'s stream, from its oldest record.
    pub async fn of_table(
        dynamo: &aws_sdk_dynamodb::Client,
        streams: aws_sdk_dynamodbstreams::Client,
        table: &str,
    ) -> Result<Self, BoxError> {
        let described = dynamo.describe_table().table_name(table).send().await?;
        let arn = described
            .table
            .and_then(|t| t.latest_stream_arn)
            .ok_or_else(|| format!("{table} has no stream"))?;
        Ok(Self {
            client: streams,
            arn,
            shards: HashMap::new(),
            last: HashMap::new(),
        })
    }

    /// Records written since the last read, in stream order within each shard, as Lambda's
    /// event carries them. After a failed read, the next takes fresh iterators from where each
    /// shard was last read (a stream still being enabled, say, refuses the first ones).
    pub async fn read(&mut self) -> Result<Vec<Value>, BoxError> {
        let read = self.read_shards().await;
        if read.is_err() {
            self.shards.clear();
        }
        read
    }

    async fn read_shards(&mut self) -> Result<Vec<Value>, BoxError> {
        let described = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await?;
        for shard in described
            .stream_description
            .map(|d| d.shards.unwrap_or_default())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id else { continue };
            if !self.shards.contains_key(&id) {
                let after = self.last.get(&id).cloned();
                let iterator = self.iterator(&id, after).await?;
                self.shards.insert(id, Some(iterator));
            }
        }
        let mut records = Vec::new();
        let ids: Vec<String> = self.shards.keys().cloned().collect();
        for id in ids {
            let Some(Some(iterator)) = self.shards.get(&id).cloned() else {
                continue;
            };
            let output = match self
                .client
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
            {
                Ok(output) => output,
                // An iterator lives 15 minutes: start again after the last record read.
                Err(error)
                    if error
                        .as_service_error()
                        .is_some_and(|e| e.is_expired_iterator_exception()) =>
                {
                    let after = self.last.get(&id).cloned();
                    let iterator = self.iterator(&id, after).await?;
                    self.shards.insert(id, Some(iterator));
                    continue;
                }
                Err(error) => return Err(Box::new(error)),
            };
            for record in output.records.unwrap_or_default() {
                if let Some(sequence) = record.dynamodb().and_then(|d| d.sequence_number()) {
                    self.last.insert(id.clone(), sequence.to_owned());
                }
                records.push(event_record(&record, &self.arn));
            }
            self.shards.insert(id, output.next_shard_iterator);
        }
        Ok(records)
    }

    async fn iterator(&self, shard: &str, after: Option<String>) -> Result<String, BoxError> {
        let request = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.arn)
            .shard_id(shard);
        let request = match after {
            Some(sequence) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .sequence_number(sequence),
            None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        request
            .send()
            .await?
            .shard_iterator
            .ok_or_else(|| "no shard iterator".into())
    }
}

/// A record as Lambda's DynamoDB stream event carries it.
fn event_record(record: &Record, arn: &str) -> Value {
    let image = |item: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        item.map(|item| stream::to_json(&convert(item)))
    };
    let change = record.dynamodb();
    let mut dynamodb = json!({
        "SequenceNumber": change.and_then(|c| c.sequence_number()).unwrap_or_default(),
        "SizeBytes": change.and_then(|c| c.size_bytes()).unwrap_or_default(),
        "StreamViewType": change.and_then(|c| c.stream_view_type()).map(|t| t.as_str()).unwrap_or("NEW_IMAGE"),
        "ApproximateCreationDateTime": change
            .and_then(|c| c.approximate_creation_date_time())
            .map_or(0, |t| t.secs()),
    });
    for (name, value) in [
        ("Keys", image(change.and_then(|c| c.keys.as_ref()))),
        ("NewImage", image(change.and_then(|c| c.new_image.as_ref()))),
        ("OldImage", image(change.and_then(|c| c.old_image.as_ref()))),
    ] {
        if let Some(value) = value {
            dynamodb[name] = value;
        }
    }
    json!({
        "eventID": record.event_id().unwrap_or_default(),
        "eventName": record.event_name().map(|n| n.as_str()).unwrap_or_default(),
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": dynamodb,
        "eventSourceARN": arn,
    })
}

/// The Streams API's attribute values as DynamoDB's own.
fn convert(
    item: &HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>,
) -> shared::store::Item {
    use aws_sdk_dynamodb::types::AttributeValue as To;
    use aws_sdk_dynamodbstreams::types::AttributeValue as From;
    fn one(value: &From) -> To {
        match value {
            From::S(text) => To::S(text.clone()),
            From::N(number) => To::N(number.clone()),
            From::Bool(flag) => To::Bool(*flag),
            From::Null(flag) => To::Null(*flag),
            From::Ss(texts) => To::Ss(texts.clone()),
            From::Ns(numbers) => To::Ns(numbers.clone()),
            From::M(map) => To::M(convert(map)),
            From::L(list) => To::L(list.iter().map(one).collect()),
            _ => To::Null(true),
        }
    }
    item.iter().map(|(k, v)| (k.clone(), one(v))).collect()
}

/// The SQS emulator `make test` and `make dev` run (`AWS_ENDPOINT_URL_SQS`).
fn sqs_client() -> aws_sdk_sqs::Client {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_SQS").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL_SQS names the SQS emulator: run through make test")
    });
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "local", "local", None, None, "local",
        ))
        .endpoint_url(endpoint)
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// The queue `name` in the SQS emulator, made if it is not there, as a worker's failure queue.
pub async fn failure_queue(name: &str) -> FailureQueue {
    let created = sqs_client()
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the SQS emulator makes queue {name}: {e:?}"));
    let url = created
        .queue_url
        .unwrap_or_else(|| panic!("queue {name} has a URL"));
    FailureQueue::at(&url)
}

/// The messages waiting in the queue at `url` (each body as JSON), left there.
pub async fn messages_in(url: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    // The emulator hands out at most ten at a time; what it handed out stays invisible for the
    // visibility timeout, so each read finds the next.
    loop {
        let output = sqs_client()
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the SQS emulator reads {url}: {e:?}"));
        let batch = output.messages.unwrap_or_default();
        if batch.is_empty() {
            return messages;
        }
        messages.extend(
            batch
                .iter()
                .filter_map(|m| m.body.as_deref())
                .map(|body| serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()))),
        );
    }
}

/// Sends `message` to the queue at `url`, as the mapping sends a batch to its destination.
pub async fn send_to(url: &str, message: &Value) {
    sqs_client()
        .send_message()
        .queue_url(url)
        .message_body(message.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("the SQS emulator takes a message for {url}: {e:?}"));
}

/// Every job in `app`'s outbox now, each as JSON of its item's text and number attributes.
pub async fn jobs(app: &crate::app::TestApp) -> Vec<Value> {
    let table = app
        .state
        .config
        .tables
        .get(shared::tables::TableName::Outbox);
    let scan = app
        .state
        .dynamo
        .scan()
        .table_name(table)
        .send()
        .await
        .expect("scan the outbox");
    scan.items()
        .iter()
        .map(|item| {
            let fields = item.iter().filter_map(|(name, value)| {
                let value = match value {
                    aws_sdk_dynamodb::types::AttributeValue::S(text) => json!(text),
                    aws_sdk_dynamodb::types::AttributeValue::N(number) => json!(number),
                    _ => return None,
                };
                Some((name.clone(), value))
            });
            Value::Object(fields.collect())
        })
        .collect()
}
