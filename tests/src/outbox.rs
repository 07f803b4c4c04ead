//! What stands in for Lambda's event source mappings where there are none (DynamoDB Local, the
//! tests): the outbox table's stream read through DynamoDB Local's Streams API, each worker's
//! records chosen by the same filter as its mapping's (new items of its `job`), handed to it in
//! the event Lambda sends (`{"Records": [...]}`), and a partial batch failure given again from
//! the record it names, as the mapping does.

use std::collections::HashMap;

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use serde_json::{json, Value};
use shared::worker::{stream, Worker};

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

/// Whether `worker`'s mapping lets `record` through: a new item of its job.
pub fn passes_filter(worker: &Worker, record: &Value) -> bool {
    record["eventName"] == "INSERT" && record["dynamodb"]["NewImage"]["job"]["S"] == worker.job
}

/// One worker's mapping: the records its filter lets through, not yet done.
pub struct Mapping {
    pub worker: &'static Worker,
    pending: Vec<Value>,
}

impl Mapping {
    pub fn new(worker: &'static Worker) -> Self {
        Self {
            worker,
            pending: Vec::new(),
        }
    }

    /// Takes in newly read records (those its filter lets through).
    pub fn offer(&mut self, records: &[Value]) {
        self.pending.extend(
            records
                .iter()
                .filter(|record| passes_filter(self.worker, record))
                .cloned(),
        );
    }

    /// The next batch to hand the worker, as Lambda's event, if any records wait.
    pub fn batch(&self) -> Option<Value> {
        let size = usize::try_from(self.worker.batch_size).unwrap_or(1).max(1);
        (!self.pending.is_empty())
            .then(|| json!({ "Records": self.pending.iter().take(size).collect::<Vec<_>>() }))
    }

    /// What the worker answered to [`Mapping::batch`]: the records before its first failure are
    /// done; that one and those after it wait for the next try. `false` if any failed.
    pub fn answered(&mut self, answer: &Value) -> bool {
        let size = usize::try_from(self.worker.batch_size).unwrap_or(1).max(1);
        let failed = answer["batchItemFailures"][0]["itemIdentifier"].as_str();
        let done = match failed {
            None => size.min(self.pending.len()),
            Some(sequence) => self
                .pending
                .iter()
                .position(|record| record["dynamodb"]["SequenceNumber"] == sequence)
                .unwrap_or(0),
        };
        self.pending.drain(..done);
        failed.is_none()
    }

    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }
}
