"""Cold start and warm latency of a function binary under the Lambda Runtime Interface Emulator,
against DynamoDB Local: the emulator's measured init phase, the first invoke, and warm invokes.

usage: python scripts/bench_lambda.py DYNAMODB_ENDPOINT BOOTSTRAP [BOOTSTRAP ...]
(each BOOTSTRAP a GetScope build, e.g. .aws-sam/build/GetScopeFunction/bootstrap)"""

import os
import re
import statistics
import subprocess
import sys
import time
import uuid

import emulator_check as emu

COLD_RUNS = 7
WARM_INVOKES = 300


def bench(endpoint, table, bootstrap):
    event = emu.event("get-scope")
    inits, firsts, warm = [], [], []
    for run in range(COLD_RUNS):
        emulator = emu.Emulator("get-scope", endpoint, table, bootstrap)
        started = time.perf_counter()
        status, _, _ = emulator.invoke(event)
        firsts.append((time.perf_counter() - started) * 1000)
        assert status == 404, status  # the event's scope does not exist in this table
        if run == 0:
            for _ in range(WARM_INVOKES):
                started = time.perf_counter()
                emulator.invoke(event)
                warm.append((time.perf_counter() - started) * 1000)
        inits += [float(x) for x in re.findall(r"INIT REPORT\(durationMs: ([0-9.]+)\)", emulator.stop())]
    warm.sort()
    print(f"{bootstrap}: {os.path.getsize(bootstrap) / 1e6:.2f} MB; init median {statistics.median(inits):.1f} ms "
          f"(min {min(inits):.1f}, max {max(inits):.1f}, n={len(inits)}); first invoke median "
          f"{statistics.median(firsts):.1f} ms; warm invoke p50 {warm[len(warm) // 2]:.2f} ms, "
          f"p99 {warm[int(len(warm) * 0.99)]:.2f} ms (n={len(warm)})")


def main(endpoint, *bootstraps):
    table = f"bench-{uuid.uuid4()}"
    subprocess.run([str(emu.ROOT / "target" / "debug" / "local-api"), "--dynamodb-endpoint", endpoint,
                    "--table", table, "create-table"], check=True, stdout=subprocess.DEVNULL)
    for bootstrap in bootstraps:
        bench(endpoint, table, bootstrap)


if __name__ == "__main__":
    main(*sys.argv[1:])
