#!/usr/bin/env bash
# Runs versus-api and versus-worker in the foreground with config/config.yaml; Ctrl-C stops both.
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/debug"
config="${VERSUS_CONFIG:-config/config.yaml}"
"$bin/versus-worker" --config "$config" &
worker=$!
"$bin/versus-api" --config "$config" &
api=$!
trap 'kill -TERM $api $worker 2>/dev/null; wait $api $worker 2>/dev/null' INT TERM EXIT
echo "versus: API on http://localhost:${VERSUS_PORT:-3000}, worker health on http://localhost:${VERSUS_WORKER_PORT:-3001}/healthz"
echo "versus: try  curl -X POST localhost:${VERSUS_PORT:-3000}/api/incidents -H 'Content-Type: application/json' -d '{\"Logs\":\"[CRITICAL] disk full\",\"ServiceName\":\"db\",\"Severity\":\"critical\"}'"
wait -n $api $worker
