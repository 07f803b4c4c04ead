//! Where a job that can never be done goes: the worker's failure queue (SQS), the same queue
//! its stream mapping sends a batch to when the batch is a day old, and which an alarm watches.
//!
//! The stream only knows "try again": a job it is given back blocks every job behind it in its
//! shard, for up to a day. A job that no retry can do (an address or message the mail service
//! refuses, a job that does not read, a purge of an account that exists) is therefore parked
//! here at once, with its reason, and the jobs behind it flow. The message names the job, its
//! kind, its account and the reason — never a recipient's address.

use aws_sdk_sqs::config::{BehaviorVersion, Region};
use aws_sdk_sqs::error::DisplayErrorContext;
use serde_json::json;

use crate::aws::{timeouts, AwsEnvironment};
use crate::domain::outbox::{Job, OutboxEntry};
use crate::error::ApiError;

/// A worker's failure queue.
#[derive(Debug, Clone)]
pub struct FailureQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

/// A job that can never be done, as the failure queue holds it.
#[derive(Debug)]
pub struct FinalFailure<'a> {
    pub worker: &'a str,
    /// The job, if it could be read.
    pub entry: Option<&'a OutboxEntry>,
    /// The job's id when the job itself could not be read.
    pub unread_id: Option<&'a str>,
    /// The stream record it came in (its sequence number), for finding it in the stream.
    pub sequence_number: &'a str,
    pub reason: &'a str,
}

impl FailureQueue {
    /// The queue at `url`, with a client for the environment's region and credentials.
    /// `AWS_ENDPOINT_URL_SQS` points it elsewhere: at the local emulator `make dev` runs.
    pub fn at(url: &str) -> Self {
        let env = AwsEnvironment::read("AWS_ENDPOINT_URL_SQS");
        let mut config = aws_sdk_sqs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(env.region))
            .credentials_provider(env.credentials)
            .timeout_config(timeouts());
        if let Some(endpoint) = env.endpoint {
            config = config.endpoint_url(endpoint);
        }
        if let Some(name) = env.app_name {
            config = config.app_name(name);
        }
        Self {
            client: aws_sdk_sqs::Client::from_conf(config.build()),
            url: url.to_owned(),
        }
    }

    /// The same queue, its calls passing through `interceptor` too.
    pub fn with_interceptor(
        self,
        interceptor: impl aws_sdk_sqs::config::Intercept + 'static,
    ) -> Self {
        let config = self.client.config().to_builder().interceptor(interceptor);
        Self {
            client: aws_sdk_sqs::Client::from_conf(config.build()),
            url: self.url,
        }
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Parks `failure` in the queue.
    pub async fn park(&self, failure: &FinalFailure<'_>) -> Result<(), ApiError> {
        let body = message_of(failure);
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body.to_string())
            .send()
            .await
            .map_err(|error| ApiError::Unavailable {
                context: "park failed job",
                retry_after: 1,
                source: DisplayErrorContext(error).to_string().into(),
            })?;
        Ok(())
    }
}

/// The message for `failure`: what an operator needs to find and judge the job.
pub fn message_of(failure: &FinalFailure<'_>) -> serde_json::Value {
    let (job, kind, user_id) = match failure.entry {
        Some(entry) => match &entry.job {
            Job::Mail { kind, user_id, .. } => (
                Some(entry.id.as_str()),
                kind.as_str(),
                Some(user_id.to_string()),
            ),
            Job::Purge { user_id, .. } => {
                (Some(entry.id.as_str()), "purge", Some(user_id.to_string()))
            }
            Job::Image { .. } => (Some(entry.id.as_str()), "image", None),
        },
        None => (failure.unread_id, "unreadable", None),
    };
    let mut message = json!({
        "worker": failure.worker,
        "job": job,
        "kind": kind,
        "userId": user_id,
        "sequenceNumber": failure.sequence_number,
        "reason": failure.reason,
    });
    // An image that can never be made: which one, so an operator can find its upload.
    if let Some(Job::Image {
        product_id,
        image_id,
    }) = failure.entry.map(|entry| &entry.job)
    {
        message["productId"] = json!(product_id);
        message["imageId"] = json!(image_id);
    }
    message
}
