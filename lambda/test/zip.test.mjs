// scripts/build-zip.sh builds a self-contained deployment package: one bundled ES module
// (index.mjs) beside the engine's WASM. Unpacked into an empty folder, far from this repository's
// node_modules and pkg/, its handler still reads its secrets from SSM and Secrets Manager and logs
// a user in (all against moto). The layout before the bundle (--unbundled, which bench.mjs
// compares against) still works the same way. challenge.moto.test.mjs runs the challenged users
// through the unpacked package too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildZip, entries, runConnector, unpack } from "../testlib/connector.mjs";
import { adminClient, startMoto } from "../testlib/moto.mjs";
import { PASSWORD, createFixturePool } from "../testlib/pool.mjs";
import { loginBody } from "../testlib/events.mjs";
import { createSecret, putParameter, storeClients, storeEnvironment } from "../testlib/stores.mjs";

const SECRET = "zip-test-secret-0123456789";
const APP = "85a03867-dccf-4882-adde-1a79aeec50df";

let dir;
let zip;
let moto;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "connector-zip-test-"));
  zip = buildZip(join(dir, "connector.zip"));
});

after(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the zip holds index.mjs, the engine's WASM beside it and the licences, nothing else", () => {
  const names = entries(zip);
  assert.deepEqual(names, ["THIRD_PARTY_LICENSES.txt", "cognito_fusionauth_bg.wasm", "index.mjs"]);
  assert.ok(statSync(zip).size < 2 * 1024 * 1024, "well under Lambda's 50 MB direct-upload limit");
});

test("index.mjs is one ES module: the SDK and the engine's glue are inside it, the SDK clients tree-shaken", () => {
  const root = unpack(zip, join(dir, "inspect"));
  const bundle = readFileSync(join(root, "index.mjs"), "utf8");
  // Nothing is left to resolve from node_modules (the zip has none: the login test below runs it).
  assert.ok(!/from\s*"(@aws-sdk|@smithy|cognito-fusionauth)/.test(bundle));
  // The request shapes of the calls the connector makes are there; the Cognito client's other
  // 100-odd are not. (The SSM and Secrets Manager clients keep theirs: their schema modules
  // register every error shape when loaded, which happens only when a secret is kept there.)
  for (const operation of ["InitiateAuth", "GetUser", "AdminInitiateAuth", "AdminGetUser", "GetParameter", "GetSecretValue"]) {
    assert.ok(bundle.includes(`"${operation}Request"`), operation);
  }
  for (const operation of ["ListUsers", "AdminDeleteUser", "AdminCreateUser", "SignUp", "ForgotPassword", "RespondToAuthChallenge"]) {
    assert.ok(!bundle.includes(`"${operation}Request"`), operation);
  }
  const licenses = readFileSync(join(root, "THIRD_PARTY_LICENSES.txt"), "utf8");
  assert.match(licenses, /^@aws-sdk\/client-cognito-identity-provider 3\.1169\.0 \(Apache-2\.0\)$/m);
  assert.match(licenses, /Apache License/);
});

test("the same sources give the same zip, byte for byte", () => {
  const again = buildZip(join(dir, "again.zip"));
  const hash = (f) => execFileSync("sha256sum", [f], { encoding: "utf8" }).split(" ")[0];
  assert.equal(hash(again), hash(zip));
});

/** Unpacks `file` and logs alice in there, the secrets in moto's SSM and Secrets Manager. */
async function unpackedLogin(file, name) {
  moto ??= await startMoto();
  const pool = await createFixturePool(adminClient(moto.endpoint), name);
  const stores = storeClients(moto.endpoint);
  const parameter = await putParameter(stores, `/${name}/authorization`, SECRET);
  const secretArn = await createSecret(stores, `${name}/client-secret`, "zip-test-client-secret");
  const root = unpack(file, join(dir, name));
  const event = {
    version: "2.0", requestContext: { http: { method: "POST" }, domainName: "x.lambda-url.us-east-1.on.aws" },
    rawPath: "/", headers: { authorization: SECRET }, isBase64Encoded: true,
    body: Buffer.from(loginBody("alice", PASSWORD)).toString("base64"),
  };
  const run = await runConnector(root, {
    ...storeEnvironment(moto.endpoint), COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint,
    CONNECTOR_AUTHORIZATION_FROM: parameter, COGNITO_CLIENT_SECRET_FROM: secretArn, FUSIONAUTH_APPLICATION_ID: APP,
    FUSIONAUTH_READ_TIMEOUT_MS: "3000",
  }, [event]);
  assert.equal(run.status, 0, run.stderr);
  return { root, run };
}

test("unpacked on its own, the handler reads its secrets from SSM and Secrets Manager and logs a user in", async () => {
  const { run } = await unpackedLogin(zip, "bundled");
  assert.deepEqual([run.init.level, run.init.secrets], ["info", { authorization: "ssm", clientSecret: "secretsmanager" }]);
  const [{ response }] = run.results;
  assert.equal(response.statusCode, 200, response.body);
  const { user } = JSON.parse(response.body);
  assert.equal(user.username, "alice");
  assert.deepEqual(user.registrations, [{ applicationId: APP }]);
});

test("the layout before the bundle (--unbundled) still builds and logs a user in", async () => {
  const old = buildZip(join(dir, "unbundled.zip"), { unbundled: true });
  const names = entries(old);
  for (const name of ["index.mjs", "package.json", "src/handler.mjs", "src/challenge.mjs",
    "node_modules/cognito-fusionauth/node/cognito_fusionauth_bg.wasm", "node_modules/@aws-sdk/client-cognito-identity-provider/package.json"]) {
    assert.ok(names.includes(name), name);
  }
  assert.equal(names.filter((n) => /\/dist-(es|types)\/|\.d\.ts$|(^|\/)esbuild\//.test(n)).length, 0, "CommonJS builds only, no dev dependency");
  const { root, run } = await unpackedLogin(old, "unbundled");
  assert.ok(readdirSync(root).includes("node_modules"));
  assert.equal(run.results[0].response.statusCode, 200, run.results[0].response.body);
});
