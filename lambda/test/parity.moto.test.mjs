// A user migrated by the connector must look like the same user imported in bulk: same id, same
// fields. The connector's answer for a login is compared with `cognito-fusionauth convert --seed 1`
// run on that user's AdminGetUser record, fetched from moto with the AWS SDK. Without
// COGNITO_USER_POOL_ID the connector reads GetUser, which lacks three fields; with it, it reads
// AdminGetUser too, and challenged users (SMS MFA, a forced password change) go through the same
// rules as everyone else.
import { test, before, after, mock } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { connectorUser } from "cognito-fusionauth";
import { createCognitoClient } from "../src/cognito.mjs";
import { loadConfig } from "../src/config.mjs";
import { createHandler } from "../src/handler.mjs";
import { CREDENTIALS, adminClient, startMoto } from "../testlib/moto.mjs";
import { PASSWORD, TEMPORARY_PASSWORD, addGuideUser, createFixturePool } from "../testlib/pool.mjs";
import { loginBody, restEvent } from "../testlib/events.mjs";

const CLI = process.env.CLI_BIN ?? fileURLToPath(new URL("../../target/debug/cognito-fusionauth", import.meta.url));
const APP = "85a03867-dccf-4882-adde-1a79aeec50df";
const TENANT = "30663132-6464-6665-3032-326466613934";
const SECRET = "parity-test-secret-0123456789";

/** Import-only fields (the placeholder password) and the connector's migration stamp. */
const BULK_ONLY = ["password", "salt", "encryptionScheme", "factor"];
const CONNECTOR_ONLY = ["migratedDate", "migratedFrom"];
/**
 * What GetUser cannot tell: it has no UserCreateDate, UserLastModifiedDate, UserStatus or
 * Enabled (GetUser's response has none of them), so the connector's user lacks what the rules derive from them
 * (`Enabled` falls back to the rule default `true`, so `active` still matches).
 */
const NOT_IN_GET_USER = ["insertInstant", "data.cognito.lastModifiedInstant", "data.cognito.userStatus"];

let moto;
let admin;
let pool;
let handler;
let dir;

before(async () => {
  assert.ok(existsSync(CLI), `the CLI binary ${CLI} is missing: build it (cargo build) or set CLI_BIN`);
  moto = await startMoto();
  admin = adminClient(moto.endpoint);
  pool = await createFixturePool(admin, "parity");
  await addGuideUser(admin, pool.poolId);
  Object.assign(process.env, {
    COGNITO_CLIENT_ID: pool.clientId, COGNITO_REGION: "us-east-1", COGNITO_ENDPOINT: moto.endpoint,
    CONNECTOR_AUTHORIZATION: SECRET, FUSIONAUTH_APPLICATION_ID: APP, FUSIONAUTH_TENANT_ID: TENANT,
    // The admin flow's calls are signed.
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  });
  delete process.env.MAPPING_RULES;
  ({ handler } = await import("../index.mjs"));
  dir = mkdtempSync(join(tmpdir(), "connector-parity-"));
});

