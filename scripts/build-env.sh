# Sourced by the scripts: one build configuration for every cargo command of the test run and the
# dev loop, so that `cargo test`, the local server, `cargo lambda watch` and the `sam build` check
# all reuse one set of debug artifacts. cargo lambda always passes an explicit --target, and
# cargo keeps explicit-target artifacts apart (target/<triple>/debug), so every command is given
# the same one: the host's.
CARGO_BUILD_TARGET="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_BUILD_TARGET
# Building for the host needs no cross-linker (cargo lambda's default is zig).
export CARGO_LAMBDA_COMPILER=cargo
DEBUG_BIN="target/$CARGO_BUILD_TARGET/debug"
