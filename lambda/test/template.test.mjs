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

test("the template's promises: runtime, handler, both endpoints, no secret in parameters or environment", () => {
  const yaml = readFileSync(TEMPLATE, "utf8");
  assert.match(yaml, /Runtime: nodejs22\.x/);
  assert.match(yaml, /Handler: index\.handler/);
  for (const variable of ["COGNITO_CLIENT_ID", "COGNITO_REGION", "CONNECTOR_AUTHORIZATION_FROM", "FUSIONAUTH_APPLICATION_ID",
    "FUSIONAUTH_TENANT_ID", "MAPPING_RULES", "COGNITO_CLIENT_SECRET_FROM", "FUSIONAUTH_READ_TIMEOUT_MS", "COGNITO_USER_POOL_ID", "TOTP_USERS"]) {
    assert.match(yaml, new RegExp(`\\n {10}${variable}: `), variable);
  }
  // The secrets themselves: neither a parameter (NoEcho or not) nor a plain variable.
  assert.doesNotMatch(yaml, /\n {10}(CONNECTOR_AUTHORIZATION|COGNITO_CLIENT_SECRET): /);
  assert.doesNotMatch(yaml, /NoEcho/);
  assert.doesNotMatch(yaml, /\n {2}(ConnectorAuthorization|CognitoClientSecret):/);
  assert.match(yaml, /Type: AWS::Lambda::Url/);
  assert.match(yaml, /InvokedViaFunctionUrl: true/);
  assert.match(yaml, /Type: AWS::ApiGatewayV2::Api/);
});

/** A resource's block: from `  Name:` to the next line indented by two spaces. */
function block(yaml, name) {
  const match = new RegExp(`\\n  ${name}:\\n((?: {4}.*\\n|\\n)*)`).exec(yaml);
  assert.ok(match, `no ${name}`);
  return match[1];
}

