// Benchmark peer: the approach FusionAuth's "Migrate from Amazon Cognito" guide publishes,
// done the plain Node.js way. It is no part of cognito-fusionauth: it reproduces the guide's
// published mapping, only so that bench/run.sh can compare our converter with it.
//
// The guide's Connector Lambda maps a Cognito user with `processUserJSON`: Username → username
// (and id when there is no sub), sub → id, email → email, given_name → firstName,
// family_name → lastName, email_verified ("true") → verified, website → data.website,
// registrations = [{applicationId}]. Its bulk-import steps add tenantId,
// data.importSource = "cognito", a random password with "any valid" encryptionScheme and
// salt, and "ensure that the email address is unique". This applies that mapping to every
// user of a list-users export (middle_name, Enabled and UserCreateDate too, which the export
// carries): JSON.parse the whole export, map each user, count case-insensitive duplicate
// emails, write import files of `chunk` users (bench/out/node/users-0001.json, …).
//
// Usage: node bench/peers/guide-node.mjs EXPORT.json OUTDIR [chunk]   (chunk: default 10000)
// Prints "users=N duplicate_emails=D" on stderr.
import fs from "node:fs";
import crypto from "node:crypto";
const [,, input, outdir, chunkArg] = process.argv;
const chunk = Number(chunkArg || 10000);
const tenantId = "30663132-6464-6665-3032-326466613934";
const applicationId = "85a03867-dccf-4882-adde-1a79aeec50df";
function attr(attributes, name) {
  const a = attributes && attributes.find(o => o.Name === name);
  return a ? a.Value : null;
}
function processUser(u) {
  const attributes = u.Attributes || u.UserAttributes;
  const user = { data: { importSource: "cognito" } };
  const website = attr(attributes, "website"); if (website != null) user.data.website = website;
  user.username = u.Username;
  const email = attr(attributes, "email"); if (email != null) user.email = email;
  user.id = attr(attributes, "sub") || u.Username;
  const fn = attr(attributes, "given_name"); if (fn != null) user.firstName = fn;
  const mn = attr(attributes, "middle_name"); if (mn != null) user.middleName = mn;
  const ln = attr(attributes, "family_name"); if (ln != null) user.lastName = ln;
  const ev = attr(attributes, "email_verified"); if (ev != null) user.verified = ev === "true";
  user.active = u.Enabled !== false;
  if (u.UserCreateDate) user.insertInstant = typeof u.UserCreateDate === "number" ? Math.round(u.UserCreateDate * 1000) : Date.parse(u.UserCreateDate);
  user.tenantId = tenantId;
  user.password = crypto.randomBytes(32).toString("base64");
  user.encryptionScheme = "salted-sha256";
  user.salt = crypto.randomBytes(16).toString("base64");
  user.registrations = [{ applicationId }];
  return user;
}
const exp = JSON.parse(fs.readFileSync(input, "utf8"));
const users = exp.Users.map(processUser);
const seen = new Map(); let dups = 0;
for (const u of users) { if (!u.email) continue; const k = u.email.toLowerCase(); if (seen.has(k)) dups++; else seen.set(k, u.id); }
fs.mkdirSync(outdir, { recursive: true });
for (let i = 0; i * chunk < users.length; i++) {
  fs.writeFileSync(`${outdir}/users-${String(i + 1).padStart(4, "0")}.json`, JSON.stringify({ users: users.slice(i * chunk, (i + 1) * chunk) }));
}
console.error(`users=${users.length} duplicate_emails=${dups}`);
