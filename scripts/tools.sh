# Sourced by the scripts: makes the project's Python-distributed tools available, installing
# them into .tools/venv on first use: the AWS SAM CLI (with its Lambda Runtime Interface
# Emulator), cfn-lint, cargo-lambda (ships a ready binary and zig) and the AWS CLI.
TOOLS_VENV="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/venv"
TOOLS_STAMP="$TOOLS_VENV/.installed-v1"
if [ ! -f "$TOOLS_STAMP" ]; then
  echo "tools: installing aws-sam-cli, cfn-lint, cargo-lambda and awscli into .tools/venv" >&2
  python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install --quiet aws-sam-cli cfn-lint cargo-lambda awscli >&2
  touch "$TOOLS_STAMP"
fi
export PATH="$TOOLS_VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0
