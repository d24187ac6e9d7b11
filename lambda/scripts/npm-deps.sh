# Sourced by setup.sh and build-zip.sh (from lambda/, with `say` defined): runs `npm ci` when
# a pinned AWS SDK client or esbuild (the bundler of the zip) is missing from node_modules or
# the lock file is newer than it.
deps_missing() {
  local dir
  for dir in @aws-sdk/client-cognito-identity-provider @aws-sdk/client-ssm @aws-sdk/client-secrets-manager esbuild; do
    [ -d "node_modules/$dir" ] || return 0
  done
  return 1
}
if deps_missing || [ package-lock.json -nt node_modules ]; then
  say "installing the pinned npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --silent
fi
