#!/usr/bin/env bash
# Runs the README's AWS CLI session (the block between the cli-session markers) verbatim against
# a fresh local server on a free port. Installs the AWS CLI into .tools/ if it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! aws --version >/dev/null 2>&1; then
  if [ ! -x .tools/awscli/bin/aws ]; then
    echo "readme-cli: installing the AWS CLI into .tools/awscli" >&2
    python3 -m venv .tools/awscli
    .tools/awscli/bin/pip install --quiet awscli
  fi
  export PATH="$PWD/.tools/awscli/bin:$PATH"
fi

session=$(awk '/<!-- cli-session:start -->/{on=1; next} /<!-- cli-session:end -->/{on=0} on' README.md | sed '/^```/d')
[ -n "$session" ] || { echo "readme-cli: no cli-session block in README.md" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --quiet --bin local-api
target/debug/local-api --in-memory --port "$port" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "readme-cli: running the README session against port $port"
bash -euo pipefail -c "${session//127.0.0.1:3000/127.0.0.1:$port}" >/dev/null
echo "readme-cli: the README session ran without an error"
