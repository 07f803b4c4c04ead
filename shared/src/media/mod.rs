//! Product images' files in S3 (`MEDIA_BUCKET`): the form a client uploads with, and what the
//! routes and the image worker read, write and delete there. `AWS_ENDPOINT_URL_S3` points the
//! client elsewhere: at the S3 emulator `make dev` runs.

pub mod keys;
pub mod presign;

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Intercept, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};

use crate::aws::{timeouts, AwsEnvironment};
use crate::clock::Timestamp;
use crate::config::MediaConfig;
use crate::error::ApiError;
use crate::store::storage_error;
use presign::{presigned_post, Signer, Upload, UploadForm};

/// How long an upload form is good for.
pub const UPLOAD_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// What every served file is sent with: it never changes (a new image gets a new key).
pub const SERVED_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The media bucket, and who signs its upload forms.
#[derive(Debug, Clone)]
pub struct Media {
    client: aws_sdk_s3::Client,
    config: MediaConfig,
    endpoint: Option<String>,
    region: String,
    credentials: aws_sdk_s3::config::Credentials,
}

impl Media {
    /// The bucket of `config`, through the endpoint and as the credentials the environment
    /// gives.
    pub fn from_env(config: &MediaConfig) -> Self {
        let env = AwsEnvironment::read("AWS_ENDPOINT_URL_S3");
        let mut builder = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(env.region.clone()))
            .credentials_provider(env.credentials.clone())
            .timeout_config(timeouts())
            // Checksums only where S3 requires them: the objects are checked by what they are.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(endpoint) = &env.endpoint {
            // An emulator on loopback serves buckets as paths, not as host names.
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        if let Some(name) = env.app_name {
            builder = builder.app_name(name);
        }
        Self {
            client: aws_sdk_s3::Client::from_conf(builder.build()),
            config: config.clone(),
            endpoint: env.endpoint,
            region: env.region,
            credentials: env.credentials,
        }
    }

    /// The same bucket, its calls passing through `interceptor` too.
    pub fn with_interceptor(self, interceptor: impl Intercept + 'static) -> Self {
        let config = self.client.config().to_builder().interceptor(interceptor);
        Self {
            client: aws_sdk_s3::Client::from_conf(config.build()),
            ..self
        }
    }

    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    /// The public URL of served file `key`.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{key}", self.config.images_base_url)
    }

    /// A form that uploads exactly `size` bytes of `content_type` to `key`, good for
    /// [`UPLOAD_LIFETIME`] from `now`.
    pub fn upload_form(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        now: Timestamp,
    ) -> UploadForm {
        let url = match &self.endpoint {
            Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), self.config.bucket),
            None => format!(
                "https://{}.s3.{}.amazonaws.com",
                self.config.bucket, self.region
            ),
        };
        let signer = Signer {
            access_key_id: self.credentials.access_key_id(),
            secret_access_key: self.credentials.secret_access_key(),
            session_token: self.credentials.session_token(),
            region: &self.region,
        };
        let upload = Upload {
            url,
            bucket: &self.config.bucket,
            key,
            content_type,
            size,
            expires_at: now.plus(UPLOAD_LIFETIME),
        };
        presigned_post(&signer, &upload, now)
    }

    /// The size of object `key`, or `None` if there is none.
    pub async fn size_of(&self, key: &str) -> Result<Option<u64>, ApiError> {
        let result = self
            .client
            .head_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await;
        match result {
            Ok(head) => Ok(Some(head.content_length.unwrap_or(0).max(0) as u64)),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(error) => Err(storage_error("read upload", error)),
        }
    }

    /// Up to the first `length` bytes of object `key`.
    pub async fn read_start(&self, key: &str, length: u64) -> Result<Vec<u8>, ApiError> {
        self.read_range(key, Some(format!("bytes=0-{}", length.saturating_sub(1))))
            .await
    }

    /// The whole of object `key`.
    pub async fn read(&self, key: &str) -> Result<Vec<u8>, ApiError> {
        self.read_range(key, None).await
    }

    async fn read_range(&self, key: &str, range: Option<String>) -> Result<Vec<u8>, ApiError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(key)
            .set_range(range)
            .send()
            .await
            .map_err(|e| storage_error("read upload", e))?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| ApiError::Unavailable {
                context: "read upload",
                retry_after: crate::store::RETRY_AFTER_SECONDS,
                source: Box::new(e),
            })?;
        Ok(bytes.to_vec())
    }

    /// Writes a served file: `bytes` of `content_type` at `key`, cached for good.
    pub async fn put_served(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), ApiError> {
        self.client
            .put_object()
            .bucket(&self.config.bucket)
            .key(key)
            .content_type(content_type)
            .cache_control(SERVED_CACHE_CONTROL)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| storage_error("write image", e))?;
        Ok(())
    }

    /// Deletes the objects `keys` (those already gone are no matter).
    pub async fn delete(&self, keys: &[String]) -> Result<(), ApiError> {
        // DeleteObjects takes up to 1,000 keys a call.
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|key| ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::unexpected("delete images", e))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| ApiError::unexpected("delete images", e))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.config.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| storage_error("delete images", e))?;
            if let Some(error) = output.errors().first() {
                return Err(ApiError::Unavailable {
                    context: "delete images",
                    retry_after: crate::store::RETRY_AFTER_SECONDS,
                    source: format!(
                        "{} of {} objects not deleted (first: {})",
                        output.errors().len(),
                        chunk.len(),
                        error.code().unwrap_or("an S3 error")
                    )
                    .into(),
                });
            }
        }
        Ok(())
    }

    /// Deletes every object whose key starts with `prefix`; how many there were.
    pub async fn delete_under(&self, prefix: &str) -> Result<usize, ApiError> {
        let mut deleted = 0;
        let mut token = None;
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.config.bucket)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| storage_error("list images", e))?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect();
            self.delete(&keys).await?;
            deleted += keys.len();
            token = page.next_continuation_token().map(str::to_owned);
            if token.is_none() {
                return Ok(deleted);
            }
        }
    }
}
