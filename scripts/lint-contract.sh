#!/usr/bin/env bash
# The contract as API reviewers lint it: Redocly's recommended rules (redocly.yaml) and
# Spectral's OWASP API Security ruleset (.spectral.yaml, with each rule that does not apply
# switched off where it does not, and why). Fails on any error of either.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  "$bin/redocly" lint openapi.yaml --config redocly.yaml --format stylish
"$bin/spectral" lint openapi.yaml --ruleset .spectral.yaml --fail-severity error --format stylish
