# Sourced by the benchmarks that measure an older revision beside this one.
# build_base REV OUT: builds the CLI at REV once, in a git worktree under OUT with a target
# folder of its own, and prints the binary's path.
build_base() {
  local rev tree
  rev=$(git rev-parse --verify --quiet "$1^{commit}") || { echo "bench: BASE $1 is not a revision" >&2; exit 2; }
  tree=$2/base-${rev:0:12}
  if [ ! -x "$tree/target/release/cognito-fusionauth" ]; then
    echo "bench: building the CLI at $1 (${rev:0:12}) in $tree" >&2
    [ -d "$tree/src" ] || git worktree add --detach "$tree/src" "$rev" >&2
    CARGO_TARGET_DIR=$tree/target cargo build --locked --release \
      --manifest-path "$tree/src/Cargo.toml" -p cognito-fusionauth-cli >&2
  fi
  echo "$tree/target/release/cognito-fusionauth"
}
