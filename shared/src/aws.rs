//! What every AWS client of a function shares: where it connects and as whom (from the
//! environment Lambda provides), and the time budgets of its calls.
//!
//! Clients are built by hand rather than through `aws-config`: a Lambda function's credentials
//! and region are always in its environment, and skipping the generic provider chain keeps
//! cold starts short.

use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_dynamodb::config::{AppName, Credentials};
use aws_smithy_types::timeout::TimeoutConfig;

/// Time budget of one DynamoDB call, retries included. It fits, with room for the rest of the
/// request, inside the shortest function timeout in `template.yaml`.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
/// Time budget of a single attempt, so one stuck connection cannot use the whole budget.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(1_200);
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The function this process is, once it has said so ([`name_function`]).
static FUNCTION: OnceLock<AppName> = OnceLock::new();

/// Names the function this process runs in the user agent of every AWS call it makes
/// (`app/<function>`): CloudTrail shows which function made a call, and so does the recorder
/// `make test` checks the roles with. Called once, at cold start, before any client is built.
pub fn name_function(function: &'static str) {
    if let Ok(name) = AppName::new(function) {
        let _ = FUNCTION.set(name);
    }
}

/// Where an AWS client connects and as whom, from the environment Lambda provides.
pub(crate) struct AwsEnvironment {
    pub endpoint: Option<String>,
    pub region: String,
    pub credentials: Credentials,
    /// The function making the calls, for their user agent.
    pub app_name: Option<AppName>,
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
            app_name: FUNCTION.get().cloned(),
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
