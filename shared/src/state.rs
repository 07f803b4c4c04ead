//! Per-execution-environment state: built once at cold start, borrowed by every request.

use aws_sdk_dynamodb::Client;

use crate::auth::jwt::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::pagination::CursorKey;
use crate::store;

/// Configuration, clients and keys, shared by every invocation of a function.
pub struct AppState {
    pub config: Config,
    pub dynamo: Client,
    pub clock: Clock,
    pub tokens: TokenKeys,
    pub cursors: CursorKey,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(config: Config, dynamo: Client, clock: Clock) -> Self {
        let tokens = TokenKeys::new(&config.jwt);
        let cursors = CursorKey::derive(config.secret_bytes());
        Self {
            config,
            dynamo,
            clock,
            tokens,
            cursors,
        }
    }

    /// Reads the environment and builds the DynamoDB client. A missing or weak setting ends the
    /// process with a clear message: a function must not start half-configured.
    pub fn from_env() -> &'static Self {
        let config = match Config::from_env() {
            Ok(config) => config,
            Err(error) => {
                tracing::error!(error = %error, "invalid configuration");
                eprintln!("configuration error: {error}");
                std::process::exit(1);
            }
        };
        let dynamo = store::client::from_env();
        Box::leak(Box::new(Self::new(config, dynamo, Clock::System)))
    }
}
