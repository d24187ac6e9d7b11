#!/usr/bin/env bash
# Installs what `make run` and `make test` need and this machine lacks. Idempotent: each
# step checks first, so a prepared machine spends well under a second here.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

if ! command -v cargo >/dev/null; then
  say "cargo is missing: install Rust with rustup (https://rustup.rs) first"; exit 1
fi

# The pinned toolchains: rust-toolchain.toml's release, and fuzz/nightly-toolchain's nightly
# for cargo-fuzz. Where the machine's `stable` or `nightly` is exactly that release, the pinned
# name is made to point at it (no download); otherwise rustup installs the pinned release.
# `+stable` and `+nightly` name the machine's own toolchains whatever rust-toolchain.toml says.
host=$(rustc +stable -vV | sed -n 's/^host: //p')
toolchains="${RUSTUP_HOME:-$HOME/.rustup}/toolchains"
pin() { # pinned-name, machine-toolchain, whether the machine's is that release
  if rustup toolchain list | grep -q "^$1-$host"; then return; fi
  if [ "$3" = yes ]; then
    say "naming the machine's $2 toolchain $1 (the same release)"
    ln -s "$(rustc "+$2" --print sysroot)" "$toolchains/$1-$host"
  else
    say "installing the pinned toolchain $1"; rustup toolchain install "$1" --profile minimal
  fi
}
release=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
same=no; [ "$(rustc +stable --version | cut -d' ' -f2)" = "$release" ] && same=yes
pin "$release" stable "$same"
if [ "${SETUP_SKIP_FUZZ:-}" != 1 ]; then
  nightly=$(cat fuzz/nightly-toolchain)
  same=no
  if rustup toolchain list | grep -q "^nightly-$host" &&
    grep -q "^date = \"${nightly#nightly-}\"" "$(rustc +nightly --print sysroot)/lib/rustlib/multirust-channel-manifest.toml"; then
    same=yes
  fi
  pin "$nightly" nightly "$same"
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    say "adding rustup component $component"; rustup component add "$component"
  fi
done

if [ "${SETUP_SKIP_WASM:-}" != 1 ]; then
  if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
    say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown
  fi
  # wasm-pack uses the wasm-bindgen on PATH only if it equals the crate's pinned version.
  if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen 0.2.130" ]; then
    say "installing wasm-bindgen-cli 0.2.130 (a few minutes)"
    # Not --locked: one locked dependency of this release is missing from the registry.
    cargo install wasm-bindgen-cli --version 0.2.130
  fi
  if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack 0.15.1" ]; then
    say "installing wasm-pack 0.15.1 (a few minutes)"; cargo install wasm-pack --version 0.15.1 --locked
  fi
  # The console's bundler. 0.22 needs a newer rustc than this machine's.
  if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
    say "installing trunk 0.21.14 (about 9 minutes)"; cargo install trunk --version 0.21.14 --locked
  fi
fi

if [ "${SETUP_SKIP_BROWSER:-}" != 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing Debian's chromium and chromium-driver for the browser tests"
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ "${SETUP_SKIP_MOTO:-}" != 1 ]; then
  if ! command -v python3 >/dev/null; then
    say "installing python3 and pip (Debian packages)"
    apt-get update -qq && apt-get install -y -qq python3 python3-pip python3-venv >/dev/null
  fi
  # The Cognito emulator of the export tests (the same pin and extras as lambda/scripts/setup.sh,
  # whose connector tests also read secrets from moto's SSM and Secrets Manager), plus the S3,
  # CloudFront and CloudFormation backends of the site tests and cfn-lint (moto[cloudformation]
  # depends on it; pinned as in lambda/scripts/setup.sh).
  moto_spec='moto[server,cognitoidp,ssm,secretsmanager,s3,cloudfront,cloudformation]==5.2.1'
  if ! command -v moto_server >/dev/null || ! command -v cfn-lint >/dev/null \
    || ! python3 -c 'import moto.server, moto.cognitoidp, moto.ssm, moto.secretsmanager, moto.s3, moto.cloudfront, moto.cloudformation.parsing, cfnlint, boto3, flask, flask_cors, joserfc, yaml' 2>/dev/null; then
    say "installing $moto_spec and cfn-lint==1.51.0 (the AWS emulator of the export, connector and site tests)"
    python3 -m pip install --quiet --disable-pip-version-check "$moto_spec" 'cfn-lint==1.51.0' 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$moto_spec" 'cfn-lint==1.51.0'
  fi
fi

if [ "${SETUP_SKIP_NODE:-}" != 1 ]; then
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing Node.js and npm (Debian packages)"
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
  for dir in tests/typescript pkg/test web/e2e; do
    if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
      say "installing the pinned npm test dependencies of $dir"
      (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --silent)
    fi
  done
fi

if [ "${SETUP_SKIP_FUZZ:-}" != 1 ]; then
  if ! command -v cargo-fuzz >/dev/null; then
    say "installing cargo-fuzz"; cargo install cargo-fuzz --version 0.13.2 --locked
  fi
fi
