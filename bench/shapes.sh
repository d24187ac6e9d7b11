#!/usr/bin/env bash
# Worst-case shapes: `cognito-fusionauth convert` on one file of each shape `gen-shapes` makes
# (one user with tens of thousands of values of one attribute, of distinct names, identities,
# groups or MFA methods; one long value; long usernames beside many findings or many users
# sharing an email; a wide CSV; ...), each about 1 MB, timed for this revision's CLI and, when
# BASE names one, for an older revision's beside it. A file of 1 MB must convert in well under
# a second whatever its shape: each row is held to BOUND. Prints a Markdown table and saves
# it to bench/out/shapes.md. See bench/README.md.
#
# Usage: bench/shapes.sh [BYTES]        the size of each file (default 1000000)
# Env:   RUNS=3            timed runs of this revision per shape (the median is reported)
#        BOUND=1           seconds each shape may take with this revision (PASS or FAIL)
#        BASE=91e26cb      an older revision to time beside (built once in a git worktree
#                          under bench/out/, with a target folder of its own; empty: none);
#                          by default the last one before conversion was made linear in
#                          every shape
#        CARGO_TARGET_DIR  where this revision is built (default: target/)
#        TIMEOUT=60        seconds after which a run of BASE is stopped (shown as > TIMEOUT)
#        MEMORY_GB=4       address space each run may take (a run past it fails: shown as
#                          such); the base revision takes gigabytes on some shapes
# Exit:  0 measured (rows may still FAIL), 1 this revision failed on a shape, 2 usage or
#        environment error.
set -euo pipefail

BYTES=${1:-1000000}
RUNS=${RUNS:-3}
BOUND=${BOUND:-1}
BASE=${BASE-91e26cb}
TIMEOUT=${TIMEOUT:-60}
MEMORY_GB=${MEMORY_GB:-4}
die() { echo "bench: $*" >&2; exit "${2:-2}"; }
case $BYTES in ''|*[!0-9]*) die "BYTES must be a positive integer, got '$BYTES'";; esac
[ "$BYTES" -ge 1000 ] || die "BYTES must be 1000 or more, got '$BYTES'"
for v in RUNS TIMEOUT MEMORY_GB; do
  case ${!v} in ''|*[!0-9]*|0) die "$v must be a positive integer, got '${!v}'";; esac
done
case $BOUND in ''|*[!0-9.]*) die "BOUND must be a number of seconds, got '$BOUND'";; esac
TIME=/usr/bin/time
[ -x "$TIME" ] || die "GNU time not found at $TIME"
command -v timeout >/dev/null || die "timeout not found on PATH"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/base.sh
. "$ROOT/bench/base.sh"
OUT=$ROOT/bench/out
SHAPES=$OUT/shapes
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/cognito-fusionauth
GEN=$TARGET/release/gen-shapes
cd "$ROOT"
mkdir -p "$SHAPES"
echo "bench: building release binaries" >&2
cargo build --locked --release -p cognito-fusionauth-cli -p cognito-fusionauth-gen >&2

OLD=""
if [ -n "$BASE" ]; then
  OLD=$(build_base "$BASE" "$OUT")
fi

# run BIN FILE DIR LIMIT: converts FILE into DIR under GNU time, LIMIT seconds at most and
# MEMORY_GB of address space; prints "wall_s peak_rss_kib status" (status: ok, blocked — the
# default duplicate policy stops the import files, as it should on shared emails —, timeout,
# out-of-memory — an allocation past MEMORY_GB failed —, or failed-<exit status>).
run() {
  local bin=$1 file=$2 dir=$3 limit=$4 rc=0
  rm -rf "$dir"
  ( ulimit -v $((MEMORY_GB * 1024 * 1024))
    exec "$TIME" -f '%e %M' -o "$SHAPES/time" timeout "$limit" \
      "$bin" convert --seed 1 --out "$dir" "$file" ) > "$SHAPES/stdout" 2> "$SHAPES/stderr" || rc=$?
  local status
  case $rc in
    0) status=ok ;;
    1) if [ -s "$dir/report.json" ]; then status=blocked; else status=failed-1; fi ;;
    124) status=timeout ;;
    *) status=failed-$rc ;;
  esac
  if [ "$rc" -gt 1 ] && grep -q "memory allocation of .* failed" "$SHAPES/stderr"; then
    status=out-of-memory
  fi
  local measured
  measured=$(grep -E '^[0-9.]+ [0-9]+$' "$SHAPES/time" | tail -n 1 || true)
  echo "${measured:-0 0} $status"
}

