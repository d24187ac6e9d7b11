# Sourced by setup.sh and build-zip.sh (from lambda/, with `say` defined): runs `npm ci` when
# a pinned AWS SDK client is missing from node_modules or the lock file is newer than it.
sdk_missing() {
  local client
  for client in client-cognito-identity-provider client-ssm client-secrets-manager; do
    [ -d "node_modules/@aws-sdk/$client" ] || return 0
  done
  return 1
}
if sdk_missing || [ package-lock.json -nt node_modules ]; then
  say "installing the pinned npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --silent
fi
