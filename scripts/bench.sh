#!/usr/bin/env bash
# `make bench` (README, Performance): the 28 functions built with the deployed profile
# (functions/.cargo/config.toml) and, in the same run and with the same profile, the two
# baselines (bench/hello-world, bench/bare-sdk); then, under the Lambda Runtime Interface
# Emulator against DynamoDB Local, sizes, cold starts, first and warm invokes, the first invoke
# behind TLS with and without the connection opened at init, and two listings' first page with 10
# and 3000 items (scripts/bench_lambda.py); last, the Macie batch's wall time, 100 entries over 1.
# Ends with one `bench: <name> <figure>` line per measure. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/tools.sh
source scripts/build-env.sh
source scripts/ports.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
release="$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/release"

port=$(free_port)
setsid scripts/dynamodb-local.sh "$port" > .tools/dynamodb-local-bench.log 2>&1 &
ddb_pid=$!
trap 'kill -- -$ddb_pid 2>/dev/null || true' EXIT

# The baselines in a cargo invocation of their own, so that the bare SDK function's features (the
# SDK's default HTTPS client) do not reach the functions' build.
(cd functions && cargo build --release --locked -p functions --bins)
(cd functions && cargo build --release --locked -p bench-hello-world -p bench-bare-sdk)
cargo build --quiet --locked --bin local-api
wait_port "$port" 120 || { echo "DynamoDB Local did not start:" >&2; cat .tools/dynamodb-local-bench.log >&2; exit 1; }
python scripts/bench_lambda.py "http://127.0.0.1:$port" "$release" "$release" "$CARGO_TARGET_DIR/$CARGO_BUILD_TARGET/debug/local-api"

# Macie batch wall time: 1 vs 100 entries on DynamoDB Local, and behind a simulated round trip.
batch=$(DYNAMODB_ENDPOINT="http://127.0.0.1:$port" cargo test --locked -p integration-tests \
  --test api -- --nocapture --test-threads 1 macie_e2e::measure_batch batch_concurrency::a_full_batch 2>&1 |
  grep -oE 'BatchUpdateAutomatedDiscoveryAccounts .*|test result.*')
echo "$batch"
python3 - "$batch" <<'PY'
import re, sys
unit = {"ns": 1e-6, "µs": 1e-3, "ms": 1.0, "s": 1e3}
def ms(text):
    value, suffix = re.fullmatch(r"([0-9.]+)(ns|µs|ms|s)", text).groups()
    return float(value) * unit[suffix]
# DynamoDB Local answers on loopback in well under a millisecond, so there a batch's wall time is
# DynamoDB Local's work, 100 items of it; what a batch costs a caller is round trips, so the
# figure is taken behind the simulated round trip of batch_concurrency (150 ms a call).
local = re.search(r"1 entry median ([0-9.]+[nµm]?s).*100 entries median ([0-9.]+[nµm]?s)", sys.argv[1])
rtt = re.search(r"round trip to DynamoDB Local: 1 entry ([0-9.]+[nµm]?s), 100 entries ([0-9.]+[nµm]?s)", sys.argv[1])
if not (local and rtt):
    sys.exit("bench: the batch measurements printed no figures")
print(f"batch: on DynamoDB Local directly, 100 entries over 1: {ms(local.group(2)) / ms(local.group(1)):.2f}")
print(f"bench: batch-100-over-1 {ms(rtt.group(2)) / ms(rtt.group(1)):.2f}")
PY
