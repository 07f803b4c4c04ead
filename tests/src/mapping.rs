//! What Lambda's event source mapping does with a worker's stream records, configured as
//! template.yaml configures it: the filter, the batch size, partial batch responses, bisecting a
//! batch on a function error, the retry and record-age limits, and the on-failure destination.
//! The local stream poller (`make dev`, `make test`) and the test apps both deliver the outbox
//! through it, so the workers run locally as their mappings are deployed.
//!
//! Where it differs from Lambda: it keeps one queue of records for the whole stream, where Lambda
//! keeps one per shard (DynamoDB Local's tables have one shard at a time), and it waits one pause
//! between tries, where Lambda backs off.

use std::time::Duration;

use serde_json::{json, Map, Value};
use shared::deploy::Worker;

use crate::tables::TEMPLATE;

/// A worker's mapping, as template.yaml declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `FilterCriteria`: a record passes if it matches any pattern.
    pub filters: Vec<Value>,
    /// `BatchSize`.
    pub batch_size: usize,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub partial_batch_responses: bool,
    /// `BisectBatchOnFunctionError`.
    pub bisect_on_error: bool,
    /// `MaximumRetryAttempts` (`None`: -1, until the records are too old).
    pub max_retries: Option<u32>,
    /// `MaximumRecordAgeInSeconds` (`None`: -1, as long as the stream keeps them).
    pub max_record_age: Option<Duration>,
    /// The logical id of the `DestinationConfig.OnFailure` queue; locally, its name.
    pub on_failure: Option<String>,
}

