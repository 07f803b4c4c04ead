#!/usr/bin/env bash
# `make dev`: DynamoDB Local (data kept in .dev/dynamodb) and every function behind
# `cargo lambda watch` at http://127.0.0.1:9000, the API reference at /docs, and the mail inbox
# (an SES v2 emulator) at http://127.0.0.1:8005, the workers' failure queues (an SQS emulator) at
# http://127.0.0.1:8006, which is also the S3 emulator holding product images (served at
# http://127.0.0.1:9000/media/). Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
API_PORT=${API_PORT:-9000}
MAIL_PORT=${MAIL_PORT:-8005}
QUEUE_PORT=${QUEUE_PORT:-8006}
LOG_DIR="$ROOT/.dev"
mkdir -p "$LOG_DIR"

trap 'stop_started' EXIT
trap 'exit 130' INT TERM

if port_open "$API_PORT"; then
  echo "port $API_PORT is already in use: is another 'make dev' running? (set API_PORT)" >&2
  exit 1
fi

log "building the functions and the API reference"
build_functions
build_docs
log "starting the workers' failure queues and the media bucket (an SQS and S3 emulator) on port $QUEUE_PORT"
start_queues "$QUEUE_PORT"
export_local_env "$DYNAMODB_PORT"
export IMAGES_BASE_URL="${IMAGES_BASE_URL:-http://127.0.0.1:$API_PORT/media}"

log "starting DynamoDB Local on port $DYNAMODB_PORT (data in .dev/dynamodb)"
start_dynamodb "$DYNAMODB_PORT" "$ROOT/.dev/dynamodb"
target/debug/create-tables
# Products kept in .dev from before the listing indexes (or under another shard count) are
# brought to the current layout; with nothing to do, this reads the table once.
target/debug/migrate-products

log "starting the mail inbox (an SES v2 emulator) on port $MAIL_PORT"
start_mail "$MAIL_PORT"

write_env_file "$LOG_DIR/functions.env"
log "serving the API at http://127.0.0.1:$API_PORT (Ctrl-C to stop)"
# Function logs go to the terminal; watch reloads a function when its code changes.
serve_api "$API_PORT" "$LOG_DIR/functions.env" /dev/stdout
# The outbox's jobs (mails, purges of deleted accounts) go to the workers as the stream's
# mappings would send them deployed.
start_poller
log "ready: curl -i http://127.0.0.1:$API_PORT/api/health; the API reference is at http://127.0.0.1:$API_PORT/docs"
log "mail the API sends is in the inbox at http://127.0.0.1:$MAIL_PORT (as JSON at /store)"
log "product images go to the bucket $MEDIA_BUCKET at $AWS_ENDPOINT_URL_S3 and are served at $IMAGES_BASE_URL"
log "jobs that can never be done wait in the failure queues at $MAILER_FAILURE_QUEUE_URL, $PURGER_FAILURE_QUEUE_URL and $IMAGER_FAILURE_QUEUE_URL"
wait "$WATCH_PID"
