//! The route table (`shared::http::routes`) is the one source of truth of which function
//! answers which method on which path; every other place that names a route is checked against
//! it here, so a route added in one place and forgotten in another fails a test by name (the
//! README's "Adding a route" lists the places).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use shared::http::routes::{FALLBACK, ROUTES};

/// The methods `cargo lambda watch` must route on every API path: any method it is not told
/// about gets its own plain 404, not the API's problem answer.
const METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `[workspace.metadata.lambda.watch.router]` of Cargo.toml, as cargo reads it.
fn watch_router() -> serde_json::Map<String, Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    metadata["metadata"]["lambda"]["watch"]["router"]
        .as_object()
        .cloned()
        .expect("Cargo.toml has [workspace.metadata.lambda.watch.router]")
}

fn function_of<'a>(method: &str, path: &str) -> &'a str {
    ROUTES
        .iter()
        .find(|route| route.method == method && route.path == path)
        .map_or(FALLBACK.function, |route| route.function)
}

#[test]
fn the_watch_router_sends_every_method_of_every_api_path_where_the_table_says() {
    let router = watch_router();
    let table_paths: BTreeSet<&str> = ROUTES.iter().map(|route| route.path).collect();
    let router_paths: BTreeSet<&str> = router.keys().map(String::as_str).collect();
    let mut expected_paths = table_paths.clone();
    // The catch-alls: every other path goes to the fallback, like API Gateway's $default.
    expected_paths.extend(["/", "/{*rest}"]);
    assert_eq!(router_paths, expected_paths, "paths of the watch router");

    for path in table_paths {
        let entries = router[path].as_array().expect("a list of methods");
        let routed: BTreeMap<&str, &str> = entries
            .iter()
            .map(|entry| {
                (
                    entry["method"].as_str().expect("method"),
                    entry["function"].as_str().expect("function"),
                )
            })
            .collect();
        let expected: BTreeMap<&str, &str> = METHODS
            .iter()
            .map(|method| (*method, function_of(method, path)))
            .collect();
        assert_eq!(
            routed, expected,
            "{path}: every method, each to its function"
        );
    }
    for catch_all in ["/", "/{*rest}"] {
        assert_eq!(router[catch_all], FALLBACK.function, "{catch_all}");
    }
}

#[test]
fn every_function_crate_serves_a_route_and_every_route_has_its_crate() {
    let crates: BTreeSet<String> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut expected: BTreeSet<String> = ROUTES.iter().map(|r| r.function.to_owned()).collect();
    expected.insert(FALLBACK.function.to_owned());
    assert_eq!(crates, expected, "functions/ against the route table");
}

#[test]
fn every_function_has_its_sample_event_for_its_route() {
    for route in ROUTES.iter().chain([&FALLBACK]) {
        let path = root()
            .join("events")
            .join(format!("{}.json", route.function));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} has no event: {}", route.function, path.display()));
        let event: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(event["routeKey"], route.key, "{}", path.display());
        assert_eq!(
            event["requestContext"]["routeKey"],
            route.key,
            "{}",
            path.display()
        );
        if route.path.starts_with('/') {
            assert_eq!(
                event["requestContext"]["http"]["method"],
                route.method,
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn every_template_function_is_a_route_with_its_event() {
    let template: serde_yaml::Value =
        serde_yaml::from_str(include_str!("../../template.yaml")).expect("template");
    let mut deployed = BTreeMap::new();
    for (name, resource) in template["Resources"].as_mapping().expect("resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name:?} has no Binary"));
        let event = &resource["Properties"]["Events"]["Api"]["Properties"];
        let key = match (event["Method"].as_str(), event["Path"].as_str()) {
            (Some(method), Some(path)) => format!("{method} {path}"),
            // No method and path: the HTTP API's $default route.
            (None, None) => FALLBACK.path.to_owned(),
            other => panic!("{name:?}: method and path go together, got {other:?}"),
        };
        assert!(
            deployed.insert(binary.to_owned(), key).is_none(),
            "{binary} deployed twice"
        );
    }
    let mut expected: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|route| (route.function.to_owned(), route.key.to_owned()))
        .collect();
    expected.insert(FALLBACK.function.to_owned(), FALLBACK.key.to_owned());
    assert_eq!(
        deployed, expected,
        "template.yaml's functions against the route table"
    );
}