fn untag(value: &serde_yaml::Value) -> &serde_yaml::Value {
    match value {
        serde_yaml::Value::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

impl Settings {
    /// The stream mapping template.yaml gives `worker`'s function.
    pub fn of(worker: &Worker) -> Result<Self, String> {
        let template: serde_yaml::Value =
            serde_yaml::from_str(TEMPLATE).map_err(|e| format!("template.yaml: {e}"))?;
        let function = template["Resources"]
            .as_mapping()
            .into_iter()
            .flatten()
            .map(|(_, resource)| resource)
            .find(|resource| {
                resource["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(worker.function)
            })
            .ok_or_else(|| format!("template.yaml has no function {}", worker.function))?;
        let mapping = function["Properties"]["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
            .map(|(_, event)| event)
            .find(|event| event["Type"].as_str() == Some("DynamoDB"))
            .map(|event| &event["Properties"])
            .ok_or_else(|| format!("{} has no DynamoDB stream mapping", worker.function))?;
        let number = |name: &str| mapping[name].as_i64();
        let limit = |name: &str| number(name).filter(|n| *n >= 0);
        let filters = mapping["FilterCriteria"]["Filters"]
            .as_sequence()
            .into_iter()
            .flatten()
            .map(|filter| {
                let text = filter["Pattern"]
                    .as_str()
                    .ok_or("a filter without a Pattern")?;
                serde_json::from_str(text).map_err(|e| format!("filter pattern {text}: {e}"))
            })
            .collect::<Result<Vec<Value>, String>>()?;
        let destination = untag(&mapping["DestinationConfig"]["OnFailure"]["Destination"]);
        Ok(Self {
            filters,
            batch_size: number("BatchSize")
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(100),
            partial_batch_responses: mapping["FunctionResponseTypes"].as_sequence().is_some_and(
                |types| {
                    types
                        .iter()
                        .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                },
            ),
            bisect_on_error: mapping["BisectBatchOnFunctionError"].as_bool() == Some(true),
            max_retries: limit("MaximumRetryAttempts").and_then(|n| u32::try_from(n).ok()),
            max_record_age: limit("MaximumRecordAgeInSeconds")
                .and_then(|n| u64::try_from(n).ok())
                .map(Duration::from_secs),
            on_failure: destination
                .as_str()
                .map(|target| target.split('.').next().unwrap_or(target).to_owned()),
        })
    }
}

/// Whether `record` matches an event filter `pattern` (the subset the template uses: objects
/// to match field by field, arrays of values one of which the field must equal).
pub fn matches(pattern: &Value, record: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields
            .iter()
            .all(|(name, inner)| matches(inner, record.get(name).unwrap_or(&Value::Null))),
        Value::Array(values) => values.iter().any(|value| value == record),
        other => other == record,
    }
}

/// How the function answered a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Its response (a partial batch response, or anything for "all done").
    Response(Value),
    /// It failed: an error, a crash, a timeout.
    FunctionError,
}

/// One worker's mapping: the records its filter lets through, not yet done.
pub struct Mapping {
    pub worker: &'static Worker,
    pub settings: Settings,
    pending: Vec<Value>,
    /// The size of the batch being tried: the batch size, or less once bisected.
    size: usize,
    /// How many times the batch at the head has failed.
    retries: u32,
}

impl Mapping {
    /// The mapping of `worker` as template.yaml declares it.
    pub fn new(worker: &'static Worker) -> Self {
        let settings = Settings::of(worker).unwrap_or_else(|e| panic!("{e}"));
        Self::with_settings(worker, settings)
    }

    /// A mapping with other settings than the template's (a test of one of them).
    pub fn with_settings(worker: &'static Worker, settings: Settings) -> Self {
        Self {
            worker,
            size: settings.batch_size.max(1),
            settings,
            pending: Vec::new(),
            retries: 0,
        }
    }

    /// Takes in newly read records: those its filters let through.
    pub fn offer(&mut self, records: &[Value]) {
        let filters = &self.settings.filters;
        self.pending.extend(
            records
                .iter()
                .filter(|record| filters.is_empty() || filters.iter().any(|f| matches(f, record)))
                .cloned(),
        );
    }

    /// The records past their maximum age at `now` (seconds since the epoch), taken off: what
    /// goes to the on-failure destination as Lambda sends it.
    pub fn expired(&mut self, now: u64) -> Option<Value> {
        let max_age = self.settings.max_record_age?.as_secs();
        let created = |record: &Value| record["dynamodb"]["ApproximateCreationDateTime"].as_u64();
        let old = self
            .pending
            .iter()
            .take_while(|record| created(record).is_some_and(|at| at + max_age < now))
            .count();
        (old > 0).then(|| self.discard(old, "RecordAgeExceeded"))
    }

    /// The next batch to hand the worker, as Lambda's event, if any records wait.
    pub fn batch(&self) -> Option<Value> {
        (!self.pending.is_empty())
            .then(|| json!({ "Records": self.pending.iter().take(self.size).collect::<Vec<_>>() }))
    }

    /// What the worker answered to [`Mapping::batch`]. Returns whether the whole batch was done,
    /// and what went to the on-failure destination, if anything did.
    pub fn answered(&mut self, answer: &Answer) -> (bool, Option<Value>) {
        let size = self.size.min(self.pending.len());
        let failed_at = match answer {
            Answer::FunctionError => Some(0),
            Answer::Response(response) if self.settings.partial_batch_responses => {
                response["batchItemFailures"][0]["itemIdentifier"]
                    .as_str()
                    .map(|sequence| {
                        self.pending[..size]
                            .iter()
                            .position(|record| record["dynamodb"]["SequenceNumber"] == sequence)
                            // An identifier that names no record of the batch fails it whole.
                            .unwrap_or(0)
                    })
            }
            Answer::Response(_) => None,
        };
        let Some(failed_at) = failed_at else {
            self.pending.drain(..size);
            self.reset();
            return (true, None);
        };
        if failed_at > 0 {
            // Done up to the failure; the rest is tried again from there.
            self.pending.drain(..failed_at);
            self.reset();
        }
        self.retries += 1;
        if *answer == Answer::FunctionError && self.settings.bisect_on_error && self.size > 1 {
            self.size = self.size.div_ceil(2);
        }
        let exhausted = self
            .settings
            .max_retries
            .is_some_and(|max| self.retries > max);
        let discarded = exhausted.then(|| {
            let count = self.size.min(self.pending.len());
            self.discard(count, "RetryAttemptsExhausted")
        });
        (false, discarded)
    }

    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    fn reset(&mut self) {
        self.size = self.settings.batch_size.max(1);
        self.retries = 0;
    }

    /// Takes the first `count` records off and describes them as Lambda's on-failure record for
    /// a stream batch does: where they are in the stream, not what they hold.
    fn discard(&mut self, count: usize, condition: &str) -> Value {
        let records: Vec<Value> = self.pending.drain(..count).collect();
        let invocations = self.retries + 1;
        self.reset();
        let sequence = |record: Option<&Value>| {
            record.map_or(Value::Null, |r| r["dynamodb"]["SequenceNumber"].clone())
        };
        let arrival = |record: Option<&Value>| {
            record.map_or(Value::Null, |r| {
                r["dynamodb"]["ApproximateCreationDateTime"].clone()
            })
        };
        let mut info = Map::new();
        info.insert("startSequenceNumber".into(), sequence(records.first()));
        info.insert("endSequenceNumber".into(), sequence(records.last()));
        info.insert(
            "approximateArrivalOfFirstRecord".into(),
            arrival(records.first()),
        );
        info.insert(
            "approximateArrivalOfLastRecord".into(),
            arrival(records.last()),
        );
        info.insert("batchSize".into(), json!(records.len()));
        info.insert(
            "streamArn".into(),
            records
                .first()
                .map_or(Value::Null, |r| r["eventSourceARN"].clone()),
        );
        json!({
            "requestContext": {
                "functionArn": format!("arn:aws:lambda:us-east-1:123456789012:function:{}", self.worker.function),
                "condition": condition,
                "approximateInvokeCount": invocations,
            },
            "version": "1.0",
            "DDBStreamBatchInfo": info,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence: &str, job: &str) -> Value {
        json!({
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": sequence,
                "ApproximateCreationDateTime": 1_000,
                "NewImage": { "job": { "S": job } },
            },
        })
    }

    fn settings() -> Settings {
        Settings::of(&shared::deploy::MAILER).expect("the mailer's mapping")
    }

    #[test]
    fn the_mailer_mapping_is_read_from_the_template() {
        let settings = settings();
        assert_eq!(settings.batch_size, 10);
        assert!(settings.partial_batch_responses);
        assert!(settings.bisect_on_error);
        assert_eq!(settings.max_retries, None);
        assert_eq!(settings.max_record_age, Some(Duration::from_secs(86_400)));
        assert_eq!(
            settings.on_failure.as_deref(),
            Some("MailerFailedJobsQueue")
        );
    }

    #[test]
    fn the_filter_lets_through_only_new_jobs_of_the_worker() {
        let mut mapping = Mapping::with_settings(&shared::deploy::MAILER, settings());
        let mut removed = record("3", "mail");
        removed["eventName"] = json!("REMOVE");
        mapping.offer(&[record("1", "mail"), record("2", "purge"), removed]);
        let batch = mapping.batch().expect("a batch");
        assert_eq!(batch["Records"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn a_partial_failure_is_tried_again_from_the_failed_record() {
        let mut mapping = Mapping::with_settings(&shared::deploy::MAILER, settings());
        mapping.offer(&[
            record("1", "mail"),
            record("2", "mail"),
            record("3", "mail"),
        ]);
        let answer = Answer::Response(json!({ "batchItemFailures": [{ "itemIdentifier": "2" }] }));
        assert_eq!(mapping.answered(&answer), (false, None));
        let batch = mapping.batch().expect("a batch");
        assert_eq!(batch["Records"][0]["dynamodb"]["SequenceNumber"], "2");
    }

    #[test]
    fn a_function_error_bisects_the_batch() {
        let mut mapping = Mapping::with_settings(&shared::deploy::MAILER, settings());
        let records: Vec<Value> = (0..10).map(|n| record(&n.to_string(), "mail")).collect();
        mapping.offer(&records);
        mapping.answered(&Answer::FunctionError);
        assert_eq!(
            mapping.batch().expect("batch")["Records"]
                .as_array()
                .map(Vec::len),
            Some(5)
        );
        mapping.answered(&Answer::FunctionError);
        assert_eq!(
            mapping.batch().expect("batch")["Records"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }

    #[test]
    fn retries_past_the_limit_send_the_batch_to_the_destination() {
        let limited = Settings {
            max_retries: Some(1),
            bisect_on_error: false,
            ..settings()
        };
        let mut mapping = Mapping::with_settings(&shared::deploy::MAILER, limited);
        mapping.offer(&[record("1", "mail"), record("2", "mail")]);
        assert_eq!(mapping.answered(&Answer::FunctionError), (false, None));
        let (done, discarded) = mapping.answered(&Answer::FunctionError);
        assert!(!done);
        let discarded = discarded.expect("sent to the destination");
        assert_eq!(
            discarded["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
        assert_eq!(discarded["DDBStreamBatchInfo"]["batchSize"], 2);
        assert!(mapping.is_idle());
    }

    #[test]
    fn records_past_the_maximum_age_go_to_the_destination() {
        let mut mapping = Mapping::with_settings(&shared::deploy::MAILER, settings());
        mapping.offer(&[record("1", "mail")]);
        assert_eq!(mapping.expired(1_000 + 86_400), None);
        let expired = mapping.expired(1_000 + 86_401).expect("too old");
        assert_eq!(expired["requestContext"]["condition"], "RecordAgeExceeded");
        assert!(mapping.is_idle());
    }
}
