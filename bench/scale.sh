#!/usr/bin/env bash
# How our converter scales with the pool: `convert` on generated exports of several sizes,
# with wall time, CPU time, peak RSS, RSS per user and time per user against the smallest
# size. Prints a Markdown table and saves it to bench/out/scale.md. See bench/README.md.
#
# Usage: bench/scale.sh                 SIZES="100000 1000000 10000000" by default
# Env:   SIZES="100000 1000000"           10M users take a 6.6 GB export and as much output
#                                         (about 15 GB of free disk, and ~1.5 minutes a run)
#        RUNS=3                           runs per size (medians)
# Exit:  0 measured, 1 a run failed, 2 usage / environment error.
set -euo pipefail

SIZES=${SIZES:-"100000 1000000 10000000"}
RUNS=${RUNS:-3}
die() { echo "bench: $*" >&2; exit "${2:-2}"; }
for n in $SIZES; do
  case $n in ''|*[!0-9]*|0) die "SIZES must hold positive integers, got '$n'";; esac
done
case $RUNS in ''|*[!0-9]*|0) die "RUNS must be a positive integer, got '$RUNS'";; esac
TIME=/usr/bin/time
[ -x "$TIME" ] || die "GNU time not found at $TIME"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
GEN=$ROOT/target/release/gen-export
BIN=$ROOT/target/release/cognito-fusionauth
cd "$ROOT"
mkdir -p "$OUT"
echo "bench: building release binaries" >&2
cargo build --locked --release -p cognito-fusionauth-cli >&2
cargo build --locked --release -p cognito-fusionauth-gen >&2

rows=()
base_us=""
for n in $SIZES; do
  export_file=$OUT/scale-$n.json
  if [ ! -s "$export_file" ] || [ "$GEN" -nt "$export_file" ]; then
    echo "bench: generating $n users" >&2
    "$GEN" "$n" "$export_file.tmp" --dup-rate 0.001
    mv "$export_file.tmp" "$export_file"
  fi
  bytes=$(wc -c < "$export_file")
  dir=$OUT/scale-out-$n
  rm -rf "$dir"
  # This machine's timing drifts by a third between minutes: the median of RUNS runs at
  # every size (a single 10M run ranged from 1.3 to 1.9 times the 100k time per user), the
  # largest RSS.
  runs=$RUNS
  walls=(); users=(); syss=(); rss_kb=0
  for ((r = 1; r <= runs; r++)); do
    echo "bench: converting $n users (run $r of $runs)" >&2
    rm -rf "$dir"
    if ! "$TIME" -f '%e %U %S %M' -o "$OUT/scale-time" \
        "$BIN" convert --on-duplicate keep-newest --out "$dir" "$export_file" 2>"$OUT/scale-log"; then
      cat "$OUT/scale-log" >&2
      die "convert failed on $n users" 1
    fi
    read -r w u s k < "$OUT/scale-time"
    walls+=("$w"); users+=("$u"); syss+=("$s")
    [ "$k" -gt "$rss_kb" ] && rss_kb=$k
  done
  rm -rf "$dir"
  median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  wall=$(median "${walls[@]}"); user=$(median "${users[@]}"); sys=$(median "${syss[@]}")
  rows+=("$(python3 - "$n" "$bytes" "$wall" "$user" "$sys" "$rss_kb" "$base_us" <<'PY'
import sys
n, size, wall, user, sys_, rss_kb, base = sys.argv[1:8]
n, size, wall, cpu, rss = int(n), int(size), float(wall), float(sys.argv[4]) + float(sys_), int(rss_kb) * 1024
us = wall / n * 1e6
ratio = f"{us / float(base):.2f}×" if base else "1.00×"
print(f"| {n:,} | {size / 1e6:,.0f} MB | {wall:.2f} s | {cpu:.2f} s | {rss / 1e6:,.0f} MB | "
      f"{rss / n:,.0f} B | {rss / size:.2f}× | {us:.2f} µs | {ratio} |\t{us}")
PY
)")
  if [ -z "$base_us" ]; then base_us=${rows[-1]##*$'\t'}; fi
done

table="| users | export | wall | CPU | peak RSS | RSS per user | RSS / export | time per user | time per user / smallest |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do table+=$'\n'"${r%%$'\t'*}"; done
echo "$table" | tee "$OUT/scale.md"
