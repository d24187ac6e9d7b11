#!/usr/bin/env bash
# Benchmark: our converter vs. the two peer approaches (jq one-liner, plain Node.js), on the
# same generated Cognito export, in one run. Prints a Markdown table and saves it to
# bench/out/results.md. See bench/README.md. Self-contained: the peers (bench/peers/) and the
# export generator (bench/gen/, the gen-export binary) are in this repository.
#
# Usage: bench/run.sh [N]            N users in the generated export (default 100000)
# Env:   RUNS=3      timed runs of ours and of node (median is reported)
#        RUNS_JQ=1   timed runs of jq (~50 s each at 100k users)
# Exit:  0 measured (targets may still FAIL; see the table), 1 a tool failed or the output
#        check failed, 2 usage / environment error.
set -euo pipefail

N=${1:-100000}
RUNS=${RUNS:-3}
RUNS_JQ=${RUNS_JQ:-1}

die() { echo "bench: $*" >&2; exit "${2:-2}"; }
case $N in ''|*[!0-9]*|0) die "N must be a positive integer, got '$N'";; esac
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer, got '$RUNS'";; esac
case $RUNS_JQ in ''|*[!0-9]*) die "RUNS_JQ must be a non-negative integer, got '$RUNS_JQ'";; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=$ROOT/bench/peers
GEN=$ROOT/target/release/gen-export
OUT=$ROOT/bench/out
BIN=$ROOT/target/release/cognito-fusionauth
TIME=/usr/bin/time

TENANT=30663132-6464-6665-3032-326466613934
APP=85a03867-dccf-4882-adde-1a79aeec50df

for f in "$PEERS/guide-jq.sh" "$PEERS/guide-node.mjs"; do
  [ -f "$f" ] || die "missing $f"
done
for c in node jq python3 cargo; do
  command -v "$c" >/dev/null || die "$c not found on PATH"
done
[ -x "$TIME" ] || die "GNU time not found at $TIME"

cd "$ROOT"
mkdir -p "$OUT"

# 1. Build ours and the export generator (waits on the cargo lock if someone else is
#    building).
echo "bench: building release binaries" >&2
cargo build --locked --release -p cognito-fusionauth-cli >&2
cargo build --locked --release -p cognito-fusionauth-gen >&2

# 2. Input: deterministic (gen-export's default seed); regenerated only when missing or older
#    than the generator (the binary, relinked whenever bench/gen/ changes).
if [ $((N % 1000)) -eq 0 ]; then label="$((N / 1000))k"; else label=$N; fi
EXPORT=$OUT/export-$label.json
if [ ! -s "$EXPORT" ] || [ "$GEN" -nt "$EXPORT" ]; then
  echo "bench: generating $EXPORT ($N users)" >&2
  "$GEN" "$N" "$EXPORT.tmp" --dup-rate 0.001
  mv "$EXPORT.tmp" "$EXPORT"
fi
INPUT_BYTES=$(wc -c < "$EXPORT")

# 3. Timed runs, interleaved: ours, node, jq, ours, node, jq, ...
LOGS=$OUT/logs
rm -rf "$LOGS" && mkdir -p "$LOGS"
: > "$OUT/times-ours.txt"; : > "$OUT/times-node.txt"; : > "$OUT/times-jq.txt"; : > "$OUT/times-pkg.txt"
# The npm package (issue: WASM build) joins when it is built (`make pkg`).
PKG_JS=$ROOT/pkg/node/cognito_fusionauth.js

# measure TOOL RUN CMD...: runs CMD under GNU time, appends "wall_s max_rss_kib cpu_s" to
# times-TOOL.txt, fails the benchmark if CMD exits non-zero.
measure() {
  local tool=$1 run=$2; shift 2
  local tf=$LOGS/$tool-$run.time rc=0
  "$TIME" -f '%e %M %U %S' -o "$tf" "$@" > "$LOGS/$tool-$run.stdout" 2> "$LOGS/$tool-$run.stderr" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "bench: $tool run $run exited with status $rc; see $LOGS/$tool-$run.stderr" >&2
    tail -n 5 "$LOGS/$tool-$run.stderr" >&2 || true
    exit 1
  fi
  tail -n 1 "$tf" | awk '{ print $1, $2, $3 + $4 }' >> "$OUT/times-$tool.txt"
  echo "bench: $tool run $run: $(tail -n 1 "$tf" | awk '{printf "%.2f s wall, %.2f s CPU, %.1f MB peak RSS", $1, $3 + $4, $2 * 1024 / 1e6}')" >&2
}

