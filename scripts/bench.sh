#!/usr/bin/env bash
# `make bench`: release binaries under a Lambda Runtime API host, against an in-memory
# DynamoDB Local and moto's S3; writes docs/benchmarks.md.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

LOG_DIR="$ROOT/target/bench-logs"
mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log
trap 'stop_started' EXIT
trap 'exit 130' INT TERM

log "building release binaries"
cargo build --locked --release --workspace --bins

# DynamoDB Local on the last core, the functions and the Runtime API host on the others: a
# function gets a core to itself, as on Lambda, where DynamoDB runs elsewhere.
pin=()
CORES=$(nproc)
if [ "$CORES" -ge 2 ] && command -v taskset >/dev/null; then
  export DYNAMODB_CPUS=$((CORES - 1))
  pin=(taskset -c "0-$((CORES - 2))")
fi

DYNAMODB_PORT=$(free_port)
log "starting DynamoDB Local (in memory) on port $DYNAMODB_PORT"
start_dynamodb "$DYNAMODB_PORT"
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"

# The media bucket the image functions use: moto's S3 emulator, on DynamoDB Local's core.
S3_PORT=$(free_port)
log "starting the S3 emulator on port $S3_PORT"
s3_pin=()
if [ -n "${DYNAMODB_CPUS:-}" ]; then s3_pin=(taskset -c "$DYNAMODB_CPUS"); fi
start_group "$LOG_DIR/moto.log" "${s3_pin[@]}" moto_server -H 127.0.0.1 -p "$S3_PORT"
wait_for_port "$S3_PORT" 60 "the S3 emulator"
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$S3_PORT"

log "benchmarking every function (function logs in $LOG_DIR)"
BENCH_LOG_DIR="$LOG_DIR" "${pin[@]}" target/release/lambda-bench target/release docs/benchmarks.md
