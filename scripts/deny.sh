#!/usr/bin/env bash
# `cargo deny check` (part of `make lint`): RustSec advisories, licences against deny.toml's
# allowlist, banned and duplicate crates, and sources. The advisory database is fetched when the
# machine is online; offline, ADVISORY_DB_BUNDLE (a git bundle of the database) is used when
# given; otherwise advisories are skipped, and this says so.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# The directory name cargo-deny derives from the default RustSec URL, under deny.toml's db-path.
DB_DIR="$ROOT/target/advisory-dbs/advisory-db-3157b0e258782691"

# Every crate of the lock file, for all targets: cargo-deny reads their manifests offline.
cargo fetch --locked --quiet

if [ -n "${ADVISORY_DB_BUNDLE:-}" ]; then
  log "cargo deny: advisories from $ADVISORY_DB_BUNDLE"
  rm -rf "$DB_DIR"
  mkdir -p "$(dirname "$DB_DIR")"
  git -c init.defaultBranch=main clone --quiet "$ADVISORY_DB_BUNDLE" "$DB_DIR"
  cargo-deny --offline check
elif timeout 120 cargo-deny fetch db >/dev/null 2>&1; then
  log "cargo deny: advisories from the RustSec database, fetched now"
  cargo-deny --offline check
else
  log "cargo deny: ADVISORIES SKIPPED — the RustSec database could not be fetched (offline?) and no ADVISORY_DB_BUNDLE was given"
  cargo-deny --offline check bans licenses sources
fi