# busy_jiffies: CPU time (all CPUs, in clock ticks) the machine spent not idle so far.
busy_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
BUSY0=$(busy_jiffies); T0=$(date +%s.%N)
ROUNDS=$(( RUNS > RUNS_JQ ? RUNS : RUNS_JQ ))
for ((i = 1; i <= ROUNDS; i++)); do
  if [ "$i" -le "$RUNS" ]; then
    measure ours "$i" "$BIN" convert --on-duplicate keep-newest \
      --tenant-id "$TENANT" --application-id "$APP" --out "$OUT/ours" "$EXPORT"
    rm -rf "$OUT/node"
    measure node "$i" node "$PEERS/guide-node.mjs" "$EXPORT" "$OUT/node"
    if [ -f "$PKG_JS" ]; then
      rm -rf "$OUT/pkg"
      measure pkg "$i" node "$ROOT/bench/package-convert.mjs" "$EXPORT" "$OUT/pkg"
    fi
  fi
  if [ "$i" -le "$RUNS_JQ" ]; then
    measure jq "$i" sh "$PEERS/guide-jq.sh" "$EXPORT" "$OUT/jq.json"
  fi
done

BUSY1=$(busy_jiffies); T1=$(date +%s.%N)
# Other load: CPU the machine spent during the timed runs beyond what the tools used, in cores.
OTHER_LOAD=$(cat "$OUT"/times-*.txt | awk -v b0="$BUSY0" -v b1="$BUSY1" -v t0="$T0" -v t1="$T1" \
  -v hz="$(getconf CLK_TCK)" '{ cpu += $3 } END { x = ((b1 - b0) / hz - cpu) / (t1 - t0); printf "%.2f", (x < 0 ? 0 : x) }')

# 4. Check the outputs: our users in the chunks plus excluded users must account for all N;
#    the peers exclude no one, so each must have written all N users (jq's only if it ran).
CHECK=$(python3 - "$OUT" "$N" "$RUNS_JQ" <<'EOF'
import glob, json, os, sys
out, n, runs_jq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def users(path):
    with open(path, encoding="utf-8") as f:
        return len(json.load(f)["users"])
chunks = sorted(glob.glob(os.path.join(out, "ours", "users-*.json")))
imported = sum(users(c) for c in chunks)
with open(os.path.join(out, "ours", "report.json"), encoding="utf-8") as f:
    excluded = len(json.load(f)["excluded"])
total = imported + excluded
node = sum(users(c) for c in glob.glob(os.path.join(out, "node", "users-*.json")))
jq = users(os.path.join(out, "jq.json")) if runs_jq > 0 else -1
ok = total == n and node == n and jq in (-1, n)
print(f"{'OK' if ok else 'MISMATCH'} {imported} {len(chunks)} {excluded} {total} {node} {jq}")
EOF
)
read -r CHECK_STATUS IMPORTED NCHUNKS EXCLUDED TOTAL NODE_USERS JQ_USERS <<< "$CHECK"

