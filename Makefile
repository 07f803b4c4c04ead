# The project's commands. CI runs `.ci/run`, which is `make lint` then `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: help tools browser dev docs gen test lint build bench migrate scale invoke clean

help:
	@echo "make dev     serve the API at http://127.0.0.1:9000 on DynamoDB Local (reference at /docs)"
	@echo "make docs    render openapi.yaml into target/docs/index.html"
	@echo "make gen     write what is derived from the deployment manifest (router, template, events, dispatch)"
	@echo "make test    unit, handler, integration and end-to-end tests"
	@echo "make lint    rustfmt, clippy, cargo deny, cfn-lint, sam validate and the contract linters"
	@echo "make build   every function for arm64 Lambda in one cargo build, packaged by sam build"
	@echo "make bench   cold-start and latency benchmarks into docs/benchmarks.md"
	@echo "make migrate bring stored products to the listing indexes' layout (after a change of shards)"
	@echo "make scale   simulate production load on the tables' keys: which partitions hold"

## Installs what is missing: Java and Node.js (Debian packages), the Python tools in .venv,
## DynamoDB Local, the API reference renderer and the browser driver in node_modules.
tools: $(VENV)/.installed node_modules/.installed
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless; }

$(VENV)/.installed: requirements-dev.txt
	@command -v python3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3 python3-venv; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	SCARF_ANALYTICS=false npm ci --no-audit --no-fund --loglevel=error
	@touch $@

## Chromium (Debian's), for the test that reads the API reference as a browser shows it.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

dev: tools
	scripts/dev.sh

docs: node_modules/.installed
	scripts/docs.sh

## What the deployment manifest (shared/src/deploy/functions.rs) derives: Cargo.toml's watch router, the
## functions and alarms of template.yaml, missing sample events, the test dispatch.
gen:
	cargo run --quiet --locked -p gen

test: tools browser
	scripts/test.sh

lint: tools
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	scripts/deny.sh
	cfn-lint template.yaml
	sam validate --lint --template template.yaml
	scripts/lint-contract.sh

# Every function built for arm64 Lambda in one cargo invocation (dependencies compiled once, the
# binaries linked in parallel; cargo-lambda links with the zig it installs, the Rust target's
# standard library comes from rustup), then packaged by `sam build`, which runs the rule below
# for each function (BuildMethod: makefile) in the checkout itself.
FUNCTIONS := $(notdir $(wildcard functions/*))
build: tools
	rustup target add aarch64-unknown-linux-gnu
	cargo lambda build --release --arm64 --locked $(addprefix -p ,$(FUNCTIONS))
	sam build --build-in-source --template template.yaml

## What `sam build` runs for a function: the binary `make build` built (target/lambda/<binary>,
## the function's logical id in kebab case less `Function`), packaged as Lambda's bootstrap.
build-%Function:
	cp "$(CURDIR)/target/lambda/$(shell echo '$*' | sed -E 's/([A-Z])/-\L\1/g; s/^-//')/bootstrap" "$(ARTIFACTS_DIR)/bootstrap"

bench: tools
	scripts/bench.sh

## Against AWS_ENDPOINT_URL_DYNAMODB if set, else the AWS account of the environment's
## credentials; PRODUCTS_TABLE and PEAK_CREATES_PER_SECOND (or LISTING_SHARDS) name the table and
## the shard count.
migrate:
	cargo run --quiet --locked -p tools --bin migrate-products

## Without SCALE_ARGS: the default deployment (1,000 creates a second), then one declaring 10,000.
## Arguments for one simulation go in SCALE_ARGS, e.g. SCALE_ARGS="--rate 20000 --updates 2000".
scale:
	cargo build --quiet --locked --release -p tools --bin scale
	@if [ -n "$(SCALE_ARGS)" ]; then target/release/scale $(SCALE_ARGS); \
	else target/release/scale && echo && target/release/scale --rate 10000; fi

clean:
	rm -rf target .aws-sam
