#!/usr/bin/env bash
# The development loop (`make dev`): DynamoDB Local on 127.0.0.1:8000, the table, and
# `cargo lambda watch` serving every route on http://127.0.0.1:9000 with hot reload. The
# functions run with local identity (see [workspace.metadata.lambda.watch.env] in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
source scripts/ports.sh
source scripts/build-env.sh
# The functions' environment comes from [workspace.metadata.lambda.watch.env] only.
unset DYNAMODB_ENDPOINT TABLE_NAME IDENTITY_MODE

DDB_PORT=8000
if ! listening "$DDB_PORT"; then
  scripts/dynamodb-local.sh "$DDB_PORT" > .tools/dynamodb-local-dev.log 2>&1 &
  ddb_pid=$!
  trap 'kill $ddb_pid 2>/dev/null || true' EXIT
  wait_port "$DDB_PORT" 120 || { echo "DynamoDB Local did not start:" >&2; cat .tools/dynamodb-local-dev.log >&2; exit 1; }
fi
cargo build --quiet --locked --bin local-api
"$DEBUG_BIN/local-api" --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" --table scopes-api create-table
# The router comes from the operations table, so it cannot drift from the functions.
mkdir -p .tools
"$DEBUG_BIN/local-api" routes --format watch-router > .tools/watch-router.toml
# Every function in one cargo invocation, so the first request to each is served at once.
cargo build --quiet --locked -p functions --bins
echo "serving every route on http://127.0.0.1:9000 (cargo lambda watch); Ctrl-C stops"
cargo lambda watch --global .tools/watch-router.toml
