//! The files derived from the deployment manifest are what it gives: a stale one fails here by
//! name, with the command that writes it. Also what `make gen` keeps rather than writes: the
//! sample events (one per function, of its route) and the function crates (one per function).

use std::collections::BTreeSet;
use std::path::PathBuf;

use shared::deploy::{functions, http_functions, Function};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_generated_file_is_what_the_manifest_gives() {
    let stale = gen::stale(&root()).unwrap_or_else(|error| panic!("{error}"));
    let names: Vec<String> = stale
        .iter()
        .map(|file| file.path.display().to_string())
        .collect();
    assert!(
        names.is_empty(),
        "not what the manifest gives (run `make gen`): {}",
        names.join(", ")
    );
}

#[test]
fn every_sample_event_is_of_its_functions_route() {
    for route in http_functions() {
        let path = root().join(gen::events::path_of(route));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // Missing: the test above names it.
        };
        let event: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        for pointer in ["/routeKey", "/requestContext/routeKey"] {
            assert_eq!(
                event.pointer(pointer).and_then(|v| v.as_str()),
                Some(route.key),
                "{}: {pointer}",
                path.display()
            );
        }
        if !route.is_fallback() {
            assert_eq!(
                event
                    .pointer("/requestContext/http/method")
                    .and_then(|v| v.as_str()),
                Some(route.method),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn every_function_crate_serves_a_route_or_is_a_worker() {
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
    let functions: BTreeSet<String> = functions().map(Function::name).map(str::to_owned).collect();
    assert_eq!(crates, functions, "functions/ against the manifest");
}
