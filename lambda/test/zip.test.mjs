// scripts/build-zip.sh builds a self-contained deployment package: unpacked into an empty
// folder, far from this repository's node_modules and pkg/, its handler still reads its secrets
// from SSM and Secrets Manager and logs a user in (all against moto) with the bundled SDK clients
// and WASM engine.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { adminClient, startMoto } from "../testlib/moto.mjs";
import { PASSWORD, createFixturePool } from "../testlib/pool.mjs";
import { loginBody } from "../testlib/events.mjs";
import { createSecret, putParameter, storeClients, storeEnvironment } from "../testlib/stores.mjs";

const SCRIPT = fileURLToPath(new URL("../scripts/build-zip.sh", import.meta.url));
const SECRET = "zip-test-secret-0123456789";
const APP = "85a03867-dccf-4882-adde-1a79aeec50df";

let dir;
let zip;
let moto;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "connector-zip-test-"));
  zip = join(dir, "connector.zip");
  execFileSync("bash", [SCRIPT, zip], { stdio: ["ignore", "ignore", "pipe"] });
});

after(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The zip's entry names, read with Python's zipfile (no unzip needed). */
function entries(file) {
  const script = "import sys, zipfile, json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))";
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" }));
}

test("the zip holds the handler, the sources, the SDK and the engine's Node build only", () => {
  const names = entries(zip);
  for (const name of ["index.mjs", "package.json", "src/handler.mjs", "src/config.mjs", "src/cognito.mjs", "src/event.mjs",
    "src/auth.mjs", "src/body.mjs", "src/mapping.mjs", "src/log.mjs", "src/secrets.mjs", "src/deadline.mjs", "src/mask.mjs",
    "node_modules/cognito-fusionauth/package.json", "node_modules/cognito-fusionauth/node/cognito_fusionauth.js",
    "node_modules/cognito-fusionauth/node/cognito_fusionauth_bg.wasm",
    "node_modules/@aws-sdk/client-cognito-identity-provider/package.json",
    "node_modules/@aws-sdk/client-ssm/package.json", "node_modules/@aws-sdk/client-ssm/dist-cjs/index.js",
    "node_modules/@aws-sdk/client-secrets-manager/package.json", "node_modules/@aws-sdk/client-secrets-manager/dist-cjs/index.js"]) {
    assert.ok(names.includes(name), name);
  }
  // CommonJS builds only, for all three SDK clients.
  assert.equal(names.filter((n) => /\/dist-(es|types)\//.test(n)).length, 0);
  assert.equal(names.filter((n) => n.startsWith("test/") || n.includes("/web/") || n.startsWith("scripts/")).length, 0);
  assert.equal(names.filter((n) => n.endsWith(".d.ts")).length, 0);
  assert.ok(statSync(zip).size < 5 * 1024 * 1024, "well under Lambda's 50 MB direct-upload limit");
  assert.deepEqual([...names].sort(), names, "entries are sorted (reproducible zip)");
});

test("the same sources give the same zip, byte for byte", () => {
  const again = join(dir, "again.zip");
  execFileSync("bash", [SCRIPT, again], { stdio: ["ignore", "ignore", "pipe"] });
  const hash = (f) => execFileSync("sha256sum", [f], { encoding: "utf8" }).split(" ")[0];
  assert.equal(hash(again), hash(zip));
});

test("unpacked on its own, the handler reads its secrets from SSM and Secrets Manager and logs a user in", async () => {
  moto = await startMoto();
  const pool = await createFixturePool(adminClient(moto.endpoint));
  const stores = storeClients(moto.endpoint);
  const parameter = await putParameter(stores, "/zip-test/authorization", SECRET);
  const secretArn = await createSecret(stores, "zip-test/client-secret", "zip-test-client-secret");
  const root = join(dir, "unpacked");
  execFileSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, root]);
  assert.ok(readdirSync(root).includes("node_modules"));

  const script = `
    const { handler } = await import("./index.mjs");
    const event = { version: "2.0", requestContext: { http: { method: "POST" }, domainName: "x.lambda-url.us-east-1.on.aws" },
      rawPath: "/", headers: { authorization: ${JSON.stringify(SECRET)} }, isBase64Encoded: true,
      body: Buffer.from(${JSON.stringify(loginBody("alice", PASSWORD))}).toString("base64") };
    const response = await handler(event, { awsRequestId: "zip", getRemainingTimeInMillis: () => 9000 });
    process.stdout.write("\\nRESULT " + JSON.stringify(response) + "\\n");`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    encoding: "utf8",
    env: {
      PATH: process.env.PATH, NODE_PATH: "", ...storeEnvironment(moto.endpoint),
      COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint,
      CONNECTOR_AUTHORIZATION_FROM: parameter, COGNITO_CLIENT_SECRET_FROM: secretArn, FUSIONAUTH_APPLICATION_ID: APP,
      FUSIONAUTH_READ_TIMEOUT_MS: "3000",
    },
  });
  assert.equal(run.status, 0, run.stderr);
  const init = run.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.msg === "connector init");
  assert.deepEqual([init.level, init.secrets], ["info", { authorization: "ssm", clientSecret: "secretsmanager" }]);
  const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  const response = JSON.parse(line.slice("RESULT ".length));
  assert.equal(response.statusCode, 200, response.body);
  const { user } = JSON.parse(response.body);
  assert.equal(user.username, "alice");
  assert.deepEqual(user.registrations, [{ applicationId: APP }]);
});
