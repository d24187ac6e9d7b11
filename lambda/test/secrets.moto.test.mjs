// The secrets read at init from moto's SSM Parameter Store and Secrets Manager: through
// initConfig with the real SDK readers, and through index.mjs in a fresh process as Lambda loads
// it (the SDK reaches moto through AWS_ENDPOINT_URL_SSM / _SECRETS_MANAGER).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConfigError, initConfig } from "../src/config.mjs";
import { storeReaders } from "../src/secrets.mjs";
import { CREDENTIALS, adminClient, startMoto } from "../testlib/moto.mjs";
import { PASSWORD, createFixturePool } from "../testlib/pool.mjs";
import { createSecret, putParameter, storeClients, storeEnvironment } from "../testlib/stores.mjs";
import { loginBody } from "../testlib/events.mjs";

const INDEX = new URL("../index.mjs", import.meta.url).href;
const LAMBDA_DIR = fileURLToPath(new URL("..", import.meta.url));
const APP = "85a03867-dccf-4882-adde-1a79aeec50df";
const AUTHORIZATION = "ssm-held-authorization-0123456789";
const CLIENT_SECRET = "secrets-manager-held-client-secret";
const AUTHORIZATION_IN_SM = "sm-held-authorization-9876543210";
const CLIENT_SECRET_IN_SSM = "ssm-held-client-secret";

let moto;
let pool;
const refs = {};

before(async () => {
  moto = await startMoto();
  pool = await createFixturePool(adminClient(moto.endpoint), "secrets");
  const clients = storeClients(moto.endpoint);
  refs.authorizationParameter = await putParameter(clients, "/cognito-connector/authorization", AUTHORIZATION);
  refs.clientSecretArn = await createSecret(clients, "cognito-connector/client-secret", CLIENT_SECRET);
  refs.authorizationArn = await createSecret(clients, "cognito-connector/authorization", AUTHORIZATION_IN_SM);
  await putParameter(clients, "/cognito-connector/client-secret", CLIENT_SECRET_IN_SSM);
  refs.clientSecretParameterArn = "arn:aws:ssm:us-east-1:123456789012:parameter/cognito-connector/client-secret";
  refs.stringParameter = await putParameter(clients, "/cognito-connector/plain-string", AUTHORIZATION, "String");
});

after(async () => {
  await moto?.stop();
});

const BASE_ENV = { COGNITO_CLIENT_ID: "abc123client", AWS_REGION: "us-east-1", FUSIONAUTH_APPLICATION_ID: APP };
const readers = () => storeReaders({ endpoint: moto.endpoint, credentials: CREDENTIALS });

test("initConfig: Authorization from an SSM SecureString (decrypted), client secret from Secrets Manager", async () => {
  const { config, sources, warnings } = await initConfig({
    ...BASE_ENV, CONNECTOR_AUTHORIZATION_FROM: refs.authorizationParameter, COGNITO_CLIENT_SECRET_FROM: refs.clientSecretArn,
  }, { readers: readers() });
  assert.equal(config.authorization, AUTHORIZATION, "WithDecryption: moto returns kms:alias/aws/ssm:… without it");
  assert.equal(config.clientSecret, CLIENT_SECRET);
  assert.deepEqual(sources, { authorization: "ssm", clientSecret: "secretsmanager" });
  assert.deepEqual(warnings, []);
});

test("initConfig: the other way round, the SSM parameter by its ARN", async () => {
  const { config, sources } = await initConfig({
    ...BASE_ENV, CONNECTOR_AUTHORIZATION_FROM: refs.authorizationArn, COGNITO_CLIENT_SECRET_FROM: refs.clientSecretParameterArn,
  }, { readers: readers() });
  assert.equal(config.authorization, AUTHORIZATION_IN_SM);
  assert.equal(config.clientSecret, CLIENT_SECRET_IN_SSM);
  assert.deepEqual(sources, { authorization: "secretsmanager", clientSecret: "ssm" });
});

