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

/// A target its `Cargo.toml` leaves out of `cargo test` (`test = false`: no test harness to
/// build and link for a binary that holds no test) must hold none: a test written there later
/// would never run. Follows the target's out-of-line modules.
#[test]
fn no_target_left_out_of_cargo_test_holds_a_test() {
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root().join("functions"))
        .expect("functions/")
        .map(|entry| entry.expect("entry").path().join("Cargo.toml"))
        .collect();
    manifests.extend([
        root().join("tools/Cargo.toml"),
        root().join("tools/gen/Cargo.toml"),
    ]);
    let mut left_out = 0;
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest)
            .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
        let dir = manifest.parent().expect("crate dir");
        for target in text.split("\n[").filter(|section| {
            (section.starts_with("lib]") || section.starts_with("[bin]]"))
                && section.lines().any(|line| line.trim() == "test = false")
        }) {
            let path = target
                .lines()
                .find_map(|line| line.trim().strip_prefix("path = "))
                .unwrap_or_else(|| panic!("{}: a target without a path", manifest.display()))
                .trim_matches('"');
            for file in source_files(&dir.join(path)) {
                let source = std::fs::read_to_string(&file).expect("source");
                for marker in ["#[test]", "#[tokio::test", "#[cfg(test)]"] {
                    assert!(
                        !source.contains(marker),
                        "{} holds `{marker}` but {} says `test = false`: its tests would never run",
                        file.display(),
                        manifest.display()
                    );
                }
            }
            left_out += 1;
        }
    }
    assert!(left_out > 0, "no target found with `test = false`");
}

/// A source file and, through its `mod name;` lines, every file of its modules.
fn source_files(file: &std::path::Path) -> Vec<PathBuf> {
    let source =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let dir = file.parent().expect("source dir");
    // lib.rs, main.rs and mod.rs keep their modules beside them; other files in a folder of
    // their own name.
    let modules = if matches!(stem, "lib" | "main" | "mod") {
        dir.to_path_buf()
    } else {
        dir.join(stem)
    };
    let mut files = vec![file.to_path_buf()];
    for line in source.lines() {
        let line = line.trim_start().trim_start_matches("pub ");
        let Some(name) = line
            .strip_prefix("mod ")
            .and_then(|rest| rest.strip_suffix(';'))
        else {
            continue;
        };
        let beside = modules.join(format!("{name}.rs"));
        let module = if beside.exists() {
            beside
        } else {
            modules.join(name).join("mod.rs")
        };
        files.extend(source_files(&module));
    }
    files
}
