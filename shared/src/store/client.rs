//! The DynamoDB client, configured from the environment Lambda (or `make dev`) provides.
//!
//! Built by hand rather than through `aws-config`: a Lambda function's credentials and region are
//! always in its environment, and skipping the generic provider chain keeps cold starts short.

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

use crate::telemetry::StorageTimer;

/// Time budget of one DynamoDB call, retries included. It fits, with room for the rest of the
/// request, inside the shortest function timeout in `template.yaml`.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
/// Time budget of a single attempt, so one stuck connection cannot use the whole budget.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_200);
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
pub const MAX_ATTEMPTS: u32 = 3;
/// DynamoDB answers in milliseconds: retries start at 50 ms (as the older AWS SDKs did for it)
/// rather than the generic one second, so a throttled or refused call resolves quickly.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(50);
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Where an AWS client connects and as whom, from the environment Lambda provides.
pub(crate) struct AwsEnvironment {
    pub endpoint: Option<String>,
    pub region: String,
    pub credentials: Credentials,
}

impl AwsEnvironment {
    /// `endpoint_var` (`AWS_ENDPOINT_URL_DYNAMODB`, ...) or `AWS_ENDPOINT_URL` points the client
    /// elsewhere, at DynamoDB Local for instance.
    pub fn read(endpoint_var: &str) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let endpoint = var(endpoint_var).or_else(|| var("AWS_ENDPOINT_URL"));
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        // Local emulators accept any credentials; a local run need not invent some.
        let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
            (Some(key), Some(secret)) => {
                Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment")
            }
            _ => Credentials::new("local", "local", None, None, "local-default"),
        };
        Self {
            endpoint,
            region,
            credentials,
        }
    }
}

/// The time budgets of every AWS call, so none can outlast the function's timeout.
pub(crate) fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// A client for the region and credentials in the environment. `AWS_ENDPOINT_URL_DYNAMODB` (or
/// `AWS_ENDPOINT_URL`) points it elsewhere, at DynamoDB Local for instance.
pub fn from_env() -> Client {
    let env = AwsEnvironment::read("AWS_ENDPOINT_URL_DYNAMODB");
    build(env.endpoint.as_deref(), &env.region, env.credentials)
}

/// A client with explicit settings (tests point one at DynamoDB Local, or at a closed port).
pub fn build(endpoint: Option<&str>, region: &str, credentials: Credentials) -> Client {
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
    Client::from_conf(config.build())
}

/// Opens the connection to DynamoDB (DNS, TCP, TLS) during init, when Lambda gives the process
/// full CPU, so the first request does not pay for it. DescribeEndpoints is the cheapest call
/// there is; its answer is not needed, and a failure here is left for requests to report.
pub async fn open_connection(client: &Client) {
    let call = client.describe_endpoints().send();
    if let Err(error) = tokio::time::timeout(Duration::from_secs(1), call).await {
        tracing::debug!(error = %error, "DynamoDB warm-up timed out");
    }
}
