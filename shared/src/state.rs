//! Per-execution-environment state: built once at cold start, borrowed by every request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_sdk_dynamodb::Client;
use secrecy::ExposeSecret;

use crate::auth::jwt::{TokenSigner, TokenVerifier};
use crate::auth::keys::SigningKey;
use crate::clock::{Clock, Timestamp};
use crate::config::{Config, ConfigError, SecretSource};
use crate::error::ApiError;
use crate::front_door::FrontDoor;
use crate::mail::{AddressKey, MailSender};
use crate::media::Media;
use crate::pagination::CursorKey;
use crate::store::{
    self, idempotency::Idempotency, limits::Limits, listing::Shards, outbox::Outbox,
    products::Products, sessions::Sessions, tokens::Tokens, users::Users, Table,
};
use crate::tables::TableName;
use crate::telemetry::{LogSink, Telemetry};

/// Configuration, clients and keys, shared by every invocation of a function. The private keys
/// are here only in the functions whose route needs them.
pub struct AppState {
    pub config: Config,
    pub dynamo: Client,
    pub clock: Clock,
    pub tokens: TokenVerifier,
    pub telemetry: Telemetry,
    /// What this instance has learnt of its clients' request counters (the rate limit).
    pub counters: CounterMemory,
    signer: Option<TokenSigner>,
    cursors: Option<CursorKey>,
    mail: Option<MailSender>,
    address_key: Option<AddressKey>,
    media: Option<Media>,
    front_door: Option<FrontDoor>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// What a function loads at cold start besides its configuration (its route declares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    /// DynamoDB: the connection is opened during init.
    pub storage: bool,
    /// It reads every listing shard at once (a catalogue page): one connection per shard is
    /// opened during init, so the first page does not wait for them.
    pub every_shard: bool,
    /// The private key tokens are signed with (login only).
    pub signing_key: bool,
    /// The key page cursors are signed with (list-products only).
    pub cursor_key: bool,
    /// The key of the per-address mail cap (the mailer only).
    pub address_key: bool,
    /// An SES client, to send mail (the mailer only).
    pub mail: bool,
    /// An S3 client of the media bucket, and the credentials that sign its upload forms.
    pub media: bool,
}

impl Needs {
    /// Nothing at all: no storage, no keys, no mail.
    pub const NOTHING: Needs = Needs {
        storage: false,
        every_shard: false,
        signing_key: false,
        cursor_key: false,
        address_key: false,
        mail: false,
        media: false,
    };

    /// What `self` or `other` needs.
    pub const fn and(self, other: Needs) -> Needs {
        Needs {
            storage: self.storage || other.storage,
            every_shard: self.every_shard || other.every_shard,
            signing_key: self.signing_key || other.signing_key,
            cursor_key: self.cursor_key || other.cursor_key,
            address_key: self.address_key || other.address_key,
            mail: self.mail || other.mail,
            media: self.media || other.media,
        }
    }
}

impl AppState {
    /// State without private keys; add them with [`AppState::with_signer`] and
    /// [`AppState::with_cursor_key`]. Refused if a configured public key is not one.
    pub fn new(config: Config, dynamo: Client, clock: Clock) -> Result<Self, ConfigError> {
        let tokens = TokenVerifier::new(&config.tokens).map_err(|reason| ConfigError::Invalid {
            name: "JWT_PUBLIC_KEYS",
            reason,
        })?;
        let telemetry = Telemetry {
            namespace: config.metrics.namespace.clone(),
            service: config.metrics.service.clone(),
            sink: LogSink::Stdout,
        };
        Ok(Self {
            config,
            dynamo,
            clock,
            tokens,
            telemetry,
            counters: CounterMemory::default(),
            signer: None,
            cursors: None,
            address_key: None,
            mail: None,
            media: None,
            front_door: None,
        })
    }

    pub fn with_signer(self, signer: TokenSigner) -> Self {
        Self {
            signer: Some(signer),
            ..self
        }
    }

