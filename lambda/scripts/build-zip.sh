#!/usr/bin/env bash
# Builds the deployment package: lambda/dist/connector.zip, or the path given last.
#
#   scripts/build-zip.sh [--unbundled] [OUT.zip]
#
# The package (default): at the zip's root, index.mjs, one ES module that esbuild bundles from
# the handler, its sources, the AWS SDK clients (their ES module builds, tree-shaken to the
# commands the connector sends; the SSM and Secrets Manager clients are evaluated only when a
# secret is kept there) and the mapping engine's Node glue; beside it the engine's WASM, which
# the glue reads from the module's folder, and THIRD_PARTY_LICENSES.txt.
#
# --unbundled: the layout before the bundle: index.mjs, src/, package.json and a node_modules
# with the SDK clients' CommonJS builds and the engine's Node build. bench.mjs builds it to
# compare the two cold starts in one run.
#
# Needs `make pkg` to have built pkg/node first; installs the pinned npm dependencies when
# missing (npm-deps.sh). The zip is reproducible: sorted entries, fixed timestamps.
set -euo pipefail
export TZ=UTC
cd "$(dirname "$0")/.."
lambda_dir=$PWD
say() { echo "build-zip: $*" >&2; }

layout=bundled
if [ "${1:-}" = --unbundled ]; then layout=unbundled; shift; fi
out=${1:-dist/connector.zip}
case $out in /*) ;; *) out=$lambda_dir/$out ;; esac
pkg=$lambda_dir/../pkg

for file in node/cognito_fusionauth.js node/cognito_fusionauth_bg.wasm package.json; do
  if [ ! -f "$pkg/$file" ]; then
    say "pkg/$file is missing: build the npm package first (make pkg)"; exit 1
  fi
done
. scripts/npm-deps.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/connector-zip.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/stage
mkdir -p "$stage"

if [ $layout = bundled ]; then
  # The engine's glue is CommonJS and reads its WASM at `${__dirname}/…`: in the ES module,
  # `require`, `__filename` and `__dirname` are those of index.mjs, so the WASM sits beside it.
  banner='import { createRequire as __cfRequire } from "node:module";'
  banner+=' import { dirname as __cfDirname } from "node:path";'
  banner+=' import { fileURLToPath as __cfPath } from "node:url";'
  banner+=' const require = __cfRequire(import.meta.url);'
  banner+=' const __filename = __cfPath(import.meta.url);'
  banner+=' const __dirname = __cfDirname(__filename);'
  node_modules/.bin/esbuild index.mjs --bundle --platform=node --target=node20 --format=esm \
    --main-fields=module,main --minify --legal-comments=none --log-level=warning \
    --banner:js="$banner" --metafile="$work/meta.json" --outfile="$stage/index.mjs"
  cp "$pkg/node/cognito_fusionauth_bg.wasm" "$stage/"
  node scripts/licenses.mjs "$work/meta.json" >"$stage/THIRD_PARTY_LICENSES.txt"
else
  cp index.mjs package.json "$stage/"
  cp -R src "$stage/src"
  mkdir -p "$stage/node_modules"
  # The production dependencies only (npm lists their folders; the engine is copied below).
  npm ls --omit=dev --all --parseable 2>/dev/null | while read -r dir; do
    case $dir in "$lambda_dir"/node_modules/*) ;; *) continue ;; esac
    name=${dir#"$lambda_dir"/node_modules/}
    case $name in cognito-fusionauth|*/node_modules/*) continue ;; esac
    mkdir -p "$(dirname "$stage/node_modules/$name")"
    cp -R "$dir" "$stage/node_modules/$name"
  done
  # The mapping engine: the package manifest (its exports map sends Node to ./node) and the Node build.
  engine=$stage/node_modules/cognito-fusionauth
  mkdir -p "$engine/node"
  cp "$pkg/package.json" "$engine/"
  for file in README.md LICENSE; do [ -f "$pkg/$file" ] && cp "$pkg/$file" "$engine/"; done
  for file in "$pkg"/node/*; do cp "$file" "$engine/node/"; done
  # Node resolves the SDK's CommonJS build ("main"): the ES module copies, the type declarations
  # and source maps are dead weight there.
  find "$stage/node_modules" -type d \( -name dist-es -o -name dist-types \) -prune -exec rm -rf {} +
  find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete
fi
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
say "wrote $out ($layout, $(du -h "$out" | cut -f1), $(cd "$stage" && find . -type f | wc -l) files)"
