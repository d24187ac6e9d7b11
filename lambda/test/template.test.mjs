// lambda/template.yaml passes cfn-lint (PyPI; scripts/setup.sh installs it) and keeps the
// properties the README promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TEMPLATE = fileURLToPath(new URL("../template.yaml", import.meta.url));
const CFN_LINT = process.env.CFN_LINT ?? "cfn-lint";

function lint(file) {
  const run = spawnSync(CFN_LINT, [file], { encoding: "utf8" });
  if (run.error) throw new Error(`cannot run ${CFN_LINT} (${run.error.message}): run lambda/scripts/setup.sh`);
  return run;
}

test("cfn-lint passes on template.yaml", () => {
  const run = lint(TEMPLATE);
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});

test("cfn-lint really checks: a broken copy fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "cfn-lint-"));
  try {
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, readFileSync(TEMPLATE, "utf8").replace("Runtime: nodejs22.x", "Runtime: nodejs1.x"));
    const run = lint(broken);
    assert.notEqual(run.status, 0);
    assert.match(run.stdout, /nodejs1\.x/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the template's promises: runtime, handler, logs-only role, NoEcho secret, both endpoints", () => {
  const yaml = readFileSync(TEMPLATE, "utf8");
  assert.match(yaml, /Runtime: nodejs22\.x/);
  assert.match(yaml, /Handler: index\.handler/);
  assert.match(yaml, /ConnectorAuthorization:\n(?:\s{4}.*\n)*?\s{4}NoEcho: true/);
  const actions = [...yaml.matchAll(/Action: \[?([\w:, ]+)\]?/g)].map((m) => m[1]);
  assert.deepEqual(actions, ["sts:AssumeRole", "logs:CreateLogStream, logs:PutLogEvents",
    "lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "lambda:InvokeFunction"]);
  assert.doesNotMatch(yaml, /cognito-idp:/);
  for (const variable of ["COGNITO_CLIENT_ID", "COGNITO_REGION", "CONNECTOR_AUTHORIZATION", "FUSIONAUTH_APPLICATION_ID",
    "FUSIONAUTH_TENANT_ID", "MAPPING_RULES", "COGNITO_CLIENT_SECRET"]) {
    assert.match(yaml, new RegExp(`\\n {10}${variable}: `), variable);
  }
  assert.match(yaml, /Type: AWS::Lambda::Url/);
  assert.match(yaml, /InvokedViaFunctionUrl: true/);
  assert.match(yaml, /Type: AWS::ApiGatewayV2::Api/);
});
