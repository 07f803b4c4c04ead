#!/usr/bin/env bash
# `make dev`: DynamoDB Local (data kept in .dev/dynamodb) and every function behind
# `cargo lambda watch` at http://127.0.0.1:9000. Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
API_PORT=${API_PORT:-9000}
LOG_DIR="$ROOT/.dev"
mkdir -p "$LOG_DIR"

trap 'stop_started' EXIT
trap 'exit 130' INT TERM

if port_open "$API_PORT"; then
  echo "port $API_PORT is already in use: is another 'make dev' running? (set API_PORT)" >&2
  exit 1
fi

export_local_env "$DYNAMODB_PORT"
log "building the functions"
build_functions
cargo build --locked -q -p api-tests --bin create-tables

log "starting DynamoDB Local on port $DYNAMODB_PORT (data in .dev/dynamodb)"
start_dynamodb "$DYNAMODB_PORT" "$ROOT/.dev/dynamodb"
target/debug/create-tables

write_env_file "$LOG_DIR/functions.env"
log "serving the API at http://127.0.0.1:$API_PORT (Ctrl-C to stop)"
start_group /dev/stdout cargo lambda watch -A 127.0.0.1 -P "$API_PORT" --disable-cors \
  --env-file "$LOG_DIR/functions.env"
WATCH_PID=$LAST_PID
wait_for_port "$API_PORT" 60 "cargo lambda watch"
log "ready: curl -i http://127.0.0.1:$API_PORT/api/health"
wait "$WATCH_PID"
