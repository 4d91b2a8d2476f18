#!/usr/bin/env bash
# `make bench`: cold start and warm latency of the GetScope function's release build under the
# Lambda Runtime Interface Emulator, against DynamoDB Local (see README, Measurements).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid scripts/dynamodb-local.sh "$port" > .tools/dynamodb-local-bench.log 2>&1 &
ddb_pid=$!
trap 'kill -- -$ddb_pid 2>/dev/null || true' EXIT

sam build --parallel --parameter-overrides Architecture=x86_64
cargo build --quiet --bin local-api
for _ in $(seq 1 240); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.5; done
python scripts/bench_lambda.py "http://127.0.0.1:$port" .aws-sam/build/GetScopeFunction/bootstrap