after(async () => {
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function connectorLogin(loginId, password, h = handler) {
  const quiet = mock.method(console, "log", () => {});
  try {
    const response = await h(restEvent({ body: loginBody(loginId, password), headers: { Authorization: SECRET } }));
    assert.equal(response.statusCode, 200, response.body);
    return JSON.parse(response.body).user;
  } finally {
    quiet.mock.restore();
  }
}

/** The AdminGetUser response as JSON text (SDK dates become ISO-8601 strings). */
async function adminGetUserJson(username) {
  const { $metadata, ...record } = await admin.send(new AdminGetUserCommand({ UserPoolId: pool.poolId, Username: username }));
  return JSON.stringify(record, null, 2);
}

/**
 * The bulk path: `convert --seed 1` with the same tenant and application as the connector (and
 * `rules`, a rules file's JSON, when given).
 */
function bulkConvert(name, json, rules) {
  const input = join(dir, `${name}.json`);
  const out = join(dir, `${name}-out`);
  writeFileSync(input, json);
  const rulesArgs = [];
  if (rules) {
    writeFileSync(join(dir, `${name}-rules.json`), rules);
    rulesArgs.push("--rules", join(dir, `${name}-rules.json`));
  }
  execFileSync(CLI, ["convert", "--seed", "1", "--tenant-id", TENANT, "--application-id", APP, ...rulesArgs, "--out", out, input],
    { stdio: ["ignore", "ignore", "pipe"] });
  const { users } = JSON.parse(readFileSync(join(out, "users-0001.json"), "utf8"));
  assert.equal(users.length, 1);
  return users[0];
}

function without(user, paths) {
  const copy = structuredClone(user);
  for (const path of paths) {
    const keys = path.split(".");
    const last = keys.pop();
    const parent = keys.reduce((node, key) => node?.[key], copy);
    if (parent) delete parent[last];
  }
  return copy;
}

function paths(value, prefix = "") {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => paths(v, prefix ? `${prefix}.${k}` : k));
}

for (const [username, password] of [["alice", PASSWORD], ["user1", "Password#1"]]) {
  test(`${username}: the connector's user equals the bulk conversion of admin-get-user`, async () => {
    const connector = await connectorLogin(username, password);
    const json = await adminGetUserJson(username);
    const bulk = bulkConvert(username, json);

    assert.equal(connector.id, bulk.id);
    for (const field of BULK_ONLY) assert.ok(field in bulk, field);
    for (const field of CONNECTOR_ONLY) assert.ok(field in connector.data, field);
    const fromBulk = without(bulk, BULK_ONLY);
    const fromConnector = without(connector, CONNECTOR_ONLY.map((f) => `data.${f}`));

    // Every field the bulk record has is in the connector's user with the same value, except
    // the three GetUser cannot carry; and the connector adds nothing else.
    const missing = paths(fromBulk).filter((p) => !paths(fromConnector).includes(p));
    assert.deepEqual(missing.sort(), [...NOT_IN_GET_USER].sort());
    assert.deepEqual(fromConnector, without(fromBulk, NOT_IN_GET_USER));
    assert.ok(paths(fromConnector).length >= (username === "alice" ? 25 : 8));

    // The same engine fed the AdminGetUser record itself matches the bulk record on every field.
    const rules = JSON.parse(execFileSync(CLI, ["rules"], { encoding: "utf8" }));
    rules.settings.tenantId = TENANT;
    rules.settings.registrations = [{ applicationId: APP, roles: [] }];
    const full = connectorUser(json, { rules }).user;
    assert.deepEqual(without(full, CONNECTOR_ONLY.map((f) => `data.${f}`)), fromBulk);
  });
}

/** Rules carrying MFA: `cognito-fusionauth rules` with settings.carryMfa. */
function carryMfaRules() {
  const rules = JSON.parse(execFileSync(CLI, ["rules"], { encoding: "utf8" }));
  rules.settings.carryMfa = true;
  return JSON.stringify(rules);
}

// With COGNITO_USER_POOL_ID: AdminGetUser for every user, so nothing is missing, and the
// challenged users' MFA goes through the rules like the bulk path's. What only the connector
// adds: the migration stamp, and passwordChangeRequired for a forced password change (the bulk
// path covers that user with its password reset).
for (const [username, password, onlyConnector] of [
  ["alice", PASSWORD, []], ["milo", PASSWORD, []], ["frank", TEMPORARY_PASSWORD, ["passwordChangeRequired"]],
]) {
  test(`${username}, COGNITO_USER_POOL_ID set: the connector's user equals the bulk conversion on every field`, async () => {
    const rules = carryMfaRules();
    const config = loadConfig({ ...process.env, COGNITO_USER_POOL_ID: pool.poolId, MAPPING_RULES: rules });
    const admin = createHandler({ config, client: createCognitoClient(config) });
    const connector = await connectorLogin(username, password, admin);
    const bulk = bulkConvert(`${username}-admin`, await adminGetUserJson(username), rules);
    assert.equal(connector.id, bulk.id);
    const fromConnector = without(connector, [...CONNECTOR_ONLY.map((f) => `data.${f}`), ...onlyConnector]);
    assert.deepEqual(fromConnector, without(bulk, BULK_ONLY));
    for (const field of onlyConnector) assert.equal(connector[field], true, field);
    if (username === "milo") assert.deepEqual(connector.twoFactor, { methods: [{ method: "sms", mobilePhone: "+14325550000" }] });
  });
}
