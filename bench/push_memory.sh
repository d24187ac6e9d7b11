#!/usr/bin/env bash
# Delivery's memory: the peak RSS of `push --dry-run`, `verify` and `undo` on an N-user
# conversion (bench/push_memory.py), for this revision and, when BASE names one, an older
# revision's beside it, in one run. Saves the table to bench/out/push-memory.md.
#
# Usage: bench/push_memory.sh [N]      users (default 1000000)
# Env:   BASE=bbd7ec9   an older revision to measure beside (built once in a git worktree under
#                       bench/out/, with a target folder of its own; empty: none); by default
#                       the last one before delivery kept its plan compact
set -euo pipefail

N=${1:-1000000}
BASE=${BASE-bbd7ec9}
die() { echo "bench: $*" >&2; exit 2; }
case $N in ''|*[!0-9]*|0) die "N must be a positive integer, got '$N'";; esac
[ -x /usr/bin/time ] || die "GNU time not found at /usr/bin/time"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/base.sh
. "$ROOT/bench/base.sh"
OUT=$ROOT/bench/out
cd "$ROOT"
mkdir -p "$OUT"
echo "bench: building the release CLI" >&2
cargo build --locked --release -p cognito-fusionauth-cli >&2

OLD=""
if [ -n "$BASE" ]; then
  OLD=$(build_base "$BASE" "$OUT")
fi
python3 bench/push_memory.py "$N" $OLD | tee "$OUT/push-memory.md"
