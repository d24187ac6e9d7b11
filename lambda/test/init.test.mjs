// index.mjs as Lambda loads it: a fresh process, configuration only from the environment.
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
  assert.equal(lines[0].reason, "unauthorized");
});
