#!/usr/bin/env bash
# Installs what the connector's tests need and this machine lacks: moto's server with the
# cognito-idp, ssm and secretsmanager backends (the emulators of Cognito and of the stores the
# secrets are read from), cfn-lint, and the pinned npm dependencies.
# Idempotent: each step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "lambda setup: $*" >&2; }

MOTO_SPEC='moto[server,cognitoidp,ssm,secretsmanager]==5.2.1'
CFN_LINT_SPEC='cfn-lint==1.51.0'

if ! command -v python3 >/dev/null; then
  say "installing python3 and pip (Debian packages)"
  apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
fi
pip_install() {
  # Debian's system Python refuses global installs (PEP 668) unless told otherwise.
  python3 -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}

# moto_server on PATH with the modules its server mode and its three backends import, and
# cfn-lint (moto[server] depends on it too: one pip call resolves both pins together).
if ! command -v moto_server >/dev/null || ! command -v cfn-lint >/dev/null \
  || ! python3 -c 'import moto.server, moto.cognitoidp, moto.ssm, moto.secretsmanager, flask, flask_cors, joserfc, yaml' 2>/dev/null; then
  say "installing $MOTO_SPEC and $CFN_LINT_SPEC"; pip_install "$MOTO_SPEC" "$CFN_LINT_SPEC"
fi
if ! command -v zip >/dev/null && command -v apt-get >/dev/null; then
  say "installing zip (build-zip.sh falls back to Python's zipfile without it)"
  apt-get update -qq && apt-get install -y -qq zip >/dev/null || true
fi

if ! command -v npm >/dev/null; then
  say "npm is missing: install Node.js 20 or later first"; exit 1
fi
. scripts/npm-deps.sh
