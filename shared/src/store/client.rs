//! The DynamoDB client, configured from the environment Lambda (or `make dev`) provides
//! ([`crate::aws`]), with retries tuned to DynamoDB and a timer on every call.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

use crate::aws::{timeouts, AwsEnvironment};
use crate::telemetry::StorageTimer;

/// Attempts of one DynamoDB call, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// DynamoDB answers in milliseconds: retries start at 50 ms (as the older AWS SDKs did for it)
/// rather than the generic one second, so a throttled or refused call resolves quickly.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A client for the region and credentials in the environment. `AWS_ENDPOINT_URL_DYNAMODB` (or
/// `AWS_ENDPOINT_URL`) points it elsewhere, at DynamoDB Local for instance.
pub fn from_env() -> Client {
    let env = AwsEnvironment::read("AWS_ENDPOINT_URL_DYNAMODB");
    let mut config = builder(env.endpoint.as_deref(), &env.region, env.credentials);
    if let Some(name) = env.app_name {
        config = config.app_name(name);
    }
    Client::from_conf(config.build())
}

/// A client with explicit settings (tests point one at DynamoDB Local, or at a closed port).
pub fn build(endpoint: Option<&str>, region: &str, credentials: Credentials) -> Client {
    Client::from_conf(builder(endpoint, region, credentials).build())
}

fn builder(
    endpoint: Option<&str>,
    region: &str,
    credentials: Credentials,
) -> aws_sdk_dynamodb::config::Builder {
    let timeouts = timeouts();
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(credentials)
        .timeout_config(timeouts)
        .interceptor(StorageTimer)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        );
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    config
}

/// Opens `count` connections to DynamoDB (DNS, TCP, TLS) during init, when Lambda gives the
/// process full CPU, so the first request does not pay for them: as many calls at once, each of
/// which needs a connection of its own. DescribeEndpoints is the cheapest call there is; its
/// answer is not needed, and a failure here is left for requests to report.
pub async fn open_connections(client: &Client, count: u16) {
    let calls = (0..count).map(|_| async {
        let call = client.describe_endpoints().send();
        if let Err(error) = tokio::time::timeout(Duration::from_secs(1), call).await {
            tracing::debug!(error = %error, "DynamoDB warm-up timed out");
        }
    });
    crate::join::join_all(calls).await;
}