    /// Request lines go to `sink` instead of standard output.
    pub fn with_log_sink(mut self, sink: LogSink) -> Self {
        self.telemetry.sink = sink;
        self
    }

    pub fn with_cursor_key(self, key: CursorKey) -> Self {
        Self {
            cursors: Some(key),
            ..self
        }
    }

    /// State with the key of the per-address mail cap.
    pub fn with_address_key(self, key: AddressKey) -> Self {
        Self {
            address_key: Some(key),
            ..self
        }
    }

    /// The key of the per-address mail cap; only the mailer's state has one.
    pub fn address_key(&self) -> Result<&AddressKey, ApiError> {
        self.address_key
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("mail cap", "this function holds no address key"))
    }

    /// State that sends mail with `sender`.
    pub fn with_mail(self, sender: MailSender) -> Self {
        Self {
            mail: Some(sender),
            ..self
        }
    }

    /// State that keeps images in `media`.
    pub fn with_media(self, media: Media) -> Self {
        Self {
            media: Some(media),
            ..self
        }
    }

    /// The media bucket; only the functions of images have it.
    pub fn media(&self) -> Result<&Media, ApiError> {
        self.media
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("images", "this function keeps no images"))
    }

    /// The mail sender; only the mailer's state has one.
    pub fn mail(&self) -> Result<&MailSender, ApiError> {
        self.mail
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("send mail", "this function sends no mail"))
    }

    /// How many shards the listing indexes are spread over.
    pub fn shards(&self) -> Shards {
        Shards::configured(&self.config)
    }

    /// The products table.
    pub fn products(&self) -> Products<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Products))
    }

    /// The users table.
    pub fn users(&self) -> Users<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Users))
    }

    /// The sessions table.
    pub fn sessions(&self) -> Sessions<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Sessions))
    }

    /// The limits table.
    pub fn limits(&self) -> Limits<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Limits))
    }

    /// The tokens table.
    pub fn tokens(&self) -> Tokens<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Tokens))
    }

    /// The outbox table.
    pub fn outbox(&self) -> Outbox<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Outbox))
    }

    /// The idempotency table.
    pub fn idempotency(&self) -> Idempotency<'_> {
        Table::new(&self.dynamo, self.config.tables.get(TableName::Idempotency))
    }

    /// The token signer; only login's state has one.
    pub fn signer(&self) -> Result<&TokenSigner, ApiError> {
        self.signer
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("sign token", "this function holds no signing key"))
    }

    /// Behind the front door: only what came through it is answered.
    pub fn with_front_door(self, door: FrontDoor) -> Self {
        Self {
            front_door: Some(door),
            ..self
        }
    }

    /// The front door's check, when the function is deployed behind one.
    pub fn front_door(&self) -> Option<&FrontDoor> {
        self.front_door.as_ref()
    }

    /// The page cursor key; only list-products' state has one.
    pub fn cursors(&self) -> Result<&CursorKey, ApiError> {
        self.cursors
            .as_ref()
            .ok_or_else(|| ApiError::unexpected("page cursor", "this function holds no cursor key"))
    }

    /// Everything a function `needs`, from the environment: configuration, the DynamoDB client
    /// (its connection opened now, while init has full CPU), and the private keys its route
    /// declares. Anything missing or invalid ends the process with a clear message: a function
    /// must not start half-configured.
    pub async fn for_needs(needs: Needs) -> &'static Self {
        let config = Config::from_env().unwrap_or_else(|error| exit_with(&error));
        let dynamo = store::client::from_env();
        // The connections and the keys at once: in AWS each is a round trip of its own. A
        // catalogue page reads every listing shard at once, so it needs a connection per shard.
        let connections = if needs.every_shard {
            Shards::configured(&config).count()
        } else {
            1
        };
        let ((), signing_key, cursor_key, address_key, front_door) = tokio::join!(
            async {
                if needs.storage {
                    store::client::open_connections(&dynamo, connections).await;
                }
            },
            load_if(
                needs.signing_key,
                config.signing_key.as_ref(),
                "JWT_SIGNING_KEY"
            ),
            load_if(needs.cursor_key, config.cursor_key.as_ref(), "CURSOR_KEY"),
            load_if(
                needs.address_key,
                config.address_key.as_ref(),
                "ADDRESS_KEY"
            ),
            async {
                match config.origin_verify.clone() {
                    Some(source) => Some(
                        FrontDoor::load(source)
                            .await
                            .unwrap_or_else(|error| exit_with(&error)),
                    ),
                    None => None,
                }
            },
        );
        let mut state =
            Self::new(config, dynamo, Clock::System).unwrap_or_else(|error| exit_with(&error));
        if let Some(pem) = signing_key {
            let signer = SigningKey::from_pem(&pem)
                .and_then(|key| TokenSigner::new(key, &state.config.tokens))
                .unwrap_or_else(|reason| exit_with(&format!("JWT signing key: {reason}")));
            state = state.with_signer(signer);
        }
        if needs.mail {
            let sender = MailSender::from_env(&state.config.mail);
            state = state.with_mail(sender);
        }
        if needs.media {
            let media = Media::from_env(&state.config.media);
            state = state.with_media(media);
        }
        if let Some(door) = front_door {
            state = state.with_front_door(door);
        }
        if let Some(secret) = cursor_key {
            let key = CursorKey::from_secret(secret.expose_secret().trim().as_bytes())
                .unwrap_or_else(|reason| exit_with(&format!("CURSOR_KEY: {reason}")));
            state = state.with_cursor_key(key);
        }
        if let Some(secret) = address_key {
            let key = AddressKey::from_secret(secret.expose_secret().trim().as_bytes())
                .unwrap_or_else(|reason| exit_with(&format!("ADDRESS_KEY: {reason}")));
            state = state.with_address_key(key);
        }
        Box::leak(Box::new(state))
    }
}

