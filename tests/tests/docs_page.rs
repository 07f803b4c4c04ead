//! The API reference as a reader sees it: the page `make docs` renders from openapi.yaml, served
//! at `/docs` by the local stack, loaded in headless Chromium (tests/browser/docs-page.cjs). Every
//! route of the manifest is listed there, once, with its method; the page runs without a
//! script error and fetches nothing from anywhere but where it was served from.

use std::collections::BTreeSet;
use std::process::Command;

use serde::Deserialize;
use shared::deploy::ROUTES;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    status: u16,
    content_type: String,
    title: String,
    operations: Vec<Operation>,
    offsite: Vec<Offsite>,
    errors: Vec<String>,
    broken_images: Vec<String>,
    attribution: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Operation {
    method: String,
    path: String,
    visible: bool,
}

#[derive(Debug, Deserialize)]
struct Offsite {
    url: String,
    outcome: String,
}

/// The page at `url` as Chromium shows it, once it lists `operations` operations (or has stopped
/// drawing: see the script).
fn load(url: &str, operations: usize) -> Page {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/browser/docs-page.cjs");
    let output = Command::new("node")
        .arg(script)
        .arg(url)
        .arg(operations.to_string())
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "the page loads in Chromium: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script's JSON")
}

#[test]
#[ignore = "needs the served stack and Chromium: run through make test"]
fn the_api_reference_lists_every_route_and_fetches_nothing_offsite() {
    let base = std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL: run through make test");
    let page = load(&format!("{base}/docs"), ROUTES.len());

    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"), "{page:?}");
    assert_eq!(page.title, "Products API reference");
    assert!(page.errors.is_empty(), "script errors: {:?}", page.errors);

    let listed: Vec<String> = page
        .operations
        .iter()
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "listed once each: {listed:?}");
    let routed: BTreeSet<String> = ROUTES.iter().map(|route| route.key.to_owned()).collect();
    assert_eq!(unique, routed);
    let hidden: Vec<&Operation> = page.operations.iter().filter(|op| !op.visible).collect();
    assert!(hidden.is_empty(), "listed but not shown: {hidden:?}");

    // Nothing is asked of anywhere else, not even to be blocked by the page's policy: the
    // renderer's vendor logo is replaced by an inline image and its attribution hidden.
    let reached_out: Vec<String> = page
        .offsite
        .iter()
        .map(|request| format!("{} ({})", request.url, request.outcome))
        .collect();
    assert!(
        page.broken_images.is_empty(),
        "broken images: {:?}",
        page.broken_images
    );
    assert!(
        page.attribution.is_empty(),
        "an attribution shows: {:?}",
        page.attribution
    );
    assert!(
        reached_out.is_empty(),
        "requests beyond the page's origin: {reached_out:?}"
    );
}

#[test]
#[ignore = "needs the served stack: run through make test"]
fn the_api_reference_takes_get_and_head_only() {
    let base = std::env::var("E2E_BASE_URL").expect("E2E_BASE_URL: run through make test");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let head = agent.head(format!("{base}/docs")).call().expect("HEAD");
    assert_eq!(head.status(), 200);
    let post = agent
        .post(format!("{base}/docs"))
        .send_empty()
        .expect("POST");
    assert_eq!(post.status(), 405);
    assert_eq!(
        post.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("GET, HEAD")
    );
}
