#!/bin/sh
# Benchmark peer: the other approach FusionAuth's "Migrate from Amazon Cognito" guide suggests
# for a bulk import, "use a tool like jq", as one jq program. It is no part of
# cognito-fusionauth: it reproduces the guide's published mapping (as bench/peers/guide-node.mjs
# does in Node.js), only so that bench/run.sh can compare our converter with it.
#
# Maps every list-users entry to a FusionAuth import user (sub or Username → id, Username,
# email, given/middle/family name, email_verified → verified, Enabled → active,
# UserCreateDate → insertInstant, tenantId, data.importSource = "cognito", data.website, a
# placeholder salted-sha256 password, one registration) and counts case-insensitive duplicate
# emails (`.duplicates`). jq has no random source, so the placeholder password is the sub.
#
# Usage: bench/peers/guide-jq.sh EXPORT.json OUT.json
jq -c '
  def attr($n): (.Attributes // .UserAttributes) | map(select(.Name == $n)) | (.[0].Value // null);
  {users: [.Users[] | {
      id: (attr("sub") // .Username), username: .Username, email: attr("email"),
      firstName: attr("given_name"), middleName: attr("middle_name"), lastName: attr("family_name"),
      verified: (attr("email_verified") == "true"), active: (.Enabled != false),
      insertInstant: (if (.UserCreateDate|type) == "number" then (.UserCreateDate*1000|floor) else (.UserCreateDate | sub("\\.[0-9]+"; "") | sub("(?<h>[+-][0-9]{2}):(?<m>[0-9]{2})$"; "\(.h)\(.m)") | strptime("%Y-%m-%dT%H:%M:%S%z") | mktime * 1000) end),
      tenantId: "30663132-6464-6665-3032-326466613934",
      password: attr("sub"), encryptionScheme: "salted-sha256", salt: "c2FsdA==",
      data: {importSource: "cognito", website: attr("website")},
      registrations: [{applicationId: "85a03867-dccf-4882-adde-1a79aeec50df"}]
  } | with_entries(select(.value != null))]}
  | .duplicates = ([.users[] | .email | select(. != null) | ascii_downcase] | group_by(.) | map(select(length > 1)) | length)
' "$1" > "$2"
