#!/usr/bin/env bash
# `make docs`: the API reference, rendered from openapi.yaml into one self-contained HTML file
# (target/docs/index.html); `make dev` serves it at http://127.0.0.1:9000/docs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

build_docs
log "API reference: $DOCS_FILE"
