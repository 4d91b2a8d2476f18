#!/usr/bin/env bash
# `make bench`: cold start and warm latency of the GetScope function's release build under the
# Lambda Runtime Interface Emulator, against DynamoDB Local (see README, Measurements).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh

source scripts/ports.sh

port=$(free_port)
setsid scripts/dynamodb-local.sh "$port" > .tools/dynamodb-local-bench.log 2>&1 &
ddb_pid=$!
trap 'kill -- -$ddb_pid 2>/dev/null || true' EXIT

sam build --parallel --parameter-overrides Architecture=x86_64
cargo build --quiet --bin local-api
wait_port "$port" 120 || { echo "DynamoDB Local did not start:" >&2; cat .tools/dynamodb-local-bench.log >&2; exit 1; }
python scripts/bench_lambda.py "http://127.0.0.1:$port" .aws-sam/build/GetScopeFunction/bootstrap

# Macie batch wall time: 1 vs 100 entries on DynamoDB Local, and behind a simulated round trip.
DYNAMODB_ENDPOINT="http://127.0.0.1:$port" cargo test --locked -p integration-tests \
  --test api -- --nocapture --test-threads 1 macie_e2e::measure_batch batch_concurrency::a_full_batch 2>&1 |
  grep -oE 'BatchUpdateAutomatedDiscoveryAccounts .*|test result.*'
