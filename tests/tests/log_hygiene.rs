//! Over everything a `make test` run logged — the request lines of every test app
//! (`TEST_LOG_DIR`) and the served functions' output (`FUNCTION_LOGS`) — no line holds a token,
//! a password, a password hash, a key or a one-time token from a mail, and every request line is
//! valid EMF.

use std::path::Path;

use api_tests::app::TEST_CURSOR_KEY;
use api_tests::emf::check_request_line;
use api_tests::mails::{self, Mail};

/// The passwords the suites send, right and wrong.
const PASSWORDS: &[&str] = &[
    "correct horse battery",
    "wrong password",
    "not the password",
    "not my password",
    "a brand new horse",
    "new horse battery",
    "long enough now",
    "guess guess",
    "first new password",
    "second new password",
    "yet another password",
    "éééééééé",
];

/// What would give a secret away: a JWT (every one starts with a base64url `{"`), an argon2 PHC
/// hash, a PEM key.
const TELLTALES: &[&str] = &["eyJ", "$argon2", "PRIVATE KEY", "Bearer "];

fn lines_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
#[ignore = "reads what a make test run logged: run through make test"]
fn no_logged_line_holds_a_secret() {
    let dir = std::env::var("TEST_LOG_DIR").expect("TEST_LOG_DIR: run through make test");
    let mut request_lines = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the test apps' logs") {
        request_lines.extend(lines_in(&entry.expect("entry").path()));
    }
    // The served functions' lines: the JSON objects among watch's own output.
    let mut function_lines = Vec::new();
    if let Ok(files) = std::env::var("FUNCTION_LOGS") {
        for file in files.split(':').filter(|f| !f.is_empty()) {
            function_lines.extend(
                lines_in(Path::new(file))
                    .into_iter()
                    .filter_map(|line| line.find('{').map(|at| line[at..].to_owned()))
                    .filter(|line| serde_json::from_str::<serde_json::Value>(line).is_ok()),
            );
        }
    }
    assert!(
        request_lines.len() > 1_000,
        "the whole suite, not a handful: {}",
        request_lines.len()
    );
    assert!(!function_lines.is_empty(), "the served functions' lines");

    let cursor_key = String::from_utf8_lossy(TEST_CURSOR_KEY).into_owned();
    // Every reset and verification token the suites were sent.
    let mail_tokens: Vec<String> = mails::all().iter().filter_map(Mail::token).collect();
    assert!(!mail_tokens.is_empty(), "the mails the suites were sent");
    let mut leaks = Vec::new();
    for line in request_lines.iter().chain(&function_lines) {
        let found = TELLTALES
            .iter()
            .chain(PASSWORDS)
            .copied()
            .chain(std::iter::once(cursor_key.as_str()))
            .chain(mail_tokens.iter().map(String::as_str))
            .find(|secret| line.contains(secret));
        if let Some(secret) = found {
            leaks.push(format!("{secret:?} in {line}"));
        }
    }
    assert!(
        leaks.is_empty(),
        "{} lines hold secrets, e.g. {:?}",
        leaks.len(),
        leaks.first()
    );

    // The namespace is checked where a test sets it (metrics.rs); here, the shape.
    for line in request_lines.iter().chain(&function_lines) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        if let Some(namespace) = value["_aws"]["CloudWatchMetrics"][0]["Namespace"].as_str() {
            check_request_line(line, namespace);
        }
    }
}
