#!/usr/bin/env bash
# Builds the seeds that come from elsewhere in the repository instead of being copied here:
# fuzz/generated/rules/ from `cognito-fusionauth rules` (the default rules, and the same with
# other duplicate policies and chunk sizes), fuzz/generated/pool/ from tests/fixtures/ (the
# sample pool under keep-newest and move-to-data). The readers target reads tests/fixtures/
# directly. Usage: fuzz/generate-seeds.sh CLI_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${1:?usage: fuzz/generate-seeds.sh CLI_BINARY}
out=fuzz/generated
rm -rf "$out"
mkdir -p "$out/rules" "$out/pool"
"$cli" rules > "$out/rules/defaults.json"
python3 - "$out/rules" <<'PY'
import json, sys
folder = sys.argv[1]
rules = json.load(open(f"{folder}/defaults.json"))
for policy, chunk in (("keep-first", 3), ("keep-newest", 2), ("move-to-data", 1)):
    rules["settings"]["onDuplicate"] = policy
    rules["settings"]["chunkSize"] = chunk
    with open(f"{folder}/defaults-{policy}.json", "w") as f:
        json.dump(rules, f, indent=2)
PY
# The pool target's input: a byte picking the policy (1 keep-newest, 3 move-to-data), then
# the export (no rules: the defaults).
for policy in 1:keep-newest 3:move-to-data; do
  { printf "\\x0${policy%%:*}"; cat tests/fixtures/sample-pool.json; } > "$out/pool/sample-${policy#*:}"
done
