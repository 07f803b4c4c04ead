#!/usr/bin/env bash
# `make test`: one in-memory DynamoDB Local for the run; unit, handler and integration tests;
# then the whole API over HTTP through `cargo lambda watch`, checked by the end-to-end tests
# and by schemathesis against openapi.yaml. Stops what it started, pass or fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

LOG_DIR="$ROOT/target/test-logs"
mkdir -p "$LOG_DIR"
trap 'status=$?; stop_started; if [ "$status" -ne 0 ]; then echo "logs: $LOG_DIR" >&2; fi; exit "$status"' EXIT
trap 'exit 130' INT TERM

DYNAMODB_PORT=$(free_port)
log "starting DynamoDB Local (in memory) on port $DYNAMODB_PORT"
start_dynamodb "$DYNAMODB_PORT"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"

log "unit, handler and integration tests"
cargo test --workspace --locked

# The DynamoDB-backed tests again with the test clock far from today: a test that leans on the
# calendar date, or on DynamoDB Local's wall-clock TTL sweeper, fails here on any day.
for start in 2001-01-01T00:00:00.000Z 2101-01-01T00:00:00.000Z; do
  log "handler and integration tests with the test clock at $start"
  TEST_CLOCK_START="$start" cargo test --locked -p api-tests
done

log "end-to-end over HTTP through cargo lambda watch"
(
  # The served functions get their own tables and a secret of this run only.
  export JWT_SECRET="e2e-$(head -c 32 /dev/urandom | base64 | tr -d '\n/+=')"
  export ALLOWED_ORIGINS="https://app.example"
  export PRODUCTS_TABLE=e2e-products USERS_TABLE=e2e-users LIMITS_TABLE=e2e-auth-limits
  export_local_env "$DYNAMODB_PORT"
  build_functions
  target/debug/create-tables
  API_PORT=$(free_port)
  write_env_file "$LOG_DIR/functions.env"
  # No reloads mid-run: the tests and schemathesis write files watch would take for code changes.
  serve_api "$API_PORT" "$LOG_DIR/functions.env" "$LOG_DIR/watch.log" --ignore-changes
  trap 'stop_started' EXIT
  export E2E_BASE_URL="http://127.0.0.1:$API_PORT"
  cargo test --locked -p api-tests --test e2e -- --ignored
  if [ -f openapi.yaml ]; then
    log "schemathesis: responses against openapi.yaml"
    scripts/schemathesis.sh "$E2E_BASE_URL"
  fi
)
