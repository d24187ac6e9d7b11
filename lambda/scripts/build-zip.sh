#!/usr/bin/env bash
# Builds the deployment package: lambda/dist/connector.zip (or the path given as $1) with
# index.mjs, src/, package.json and a self-contained node_modules: the pinned AWS SDK clients
# (Cognito, and SSM and Secrets Manager for the secrets read at init) and
# the cognito-fusionauth package's Node build (copied, since npm links file:../pkg as a
# symlink). Needs `make pkg` to have built pkg/node first. The zip is reproducible: sorted
# entries, fixed timestamps.
set -euo pipefail
export TZ=UTC
cd "$(dirname "$0")/.."
lambda_dir=$PWD
say() { echo "build-zip: $*" >&2; }

out=${1:-dist/connector.zip}
case $out in /*) ;; *) out=$lambda_dir/$out ;; esac
pkg=$lambda_dir/../pkg

for file in node/cognito_fusionauth.js node/cognito_fusionauth_bg.wasm package.json; do
  if [ ! -f "$pkg/$file" ]; then
    say "pkg/$file is missing: build the npm package first (make pkg)"; exit 1
  fi
done
. scripts/npm-deps.sh

stage=$(mktemp -d "${TMPDIR:-/tmp}/connector-zip.XXXXXX")
trap 'rm -rf "$stage"' EXIT

cp index.mjs package.json "$stage/"
cp -R src "$stage/src"
mkdir -p "$stage/node_modules"
for entry in node_modules/* node_modules/.bin; do
  [ -e "$entry" ] || continue
  name=${entry#node_modules/}
  case $name in
    cognito-fusionauth|.bin) continue ;;
  esac
  cp -R "$entry" "$stage/node_modules/$name"
done

# The mapping engine: the package manifest (its exports map sends Node to ./node) and the Node build.
engine=$stage/node_modules/cognito-fusionauth
mkdir -p "$engine/node"
cp "$pkg/package.json" "$engine/"
for file in README.md LICENSE; do [ -f "$pkg/$file" ] && cp "$pkg/$file" "$engine/"; done
for file in "$pkg"/node/*; do cp "$file" "$engine/node/"; done

# Node resolves the SDK's CommonJS build ("node"/"require" conditions, or "main"): the ES module
# copies, the type declarations and source maps are dead weight in the function.
find "$stage/node_modules" -type d \( -name dist-es -o -name dist-types \) -prune -exec rm -rf {} +
find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete
if find "$stage" -type l | grep -q .; then
  say "the staged tree holds symlinks; refusing to build a zip that depends on them"; exit 1
fi

find "$stage" -exec touch -h -d '2000-01-01 00:00:00' {} +
mkdir -p "$(dirname "$out")"
rm -f "$out"
if command -v zip >/dev/null; then
  (cd "$stage" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | zip -X -q -9 "$out" -@)
else
  python3 - "$stage" "$out" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
names = sorted(os.path.relpath(os.path.join(d, f), stage) for d, _, fs in os.walk(stage) for f in fs)
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in names:
        info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(os.path.join(stage, name), "rb") as f:
            z.writestr(info, f.read())
PY
fi
say "wrote $out ($(du -h "$out" | cut -f1), $(cd "$stage" && find . -type f | wc -l) files)"
