//! The media bucket in the S3 emulator `make test` runs (moto, at `AWS_ENDPOINT_URL_S3`): made
//! for a test app, listed by tests, and uploaded to with the forms the API signs, as a client
//! would (multipart/form-data, the form's fields, then the file).

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

/// The S3 emulator of the run.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_S3").unwrap_or_else(|_| "http://127.0.0.1:5000".to_owned())
}

/// A client of the emulator (the tests' own calls, named by no function).
pub fn client() -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Makes `bucket`, unless it is there.
pub async fn create_bucket(bucket: &str) -> Result<(), String> {
    let client = client();
    if client.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| format!("create bucket {bucket} at {}: {e:?}", endpoint()))
}

/// Every key in `bucket` that starts with `prefix`.
pub async fn keys_under(bucket: &str, prefix: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = client()
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
            .expect("list the bucket");
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        token = page.next_continuation_token().map(str::to_owned);
        if token.is_none() {
            return keys;
        }
    }
}

/// The object at `key`: its bytes and its Content-Type.
pub async fn object(bucket: &str, key: &str) -> (Vec<u8>, Option<String>) {
    let object = client()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("read {key}: {e:?}"));
    let content_type = object.content_type().map(str::to_owned);
    let bytes = object.body.collect().await.expect("object body").to_vec();
    (bytes, content_type)
}

/// Sends `file` with the upload form `upload` (`{"url", "fields"}`), as a browser would; the
/// status the bucket answered. The upload is authorised by the form's signature, so it is
/// recorded as a call of `signer`, the function that signed it.
pub fn upload(upload: &serde_json::Value, file: &[u8], signer: &str) -> u16 {
    const BOUNDARY: &str = "----products-api-test-boundary";
    let mut body = Vec::new();
    let fields = upload["fields"].as_object().expect("form fields");
    for (name, value) in fields {
        let value = value.as_str().expect("a field is text");
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let content_type = fields["Content-Type"].as_str().expect("Content-Type field");
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let url = upload["url"].as_str().expect("form url");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let response = agent
        .post(url)
        .header(
            "content-type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header("user-agent", &format!("test app/{signer}"))
        .send(&body[..])
        .unwrap_or_else(|e| panic!("upload to {url}: {e}"));
    response.status().as_u16()
}