test("the role: logs, reading exactly the configured parameter or secret (kms:Decrypt only via the two services), the admin calls on the pool", () => {
  const yaml = readFileSync(TEMPLATE, "utf8");
  const actions = [...yaml.matchAll(/Action: \[?([\w:, -]+)\]?/g)].map((m) => m[1]);
  assert.deepEqual(actions, ["sts:AssumeRole", "logs:CreateLogStream, logs:PutLogEvents",
    "ssm:GetParameter", "secretsmanager:GetSecretValue", "ssm:GetParameter", "secretsmanager:GetSecretValue", "kms:Decrypt",
    "cognito-idp:AdminInitiateAuth, cognito-idp:AdminGetUser", "lambda:InvokeFunctionUrl", "lambda:InvokeFunction", "lambda:InvokeFunction"]);
  const role = block(yaml, "Role");
  const statement = (action) => [...role.matchAll(new RegExp(`Action: ${action}\\n\\s*Resource: (.*)`, "g"))].map((m) => m[1]);
  assert.deepEqual(statement("ssm:GetParameter"), [
    '!Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ConnectorAuthorizationSsmParameter}"',
    '!Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${CognitoClientSecretSsmParameter}"',
  ]);
  assert.deepEqual(statement("secretsmanager:GetSecretValue"),
    ["!Ref ConnectorAuthorizationSecretsManagerArn", "!Ref CognitoClientSecretSecretsManagerArn"]);
  assert.deepEqual(statement("kms:Decrypt"), ["!Ref SecretsKmsKeyArn"]);
  assert.match(role, /kms:ViaService:\n\s*- !Sub "ssm\.\$\{AWS::Region\}\.amazonaws\.com"\n\s*- !Sub "secretsmanager\./);
  assert.doesNotMatch(yaml, /Resource: "\*"|Resource: '\*'|Resource: \*/);
  // Cognito: the two admin calls, on the one pool's ARN (its region from the pool id), only with a pool id.
  assert.equal(yaml.match(/cognito-idp:/g).length, 3, "no other Cognito action, no cognito-idp:*");
  assert.match(role, /\n {8}- !If\n {10}- HasUserPoolId\n {10}- PolicyName: cognito\n/);
  assert.match(role, /Action: \[cognito-idp:AdminInitiateAuth, cognito-idp:AdminGetUser\]\n\s*Resource: !Sub\n\s*- "arn:\$\{AWS::Partition\}:cognito-idp:\$\{PoolRegion\}:\$\{AWS::AccountId\}:userpool\/\$\{CognitoUserPoolId\}"\n\s*- PoolRegion: !Select \[0, !Split \["_", !Ref CognitoUserPoolId\]\]\n/);
  assert.match(yaml, /\n {2}HasUserPoolId: !Not \[!Equals \[!Ref CognitoUserPoolId, ""\]\]\n/);
  assert.match(block(yaml, "TotpUsers"), /AllowedValues: \[refuse, migrate\]\n {4}Default: refuse\n/);
  // Exactly one source for the Authorization value, at most one for the client secret.
  assert.match(yaml, /\nRules:\n {2}OneAuthorizationSource:\n[\s\S]*?\n {2}AtMostOneClientSecretSource:\n/);
});

test("limits: reserved concurrency (or none) and throttling on the HTTP API's route", () => {
  const yaml = readFileSync(TEMPLATE, "utf8");
  assert.match(block(yaml, "ReservedConcurrency"), /Type: Number\n(?:.*\n)*? {4}Default: 10\n {4}MinValue: -1\n/);
  assert.match(yaml, /\n {2}HasReservedConcurrency: !Not \[!Equals \[!Ref ReservedConcurrency, "-1"\]\]\n/);
  assert.match(block(yaml, "Function"),
    /\n {6}ReservedConcurrentExecutions: !If \[HasReservedConcurrency, !Ref ReservedConcurrency, !Ref AWS::NoValue\]\n/);
  for (const [name, value] of [["ThrottlingRateLimit", 50], ["ThrottlingBurstLimit", 100]]) {
    assert.match(block(yaml, name), new RegExp(`Type: Number\\n(?:.*\\n)*? {4}Default: ${value}\\n`), name);
  }
  const stage = block(yaml, "HttpApiStage");
  assert.match(stage, /Type: AWS::ApiGatewayV2::Stage\n {4}Condition: UseHttpApi\n/);
  assert.match(stage, /StageName: \$default\n {6}AutoDeploy: true\n/);
  assert.match(stage, /DefaultRouteSettings:\n {8}ThrottlingRateLimit: !Ref ThrottlingRateLimit\n {8}ThrottlingBurstLimit: !Ref ThrottlingBurstLimit\n/);
  assert.match(block(yaml, "HttpApiRoute"), /RouteKey: "POST \/"\n {6}Target: !Sub "integrations\/\$\{HttpApiIntegration\}"/);
  assert.match(block(yaml, "HttpApiIntegration"), /IntegrationType: AWS_PROXY\n(?:.*\n)*? {6}PayloadFormatVersion: "2\.0"/);
  assert.match(block(yaml, "FusionAuthReadTimeout"), /Default: 3000\n/);
});

test("cfn-lint checks the new parts too: a bad stage setting or an unknown condition fails", () => {
  const dir = mkdtempSync(join(tmpdir(), "cfn-lint-"));
  try {
    const yaml = readFileSync(TEMPLATE, "utf8");
    for (const [what, broken, expected] of [
      ["throttling", yaml.replace("ThrottlingBurstLimit: !Ref ThrottlingBurstLimit", "ThrottlingBurstLimitt: !Ref ThrottlingBurstLimit"), /ThrottlingBurstLimitt/],
      ["condition", yaml.replace("!If [HasReservedConcurrency,", "!If [HasNoSuchCondition,"), /HasNoSuchCondition/],
    ]) {
      assert.notEqual(broken, yaml, what);
      const file = join(dir, `${what}.yaml`);
      writeFileSync(file, broken);
      const run = lint(file);
      assert.notEqual(run.status, 0, what);
      assert.match(run.stdout, expected, what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
