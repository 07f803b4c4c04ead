//! `make gen`: writes what is derived from the deployment manifest. `gen --check` writes nothing and
//! lists the files that are not what the table gives (exit status 1 if any).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let check = std::env::args().nth(1).as_deref() == Some("--check");
    let stale = match gen::stale(&root) {
        Ok(stale) => stale,
        Err(error) => {
            eprintln!("make gen: {error}");
            return ExitCode::FAILURE;
        }
    };
    for file in &stale {
        if check {
            println!("stale: {}", file.path.display());
            continue;
        }
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            if let Err(error) = std::fs::create_dir_all(dir) {
                eprintln!("make gen: cannot create {}: {error}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(error) = std::fs::write(&path, &file.contents) {
            eprintln!("make gen: cannot write {}: {error}", file.path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", file.path.display());
    }
    if stale.is_empty() {
        println!("every generated file is what the manifest gives");
    }
    if check && !stale.is_empty() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
