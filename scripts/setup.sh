#!/usr/bin/env bash
# Installs what `make run` and `make test` need and this machine lacks. Idempotent: each
# step checks first, so a prepared machine spends well under a second here.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

if ! command -v cargo >/dev/null; then
  say "cargo is missing: install Rust with rustup (https://rustup.rs) first"; exit 1
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding rustup component $component"; rustup component add "$component"
  fi
done

if [ "${SETUP_SKIP_NODE:-}" != 1 ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing Node.js and npm (Debian packages)"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  if [ ! -x tests/typescript/node_modules/typescript/bin/tsc ]; then
    say "installing the pinned TypeScript for the type checks"
    (cd tests/typescript && npm ci --no-audit --no-fund --silent)
  fi
fi

if [ "${SETUP_SKIP_FUZZ:-}" != 1 ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (for cargo-fuzz)"; rustup toolchain install nightly --profile minimal
  fi
  if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"; cargo install cargo-fuzz --version 0.13.2 --locked
  fi
fi
