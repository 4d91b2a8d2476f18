#!/usr/bin/env bash
# The project's whole test run (`make test`): starts DynamoDB Local, runs every test of the
# workspace against it and the embedded store, then stops it. Fails loudly if DynamoDB Local
# cannot start; no test is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t dynamodb-local.XXXXXX.log)
scripts/dynamodb-local.sh "$port" >"$log" 2>&1 &
ddb_pid=$!
trap 'kill $ddb_pid 2>/dev/null || true; pkill -P $ddb_pid 2>/dev/null || true' EXIT

for _ in $(seq 1 240); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$ddb_pid" 2>/dev/null; then
    echo "DynamoDB Local did not start:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.5
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "DynamoDB Local is not answering on $port:" >&2; cat "$log" >&2; exit 1; }
echo "DynamoDB Local is up on 127.0.0.1:$port"

export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
cargo test --workspace --locked "$@"

# With no arguments (the whole run), also the README's AWS CLI session, verbatim.
if [ $# -eq 0 ]; then
  scripts/readme-cli.sh
fi
