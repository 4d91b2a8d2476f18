#!/usr/bin/env bash
# Runs the README's AWS CLI session (the block between the cli-session markers) verbatim, against
# ENDPOINT if given (e.g. http://127.0.0.1:9000 for `make dev`), else against a fresh local server
# on a free port.   usage: scripts/readme-cli.sh [ENDPOINT]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
source scripts/ports.sh
source scripts/build-env.sh

session=$(awk '/<!-- cli-session:start -->/{on=1; next} /<!-- cli-session:end -->/{on=0} on' README.md | sed '/^```/d')
[ -n "$session" ] || { echo "readme-cli: no cli-session block in README.md" >&2; exit 1; }

endpoint="${1:-}"
if [ -z "$endpoint" ]; then
  port=$(free_port)
  cargo build --quiet --locked --bin local-api
  env -u DYNAMODB_ENDPOINT -u TABLE_NAME "$DEBUG_BIN/local-api" --in-memory --port "$port" >/dev/null &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  wait_port "$port" 30 || { echo "readme-cli: the local server did not start" >&2; exit 1; }
  endpoint="http://127.0.0.1:$port"
fi

echo "readme-cli: running the README session against $endpoint"
bash -euo pipefail -c "${session//http:\/\/127.0.0.1:3000/$endpoint}" >/dev/null
echo "readme-cli: the README session ran without an error"
