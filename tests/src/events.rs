//! The sample API Gateway events of `events/`, loaded and adjusted per test.

use std::path::PathBuf;

use lambda_http::Request;
use serde_json::{json, Value};

/// An HTTP API (payload 2.0) event, editable before it becomes a [`Request`].
#[derive(Debug, Clone)]
pub struct Event(Value);

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

impl Event {
    /// Loads `events/<name>.json`.
    pub fn load(name: &str) -> Self {
        let path = events_dir().join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Self(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}.json: {e}")))
    }

    /// The event as API Gateway would deliver it, converted the way every function does.
    pub fn request(&self) -> Request {
        shared::http::event::into_request(self.0.clone(), lambda_http::Context::default())
            .unwrap_or_else(|rejected| panic!("event does not convert: {:?}", rejected.error))
    }

    /// The event's JSON, for invoking a function with it as the Lambda runtime would.
    pub fn payload(&self) -> &Value {
        &self.0
    }

    /// The event as JSON text, as the Lambda Runtime API delivers it.
    pub fn to_json(&self) -> String {
        self.0.to_string()
    }

    /// The API Gateway route this event was sent to, `$default` for the fallback.
    pub fn route_key(&self) -> &str {
        self.0["routeKey"].as_str().unwrap_or("$default")
    }

    pub fn request_id(&self) -> &str {
        self.0["requestContext"]["requestId"].as_str().unwrap_or("")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.0["headers"][name.to_ascii_lowercase()] = json!(value);
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        if let Some(headers) = self.0["headers"].as_object_mut() {
            headers.remove(&name.to_ascii_lowercase());
        }
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds a cookie the way API Gateway passes them: in the `cookies` list.
    pub fn cookie(mut self, cookie: &str) -> Self {
        match self.0["cookies"].as_array_mut() {
            Some(cookies) => cookies.push(json!(cookie)),
            None => self.0["cookies"] = json!([cookie]),
        }
        self
    }

    /// A JSON body (and its content type).
    pub fn json_body(self, body: &Value) -> Self {
        self.raw_body(&body.to_string())
            .header("content-type", "application/json")
    }

    /// A body exactly as given; the content type is left as the event has it.
    pub fn raw_body(mut self, body: &str) -> Self {
        self.0["body"] = json!(body);
        self.0["isBase64Encoded"] = json!(false);
        self
    }

    /// A body of raw bytes, base64-encoded as API Gateway sends binary bodies.
    pub fn binary_body(mut self, body: &[u8]) -> Self {
        use base64::Engine;
        self.0["body"] = json!(base64::engine::general_purpose::STANDARD.encode(body));
        self.0["isBase64Encoded"] = json!(true);
        self
    }

    /// Sets `isBase64Encoded` without touching the body.
    pub fn base64_flag(mut self, encoded: bool) -> Self {
        self.0["isBase64Encoded"] = json!(encoded);
        self
    }

    pub fn method(mut self, method: &str) -> Self {
        self.0["requestContext"]["http"]["method"] = json!(method);
        self
    }

    /// Sets the path (raw and in the request context).
    pub fn path(mut self, path: &str) -> Self {
        self.0["rawPath"] = json!(path);
        self.0["requestContext"]["http"]["path"] = json!(path);
        self
    }

    /// Points a `/api/products/{id}` event at another product.
    pub fn product_id(self, id: &str) -> Self {
        let mut event = self.path(&format!("/api/products/{id}"));
        event.0["pathParameters"] = json!({ "id": id });
        event
    }

    /// Points a `/api/products/{id}/images` event at product `product`.
    pub fn images_of(self, product: &str) -> Self {
        let mut event = self.path(&format!("/api/products/{product}/images"));
        event.0["pathParameters"] = json!({ "id": product });
        event
    }

    /// Points an image event (`.../images/{imageId}[/complete]`, as the event's route has it) at
    /// image `image` of product `product`.
    pub fn image_of(mut self, product: &str, image: &str) -> Self {
        let complete = self.route_key().ends_with("/complete");
        let path = format!(
            "/api/products/{product}/images/{image}{}",
            if complete { "/complete" } else { "" }
        );
        self = self.path(&path);
        self.0["pathParameters"] = json!({ "id": product, "imageId": image });
        self
    }

    /// Points a `/api/auth/sessions/{id}` event at another session.
    pub fn session_id(self, id: &str) -> Self {
        let mut event = self.path(&format!("/api/auth/sessions/{id}"));
        event.0["pathParameters"] = json!({ "id": id });
        event
    }

    /// Sets the raw query string, e.g. `limit=5&category=books`.
    pub fn query(mut self, query: &str) -> Self {
        self.0["rawQueryString"] = json!(query);
        self
    }

    pub fn source_ip(mut self, ip: &str) -> Self {
        self.0["requestContext"]["http"]["sourceIp"] = json!(ip);
        self
    }

    pub fn request_id_as(mut self, id: &str) -> Self {
        self.0["requestContext"]["requestId"] = json!(id);
        self
    }
}
