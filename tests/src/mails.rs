//! The mails the local SES emulator (`aws-ses-v2-local`, which `make dev` and `make test` start)
//! received: what its `GET /store` lists, read as the tests need them.

use std::time::{Duration, Instant};

use serde_json::Value;

/// One mail the emulator received.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The token of the mail's link (`...#token=<token>`), if it carries one.
    pub fn token(&self) -> Option<String> {
        let start = self.text.find("token=")? + "token=".len();
        let token: String = self.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }
}

/// The emulator's address: `AWS_ENDPOINT_URL_SESV2`, as `make test` sets it.
pub fn emulator() -> String {
    std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap_or_else(|_| "http://127.0.0.1:8005".to_owned())
}

/// Every mail the emulator holds that went to `to`, oldest first.
pub fn to(to: &str) -> Vec<Mail> {
    all()
        .into_iter()
        .filter(|mail| mail.to.iter().any(|address| address == to))
        .collect()
}

/// Every mail the emulator holds, oldest first.
pub fn all() -> Vec<Mail> {
    let store: Value = ureq::get(&format!("{}/store", emulator()))
        .call()
        .ok()
        .and_then(|mut response| response.body_mut().read_to_string().ok())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    store["emails"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|mail| Mail {
            from: mail["from"].as_str().unwrap_or_default().to_owned(),
            to: mail["destination"]["to"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect(),
            subject: mail["subject"].as_str().unwrap_or_default().to_owned(),
            text: mail["body"]["text"].as_str().unwrap_or_default().to_owned(),
            html: mail["body"]["html"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Waits (up to `within`) until `to` has received `count` mails, and returns them.
pub fn wait_for(to: &str, count: usize, within: Duration) -> Vec<Mail> {
    let deadline = Instant::now() + within;
    loop {
        let mails = self::to(to);
        if mails.len() >= count || Instant::now() >= deadline {
            return mails;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