# 5. Stats and the table.
# median COLUMN FILE -> the median of that column
median() {
  awk -v c="$1" '{ print $c }' "$2" | sort -n | awk '{ v[NR] = $1 }
    END { if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# stats FILE -> "median_wall_s max_rss_kib runs median_cpu_s all_wall_s_comma_separated"
stats() {
  awk -v med="$(median 1 "$1")" -v cpu="$(median 3 "$1")" '
    { if ($2 > m) m = $2; all = all (NR > 1 ? ", " : "") sprintf("%.2f", $1) }
    END { print med, m + 0, NR, cpu, (NR ? all : "-") }' "$1"
}
read -r OURS_T OURS_K OURS_N OURS_C OURS_ALL <<< "$(stats "$OUT/times-ours.txt")"
read -r NODE_T NODE_K NODE_N NODE_C NODE_ALL <<< "$(stats "$OUT/times-node.txt")"
read -r JQ_T JQ_K JQ_N JQ_C JQ_ALL <<< "$(stats "$OUT/times-jq.txt")"
read -r PKG_T PKG_K PKG_N PKG_C PKG_ALL <<< "$(stats "$OUT/times-pkg.txt")"
WASM=$ROOT/pkg/node/cognito_fusionauth_bg.wasm
WASM_RAW=0; WASM_GZ=0
if [ -f "$WASM" ]; then WASM_RAW=$(wc -c < "$WASM"); WASM_GZ=$(gzip -9 -c "$WASM" | wc -c); fi

# All arithmetic in one awk call; MB = 10^6 bytes, GNU time's %M is in KiB.
awk -v n="$N" -v bytes="$INPUT_BYTES" -v export="${EXPORT#"$ROOT"/}" \
    -v runs="$RUNS" -v runs_jq="$RUNS_JQ" \
    -v ot="$OURS_T" -v ok="$OURS_K" -v on="$OURS_N" -v oa="$OURS_ALL" -v oc="$OURS_C" \
    -v nt="$NODE_T" -v nk="$NODE_K" -v nn="$NODE_N" -v na="$NODE_ALL" -v nc="$NODE_C" \
    -v jt="$JQ_T" -v jk="$JQ_K" -v jn="$JQ_N" -v ja="$JQ_ALL" -v jc="$JQ_C" -v other="$OTHER_LOAD" \
    -v pt="$PKG_T" -v pk="$PKG_K" -v pn="$PKG_N" -v pa="$PKG_ALL" -v pc="$PKG_C" -v wraw="$WASM_RAW" -v wgz="$WASM_GZ" \
    -v chk="$CHECK_STATUS" -v imp="$IMPORTED" -v nch="$NCHUNKS" -v exc="$EXCLUDED" -v tot="$TOTAL" \
    -v nodeu="$NODE_USERS" -v jqu="$JQ_USERS" \
    -v commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -v dirty="$(git -C "$ROOT" status --porcelain -- core cli 2>/dev/null | head -c1)" \
    -v date="$(date -u +%Y-%m-%dT%H:%MZ)" -v cpus="$(nproc)" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" \
    -v nodev="$(node --version)" -v jqv="$(jq --version)" '
function mb(kib) { return kib * 1024 / 1e6 }
function ratio(a, b) { return (b > 0) ? sprintf("%.1f×", a / b) : "n/a" }
function secs(t) { return (t == "nan") ? "n/a" : sprintf("%.2f", t) }
function verdict(ok) { return ok ? "**PASS**" : "**FAIL**" }
BEGIN {
  in_mb = bytes / 1e6
  printf "## cognito-fusionauth benchmark\n\n"
  printf "Input: `%s`, %d users, %.1f MB (gen-export from bench/gen/, --dup-rate 0.001). ", export, n, in_mb
  printf "%s, commit %s%s, %d CPUs, node %s, %s.\n\n", date, commit, (dirty != "" ? " + uncommitted core/cli changes" : ""), cpus, nodev, jqv
  printf "| Tool | Runs | Median wall (s) | All runs, wall (s) | Median CPU (s) | Peak RSS (MB) | Peak RSS / input | Wall / ours | CPU / ours |\n"
  printf "|---|---:|---:|---|---:|---:|---:|---:|---:|\n"
  printf "| cognito-fusionauth convert (ours) | %d | %s | %s | %s | %.1f | %.2f× | 1.0× | 1.0× |\n", on, secs(ot), oa, secs(oc), mb(ok), mb(ok) / in_mb
  printf "| node bench/peers/guide-node.mjs | %d | %s | %s | %s | %.1f | %.2f× | %s | %s |\n", nn, secs(nt), na, secs(nc), mb(nk), mb(nk) / in_mb, ratio(nt, ot), ratio(nc, oc)
  if (pn > 0)
    printf "| npm package (WASM) in Node | %d | %s | %s | %s | %.1f | %.2f× | %s | %s |\n", pn, secs(pt), pa, secs(pc), mb(pk), mb(pk) / in_mb, ratio(pt, ot), ratio(pc, oc)
  if (jn > 0)
    printf "| bench/peers/guide-jq.sh | %d | %s | %s | %s | %.1f | %.2f× | %s | %s |\n", jn, secs(jt), ja, secs(jc), mb(jk), mb(jk) / in_mb, ratio(jt, ot), ratio(jc, oc)
  else
    printf "| bench/peers/guide-jq.sh | 0 | n/a | - | n/a | n/a | n/a | n/a | n/a |\n"
  printf "\nOther CPU load during the timed runs: %.2f of %d cores (load avg at end %s)%s\n\n", other, cpus, load, (other > 0.25 ? ": **the machine was busy, timings are noisy; rerun on an idle machine**" : ".")
  printf "| Target | Measured | Result |\n|---|---:|---|\n"
  if (jn > 0) printf "| ours ≥ 20× faster than jq (jq / ours) | %s | %s |\n", ratio(jt, ot), verdict(ot > 0 && jt / ot >= 20)
  else        printf "| ours ≥ 20× faster than jq (jq / ours) | n/a | SKIPPED (RUNS_JQ=0) |\n"
  printf "| ours ≥ 4× faster than node (node / ours) | %s | %s |\n", ratio(nt, ot), verdict(ot > 0 && nt / ot >= 4)
  printf "| our peak RSS < 3× input size | %.2f× | %s |\n", mb(ok) / in_mb, verdict(mb(ok) / in_mb < 3)
  if (pn > 0) {
    printf "| npm package ≥ 1.5× faster than node (node / package) | %s | %s |\n", ratio(nt, pt), verdict(pt > 0 && nt / pt >= 1.5)
    printf "\n`.wasm` size: %.0f kB raw, %.0f kB gzip -9.\n", wraw / 1000, wgz / 1000
  }
  printf "\n"
  printf "Output check: ours %d users in %d users-*.json chunk(s) + %d excluded in report.json = %d; ", imp, nch, exc, tot
  printf "node peer %d users%s; N = %d: **%s**\n", nodeu, (jqu >= 0 ? sprintf(", jq %d users", jqu) : ""), n, chk
  printf "\nWall time is GNU time %%e (median of the runs; tools interleaved), CPU is %%U + %%S (median), peak RSS is %%M (max over runs); MB = 10^6 bytes. Targets use wall time. Ours: `convert --on-duplicate keep-newest --tenant-id … --application-id …`.\n"
}' | tee "$OUT/results.md"

[ "$CHECK_STATUS" = OK ] || { echo "bench: output check failed" >&2; exit 1; }