/// What one instance has seen of request counters, by counter key (one client, one window):
/// the count a counter result last showed, and whether it showed the budget spent. Lambda runs
/// one request at a time per instance, so what one request learns, the next one knows.
#[derive(Debug, Default)]
pub struct CounterMemory {
    seen: Mutex<HashMap<String, Seen>>,
}

/// A counter as an instance last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub count: u64,
    pub spent: bool,
    /// When the counter's window ends; the entry means nothing after it.
    pub ends_at: Timestamp,
}

impl CounterMemory {
    /// Counters an instance keeps before it forgets those of ended windows.
    const TIDY_AT: usize = 4096;

    pub fn get(&self, key: &str) -> Option<Seen> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(key).copied()
    }

    /// Keeps `seen` under `key`, never lowering a count already seen in the window (results of
    /// concurrent requests can land in any order).
    pub fn remember(&self, key: &str, seen: Seen, now: Timestamp) {
        let mut memory = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if memory.len() >= Self::TIDY_AT {
            memory.retain(|_, kept| kept.ends_at > now);
            if memory.len() >= Self::TIDY_AT {
                memory.clear();
            }
        }
        let entry = memory.entry(key.to_owned()).or_insert(seen);
        entry.count = entry.count.max(seen.count);
        entry.spent |= seen.spent;
    }
}

/// The secret `name` if `needed`; see [`load`].
async fn load_if(
    needed: bool,
    source: Option<&SecretSource>,
    name: &str,
) -> Option<secrecy::SecretString> {
    if needed {
        Some(load(source, name).await)
    } else {
        None
    }
}

async fn load(source: Option<&SecretSource>, name: &str) -> secrecy::SecretString {
    let Some(source) = source else {
        exit_with(&format!(
            "{name}_SECRET_ID (or {name}_FILE locally) is required by this function"
        ));
    };
    source
        .load()
        .await
        .unwrap_or_else(|error| exit_with(&error))
}

fn exit_with(error: &dyn std::fmt::Display) -> ! {
    tracing::error!(error = %error, "cannot start");
    eprintln!("configuration error: {error}");
    std::process::exit(1);
}
