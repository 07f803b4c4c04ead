//! What `make gen` writes from the deployment manifest (`shared::deploy`), each file as the manifest
//! gives it. A generated part of a hand-written file sits between two marker lines; a wholly
//! generated file says so in its first line. `tests/generated.rs` fails, naming the file, when
//! one is not what the table gives.

pub mod dispatch;
pub mod events;
pub mod router;
pub mod template;

use std::path::{Path, PathBuf};

/// The line a generated part of a file starts after, as the file's own comment syntax writes it
/// (`#` for TOML and YAML).
pub fn begin_marker(what: &str) -> String {
    format!("# BEGIN make gen: {what}. Written from the deployment manifest (shared/src/deploy/functions.rs): edit it, then run `make gen`.")
}

/// The line a generated part of a file ends before.
pub fn end_marker(what: &str) -> String {
    format!("# END make gen: {what}.")
}

/// One file as the manifest gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// From the repository's root.
    pub path: PathBuf,
    pub contents: String,
}

/// Why a file could not be generated.
#[derive(Debug)]
pub struct GenError(pub String);

impl std::fmt::Display for GenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `text` with the lines between the markers of `what` (indented by `indent`) replaced by
/// `part`.
pub fn replace_part(
    text: &str,
    file: &str,
    what: &str,
    indent: &str,
    part: &str,
) -> Result<String, GenError> {
    let begin = format!("{indent}{}\n", begin_marker(what));
    let end = format!("{indent}{}\n", end_marker(what));
    let missing = || GenError(format!("{file} has no `{}` marker line", begin.trim()));
    let start = text.find(&begin).ok_or_else(missing)? + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| GenError(format!("{file} has no `{}` marker line", end.trim())))?
        + start;
    Ok(format!("{}{part}{}", &text[..start], &text[stop..]))
}

/// Every generated file, given the repository at `root` (for the hand-written rest of the files
/// a part of which is generated, and for the sample events that exist already).
pub fn generate(root: &Path) -> Result<Vec<Generated>, GenError> {
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path))
            .map_err(|e| GenError(format!("cannot read {path}: {e}")))
    };
    let mut files = vec![
        Generated {
            path: "Cargo.toml".into(),
            contents: router::cargo_toml(&read("Cargo.toml")?)?,
        },
        Generated {
            path: "template.yaml".into(),
            contents: template::template(&read("template.yaml")?)?,
        },
        Generated {
            path: "tests/Cargo.toml".into(),
            contents: dispatch::tests_cargo_toml(&read("tests/Cargo.toml")?)?,
        },
        Generated {
            path: dispatch::DISPATCH_FILE.into(),
            contents: dispatch::dispatch_rs(),
        },
    ];
    files.extend(events::missing(root));
    Ok(files)
}

/// The generated files that differ from what is on disk at `root`.
pub fn stale(root: &Path) -> Result<Vec<Generated>, GenError> {
    Ok(generate(root)?
        .into_iter()
        .filter(|file| {
            std::fs::read_to_string(root.join(&file.path))
                .ok()
                .as_deref()
                != Some(file.contents.as_str())
        })
        .collect())
}

/// The logical id of a function's resource in the template: `list-products` is
/// `ListProductsFunction`.
pub fn logical_id(function: &str) -> String {
    let mut id: String = function
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    id.push_str("Function");
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_ids_are_the_function_in_pascal_case() {
        assert_eq!(logical_id("list-products"), "ListProductsFunction");
        assert_eq!(logical_id("jwks"), "JwksFunction");
    }

    #[test]
    fn a_part_is_replaced_between_its_markers_and_nothing_else() {
        let text = format!(
            "a\n  {}\nold\n  {}\nb\n",
            begin_marker("x"),
            end_marker("x")
        );
        let replaced = replace_part(&text, "f", "x", "  ", "new\n").expect("markers");
        assert_eq!(
            replaced,
            format!(
                "a\n  {}\nnew\n  {}\nb\n",
                begin_marker("x"),
                end_marker("x")
            )
        );
        assert!(replace_part("a\n", "f", "x", "", "new\n").is_err());
    }
}
