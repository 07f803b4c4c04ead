#!/usr/bin/env bash
# `make test`: one in-memory DynamoDB Local for the run; unit, handler and integration tests;
# then the whole API over HTTP through `cargo lambda watch`, checked by the end-to-end tests
# and by schemathesis against openapi.yaml, and the API reference it serves read in Chromium.
# Stops what it started, pass or fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

LOG_DIR="$ROOT/target/test-logs"
mkdir -p "$LOG_DIR"
trap 'status=$?; stop_started; if [ "$status" -ne 0 ]; then echo "logs: $LOG_DIR" >&2; fi; exit "$status"' EXIT
trap 'exit 130' INT TERM

# Every test app leaves its functions' request lines here, checked for secrets at the end.
export TEST_LOG_DIR="$LOG_DIR/request-lines"
rm -rf "$TEST_LOG_DIR"

# Every AWS call of the run passes a recorder on its way to the local endpoint; the role check
# at the end holds each to its function's role in template.yaml.
export CALLS_DIR="$LOG_DIR/aws-calls"
rm -rf "$CALLS_DIR"
cargo build --locked -p tools --bin aws-recorder

DYNAMODB_PORT=$(free_port)
log "starting DynamoDB Local (in memory) on port $DYNAMODB_PORT"
start_dynamodb "$DYNAMODB_PORT"
start_recorder dynamodb "http://127.0.0.1:$DYNAMODB_PORT"
DYNAMODB_PORT=$RECORDER_PORT
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"

# Secrets Manager, for the tests of login's key fetch, and SQS, the workers' failure queues:
# moto's server on loopback.
MOTO_PORT=$(free_port)
log "starting the Secrets Manager and SQS emulator on port $MOTO_PORT"
start_group "$LOG_DIR/moto.log" moto_server -H 127.0.0.1 -p "$MOTO_PORT"
wait_for_port "$MOTO_PORT" 60 "moto_server"
start_recorder secretsmanager "http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_SECRETSMANAGER="http://127.0.0.1:$RECORDER_PORT"
# The same server is the workers' failure queues (SQS), and the media bucket (S3).
start_recorder sqs "http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$RECORDER_PORT"
start_recorder s3 "http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$RECORDER_PORT"

# Mail: the SES v2 emulator, which the tests read mails back from.
MAIL_PORT=$(free_port)
log "starting the SES emulator on port $MAIL_PORT"
start_mail "$MAIL_PORT"
start_recorder ses "$AWS_ENDPOINT_URL_SESV2"
export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$RECORDER_PORT"

log "unit, handler and integration tests"
cargo test --workspace --locked

log "login's signing key from Secrets Manager, through the real login binary"
cargo test --locked -p api-tests --test secrets_manager -- --ignored

log "the front door, on and off, through every HTTP function binary"
cargo test --locked -p api-tests --test front_door -- --ignored

# The DynamoDB-backed tests again with the test clock far from today: a test that leans on the
# calendar date, or on DynamoDB Local's wall-clock TTL sweeper, fails here on any day.
for start in 2001-01-01T00:00:00.000Z 2101-01-01T00:00:00.000Z; do
  log "handler and integration tests with the test clock at $start"
  TEST_CLOCK_START="$start" cargo test --locked -p api-tests
done

log "end-to-end over HTTP through cargo lambda watch"
(
  # What this block starts, it stops; DynamoDB and the emulators stay for the log check.
  STARTED_GROUPS=()
  # The served functions get their own tables and keys of this run only.
  export KEY_DIR="$ROOT/target/e2e-keys"
  rm -rf "$KEY_DIR"
  export ALLOWED_ORIGINS="https://app.example"
  build_functions
  while IFS='=' read -r table name; do export "$table=$name"; done < <(target/debug/tables e2e-)
  # The suites and schemathesis send thousands of requests from one address: a budget they
  # cannot reach by accident. The limit itself is tested with small budgets.
  export RATE_LIMIT_REQUESTS="${E2E_RATE_LIMIT_REQUESTS:-10000000}"
  build_docs
  export_local_env "$DYNAMODB_PORT"
  export MEDIA_BUCKET=e2e-media
  target/debug/create-tables
  API_PORT=$(free_port)
  export IMAGES_BASE_URL="http://127.0.0.1:$API_PORT/media"
  write_env_file "$LOG_DIR/functions.env"
  # No reloads mid-run: the tests and schemathesis write files watch would take for code changes.
  serve_api "$API_PORT" "$LOG_DIR/functions.env" "$LOG_DIR/watch.log" --ignore-changes
  start_poller
  trap 'stop_started' EXIT
  export E2E_BASE_URL="http://127.0.0.1:$API_PORT"
  cargo test --locked -p api-tests --test e2e -- --ignored
  log "the workers as their mappings run them, through the stream poller"
  cargo test --locked -p api-tests --test served_workers -- --ignored
  log "every route of the manifest served by its own function"
  cargo test --locked -p api-tests --test routes -- --ignored
  log "the API reference at /docs, read in headless Chromium"
  cargo test --locked -p api-tests --test docs_page -- --ignored
  log "tokens verified against the JWKS by an independent JOSE library (PyJWT)"
  python3 tests/python/verify_token.py "$E2E_BASE_URL"
  if [ -f openapi.yaml ]; then
    log "schemathesis: responses against openapi.yaml"
    scripts/schemathesis.sh "$E2E_BASE_URL"
  fi
)

log "no logged line holds a token, password, hash or key; every request line is valid EMF"
FUNCTION_LOGS="$LOG_DIR/watch.log" cargo test --locked -p api-tests --test log_hygiene -- --ignored

log "the role check: every AWS call of the run against its function's role in template.yaml"
check_roles