test("initConfig: a String parameter is read, with a warning", async () => {
  const { config, warnings } = await initConfig({ ...BASE_ENV, CONNECTOR_AUTHORIZATION_FROM: refs.stringParameter }, { readers: readers() });
  assert.equal(config.authorization, AUTHORIZATION);
  assert.deepEqual(warnings, [`CONNECTOR_AUTHORIZATION_FROM: the SSM parameter "${refs.stringParameter}" is a String, not a SecureString`]);
});

test("initConfig: a missing parameter and a missing secret, named in one ConfigError", async () => {
  const missingArn = refs.clientSecretArn.replace(/-\w{6}$/, "-AAAAAA");
  const error = await initConfig({
    ...BASE_ENV, CONNECTOR_AUTHORIZATION_FROM: "/cognito-connector/missing", COGNITO_CLIENT_SECRET_FROM: missingArn,
  }, { readers: readers() }).then(() => assert.fail("init passed"), (e) => e);
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.problems, [
    'CONNECTOR_AUTHORIZATION_FROM: the SSM parameter "/cognito-connector/missing" does not exist (region us-east-1)',
    `COGNITO_CLIENT_SECRET_FROM: the Secrets Manager secret "${missingArn}" does not exist (region us-east-1)`,
  ]);
});

/** Runs `script` after importing index.mjs in a fresh Node with exactly `env` (plus PATH). */
function runIndex(env, script = "") {
  const code = `const m = await import(${JSON.stringify(INDEX)}); ${script}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      cwd: LAMBDA_DIR, env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => { stdout += c; });
    child.stderr.on("data", (c) => { stderr += c; });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const jsonLines = (text) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

/** A block of code logging alice in through the loaded handler `m` with `authorization`. */
const LOGIN = (authorization) => `{
  const event = { httpMethod: "POST", path: "/", headers: { Authorization: ${JSON.stringify(authorization)} },
    body: ${JSON.stringify(loginBody("alice", PASSWORD))} };
  const response = await m.handler(event, { awsRequestId: "secrets-test" });
  process.stdout.write("\\n" + JSON.stringify({ result: response.statusCode }) + "\\n");
}`;

test("index.mjs: init reads both secrets from the stores, logs where from, and the stored Authorization logs a user in", async () => {
  const run = await runIndex({
    ...BASE_ENV, ...storeEnvironment(moto.endpoint), COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint,
    CONNECTOR_AUTHORIZATION_FROM: refs.authorizationParameter, COGNITO_CLIENT_SECRET_FROM: refs.clientSecretArn,
  }, `${LOGIN(AUTHORIZATION)} ${LOGIN("wrong-authorization-value")}`);
  assert.equal(run.status, 0, run.stderr);
  const lines = jsonLines(run.stdout);
  const init = lines.find((l) => l.msg === "connector init");
  assert.equal(init.level, "info");
  assert.deepEqual(init.secrets, { authorization: "ssm", clientSecret: "secretsmanager" });
  assert.equal(init.warnings, undefined);
  assert.equal(typeof init.ms, "number");
  const results = lines.filter((l) => "result" in l).map((l) => l.result);
  assert.deepEqual(results, [200, 401]);
  for (const secret of [AUTHORIZATION, CLIENT_SECRET]) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), "a secret reached the output");
  }
});

test("index.mjs: a missing parameter fails the init with one line naming it", async () => {
  const run = await runIndex({
    ...BASE_ENV, ...storeEnvironment(moto.endpoint), CONNECTOR_AUTHORIZATION_FROM: "/cognito-connector/missing",
  });
  assert.notEqual(run.status, 0);
  const [line] = jsonLines(run.stderr);
  assert.deepEqual([line.level, line.msg, line.reason], ["error", "connector init failed", "invalid-configuration"]);
  assert.deepEqual(line.problems, ['CONNECTOR_AUTHORIZATION_FROM: the SSM parameter "/cognito-connector/missing" does not exist (region us-east-1)']);
  assert.equal(jsonLines(run.stdout).filter((l) => l.msg === "connector init").length, 0);
});
