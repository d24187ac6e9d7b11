// index.mjs as Lambda loads it: a fresh process, configuration only from the environment (the
// plain-variable path; the SSM and Secrets Manager path is in secrets.moto.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const INDEX = new URL("../index.mjs", import.meta.url).href;
const LAMBDA_DIR = fileURLToPath(new URL("..", import.meta.url));

/** Imports index.mjs in a child with exactly `env` (plus PATH) and runs `after` on the module. */
function load(env, after = "") {
  const script = `const m = await import(${JSON.stringify(INDEX)}); ${after}`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: LAMBDA_DIR, encoding: "utf8", env: { PATH: process.env.PATH, ...env },
  });
}

const jsonLines = (text) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

test("missing configuration fails the init with one log line naming every problem", () => {
  const run = load({ CONNECTOR_AUTHORIZATION: "short" });
  assert.notEqual(run.status, 0);
  const [line] = jsonLines(run.stderr);
  assert.equal(line.level, "error");
  assert.equal(line.msg, "connector init failed");
  assert.equal(line.reason, "invalid-configuration");
  assert.deepEqual(line.problems, [
    "COGNITO_CLIENT_ID is required (the Cognito app client id)",
    "COGNITO_REGION is required when AWS_REGION is not set",
    "CONNECTOR_AUTHORIZATION must be at least 16 characters",
    "FUSIONAUTH_APPLICATION_ID is required (the FusionAuth application id)",
  ]);
  assert.ok(!run.stderr.includes("short\""), "the secret is not logged");
});

test("a complete configuration loads and exports the handler (region from AWS_REGION)", () => {
  const run = load({
    COGNITO_CLIENT_ID: "client", AWS_REGION: "eu-central-1", CONNECTOR_AUTHORIZATION: "0123456789abcdef0123",
    FUSIONAUTH_APPLICATION_ID: "85a03867-dccf-4882-adde-1a79aeec50df",
  }, `const r = await m.handler({ httpMethod: "POST", headers: {}, body: "{}" });
      process.stdout.write("\\n" + JSON.stringify({ type: typeof m.handler, status: r.statusCode }) + "\\n");`);
  assert.equal(run.status, 0, run.stderr);
  const lines = jsonLines(run.stdout);
  assert.deepEqual(lines.at(-1), { type: "function", status: 401 });
  assert.equal(lines.find((l) => l.msg === "connector request").reason, "unauthorized");
});

test("plain secret variables (local tests only) work, and the init log line warns about each", () => {
  const secret = "plain-variable-secret-0123456789";
  const run = load({
    COGNITO_CLIENT_ID: "client", AWS_REGION: "eu-central-1", CONNECTOR_AUTHORIZATION: secret, COGNITO_CLIENT_SECRET: "plain-client-secret",
    FUSIONAUTH_APPLICATION_ID: "85a03867-dccf-4882-adde-1a79aeec50df",
  });
  assert.equal(run.status, 0, run.stderr);
  const [init] = jsonLines(run.stdout);
  assert.deepEqual([init.level, init.msg], ["warn", "connector init"]);
  assert.deepEqual(init.secrets, { authorization: "environment", clientSecret: "environment" });
  assert.deepEqual(init.warnings, [
    "CONNECTOR_AUTHORIZATION is a plain environment variable: for local tests only; deploy with CONNECTOR_AUTHORIZATION_FROM "
      + "(an SSM SecureString parameter or a Secrets Manager secret)",
    "COGNITO_CLIENT_SECRET is a plain environment variable: for local tests only; deploy with COGNITO_CLIENT_SECRET_FROM "
      + "(an SSM SecureString parameter or a Secrets Manager secret)",
  ]);
  assert.ok(!run.stdout.includes(secret) && !run.stdout.includes("plain-client-secret"), "the values are not logged");
});

test("both a plain variable and its _FROM reference: the init fails naming the conflict", () => {
  const run = load({
    COGNITO_CLIENT_ID: "client", AWS_REGION: "eu-central-1", CONNECTOR_AUTHORIZATION: "plain-variable-secret-0123456789",
    CONNECTOR_AUTHORIZATION_FROM: "/cognito-connector/authorization", FUSIONAUTH_APPLICATION_ID: "85a03867-dccf-4882-adde-1a79aeec50df",
  });
  assert.notEqual(run.status, 0);
  const [line] = jsonLines(run.stderr);
  assert.deepEqual(line.problems, ["set CONNECTOR_AUTHORIZATION_FROM or CONNECTOR_AUTHORIZATION, not both"]);
});
