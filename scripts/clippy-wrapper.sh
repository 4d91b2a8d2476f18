#!/usr/bin/env bash
# RUSTC_WORKSPACE_WRAPPER of the test run: cargo calls it as `clippy-wrapper.sh <rustc> <args>` for
# the workspace's own crates only. clippy-driver compiles them exactly as rustc does and runs
# clippy's lints on the way, so the one debug build that the tests, the local server, the dev loop
# and the Lambda check use is also the lint check (`make lint` without a second build of every
# dependency). Warnings fail the build, as in `make lint`.
exec clippy-driver "$@" -D warnings
