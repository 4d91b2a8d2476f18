#!/usr/bin/env bash
# The development loop (`make dev`): DynamoDB Local on 127.0.0.1:8000, the table, and
# `cargo lambda watch` serving every route on http://127.0.0.1:9000 with hot reload. The
# functions run with local identity (see [workspace.metadata.lambda.watch.env] in Cargo.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
# The functions' environment comes from [workspace.metadata.lambda.watch.env] only.
unset DYNAMODB_ENDPOINT TABLE_NAME IDENTITY_MODE

DDB_PORT=8000
if ! (exec 3<>"/dev/tcp/127.0.0.1/$DDB_PORT") 2>/dev/null; then
  scripts/dynamodb-local.sh "$DDB_PORT" > .tools/dynamodb-local-dev.log 2>&1 &
  ddb_pid=$!
  trap 'kill $ddb_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 240); do (exec 3<>"/dev/tcp/127.0.0.1/$DDB_PORT") 2>/dev/null && break; sleep 0.5; done
fi
cargo run --quiet --bin local-api -- --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" --table scopes-api create-table
echo "serving every route on http://127.0.0.1:9000 (cargo lambda watch); Ctrl-C stops"
cargo lambda watch