# median of the numbers on stdin
median() {
  sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

table=$OUT/shapes.md
failed=0
{
  echo "# Worst-case shapes, $BYTES bytes each"
  echo
  echo "| Shape | Input | Output | This revision: wall (median of $RUNS) | Peak RSS | Base ${BASE:-(none)}: wall | Base peak RSS | Bound $BOUND s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
} > "$table"
while IFS=$'\t' read -r shape about; do
  ext=json
  case $shape in csv*) ext=csv ;; esac
  file=$SHAPES/$shape.$ext
  if [ ! -s "$file" ] || [ "$GEN" -nt "$file" ] || [ "$(wc -c < "$file")" -gt "$BYTES" ]; then
    "$GEN" "$shape" "$file" --bytes "$BYTES"
  fi
  walls=(); rss=0; status=ok
  for ((r = 1; r <= RUNS; r++)); do
    read -r wall kib st < <(run "$BIN" "$file" "$SHAPES/out-new" "$TIMEOUT")
    walls+=("$wall"); [ "$kib" -gt "$rss" ] && rss=$kib
    case $st in ok | blocked) ;; *) status=$st ;; esac
  done
  new=$(printf '%s\n' "${walls[@]}" | median)
  output=$(du -sb "$SHAPES/out-new" | cut -f1)
  if [ "$status" != ok ]; then
    echo "bench: $shape: this revision's run ended with $status; see $SHAPES/stderr" >&2
    tail -n 5 "$SHAPES/stderr" >&2 || true
    failed=1
  fi
  verdict=$(awk -v w="$new" -v b="$BOUND" -v s="$status" 'BEGIN { print (s == "ok" && w < b) ? "PASS" : "FAIL" }')
  old="-"; old_rss="-"
  if [ -n "$OLD" ]; then
    read -r wall kib st < <(run "$OLD" "$file" "$SHAPES/out-old" "$TIMEOUT")
    case $st in
      ok | blocked) old=$(printf '%.2f s' "$wall") ;;
      timeout) old="> $TIMEOUT s (stopped)" ;;
      out-of-memory) old="out of its $MEMORY_GB GB after $(printf '%.1f' "$wall") s" ;;
      *) old="$st after $(printf '%.1f' "$wall") s" ;;
    esac
    old_rss=$(awk -v k="$kib" 'BEGIN { printf "%.0f MB", k * 1024 / 1e6 }')
    rm -rf "$SHAPES/out-old"
  fi
  echo "bench: $shape: $new s ($verdict), base: $old" >&2
  awk -v s="$shape" -v a="$about" -v i="$(wc -c < "$file")" -v o="$output" -v w="$new" -v k="$rss" \
      -v ow="$old" -v ok="$old_rss" -v v="$verdict" 'BEGIN {
    printf "| `%s`: %s | %.2f MB | %.1f MB | %.2f s | %.0f MB | %s | %s | %s |\n",
      s, a, i / 1e6, o / 1e6, w, k * 1024 / 1e6, ow, ok, v }' >> "$table"
  rm -rf "$SHAPES/out-new"
done < <("$GEN" --list)
{
  echo
  echo "Wall time and peak RSS from GNU time (\`%e\`, \`%M\`); \`convert --seed 1\` with the default rules and duplicate policy (the shared-email shapes end blocked, as they should). A base run is stopped after $TIMEOUT s or when it needs more than $MEMORY_GB GB of address space. MB = 10^6 bytes."
} >> "$table"
cat "$table"
exit "$failed"
