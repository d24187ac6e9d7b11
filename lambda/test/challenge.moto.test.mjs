// Users Cognito challenges after checking their password (SMS MFA, an authenticator app, a forced
// password change), against moto_server, through the deployed package (dist/connector.zip built
// and unpacked into an empty folder) and through the source tree alike: each configuration runs
// in a fresh Node process that imports index.mjs as Lambda does. A recording proxy in front of
// moto shows what the connector sent.
//
// What moto answers (5.2.1), in both USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH: SMS_MFA for
// a user with SMS MFA preferred, SOFTWARE_TOKEN_MFA for one with an authenticator app preferred,
// NEW_PASSWORD_REQUIRED for FORCE_CHANGE_PASSWORD with the temporary password; a wrong password is
// NotAuthorizedException before any of them (in the admin flow its message is the username).
// Where moto's admin flow differs from Cognito, the record AdminGetUser returns decides, as the
// connector checks it: RESET_REQUIRED gets NEW_PASSWORD_REQUIRED (Cognito:
// PasswordResetRequiredException), UNCONFIRMED gets tokens (Cognito: UserNotConfirmedException).
// moto has no email MFA (EMAIL_OTP) and no SELECT_MFA_TYPE: unit.test.mjs covers them with stubs.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminGetUserCommand } from "@aws-sdk/client-cognito-identity-provider";
import { defaultRules } from "cognito-fusionauth";
import { SOURCE_ROOT, buildZip, runConnector, unpack } from "../testlib/connector.mjs";
import { functionUrlEvent, loginBody } from "../testlib/events.mjs";
import { CREDENTIALS, REGION, adminClient, startMoto } from "../testlib/moto.mjs";
import { PASSWORD, TEMPORARY_PASSWORD, createFixturePool } from "../testlib/pool.mjs";
import { startRecordingProxy } from "../testlib/proxy.mjs";

const SECRET = "challenge-test-secret-0123456789";
const APP = "85a03867-dccf-4882-adde-1a79aeec50df";
const WRONG = "Wrong-Password-1!";
/** FusionAuth's eventInfo in every login body (testlib/events.mjs). */
const IP = "203.0.113.7";
const USER_AGENT = "Mozilla/5.0";

let dir;
let moto;
let proxy;
let pool;
const subs = {};
const layouts = {};
/** Every log line of every run, and every login id sent: checked at the end. */
const allLines = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "connector-challenge-"));
  layouts.source = SOURCE_ROOT;
  layouts.zip = unpack(buildZip(join(dir, "connector.zip")), join(dir, "unpacked"));
  moto = await startMoto();
  const admin = adminClient(moto.endpoint);
  pool = await createFixturePool(admin, "challenges");
  for (const username of ["alice", "milo", "frank", "tina", "penny"]) {
    const { UserAttributes } = await admin.send(new AdminGetUserCommand({ UserPoolId: pool.poolId, Username: username }));
    subs[username] = UserAttributes.find((a) => a.Name === "sub").Value;
  }
  proxy = await startRecordingProxy(moto.endpoint);
});

after(async () => {
  await proxy?.stop();
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const carryMfaRules = () => {
  const rules = defaultRules();
  rules.settings = { ...rules.settings, carryMfa: true };
  return JSON.stringify(rules);
};

/** The environment of a deployed function (the secrets as plain variables: local tests only). */
function environment(extra) {
  return {
    AWS_REGION: REGION, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: proxy.endpoint, CONNECTOR_AUTHORIZATION: SECRET,
    FUSIONAUTH_APPLICATION_ID: APP, ...extra,
  };
}

/**
 * Logs each `[loginId, password]` in through the connector at `root` with `env`: resolves to
 * `{ init, calls }`, each call `{ status, user, line, requests }` (`requests` what reached
 * Cognito for it, as [operation, input]).
 */
async function logins(root, env, pairs) {
  const events = pairs.map(([loginId, password]) => functionUrlEvent({ body: loginBody(loginId, password), headers: { Authorization: SECRET } }));
  const seen = proxy.requests.length;
  const run = await runConnector(root, env, events);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(run.results, run.stdout + run.stderr);
  allLines.push(run.init, ...run.results.flatMap((r) => r.lines));
  const requests = proxy.requests.slice(seen);
  const calls = run.results.map(({ response, lines }) => {
    assert.equal(lines.length, 1, JSON.stringify(lines));
    return { status: response.statusCode, user: response.statusCode === 200 ? JSON.parse(response.body).user : undefined, line: lines[0], response };
  });
  return { init: run.init, calls, requests };
}

for (const layout of ["zip", "source"]) {
  describe(`${layout}: COGNITO_USER_POOL_ID set, rules carrying MFA`, () => {
    let run;
    before(async () => {
      run = await logins(layouts[layout], environment({ COGNITO_USER_POOL_ID: pool.poolId, MAPPING_RULES: carryMfaRules() }), [
        ["milo", PASSWORD], ["frank", TEMPORARY_PASSWORD], ["tina", PASSWORD], ["penny", PASSWORD], ["alice", PASSWORD],
        ["milo", WRONG], ["frank", PASSWORD], ["tina", WRONG], ["penny", WRONG],
        ["rita", PASSWORD], ["ursula", PASSWORD], ["dave", PASSWORD],
      ]);
    });

    test("the init line says challenged users migrate, SMS and email MFA with their method, TOTP users refused", () => {
      assert.deepEqual([run.init.level, run.init.msg], ["warn", "connector init"]);   // warn: plain secret variable
      assert.deepEqual(run.init.challenges, {
        migrated: true,
        newPasswordRequired: "migrated with passwordChangeRequired",
        smsAndEmailMfa: "migrated with the method in twoFactor.methods",
        authenticatorApp: "refused (TOTP_USERS=migrate migrates them without a method)",
      });
    });

    test("the SMS MFA user arrives with its sms method and its sub", () => {
      const { status, user, line } = run.calls[0];
      assert.equal(status, 200);
      assert.equal(user.id, subs.milo);
      assert.equal(user.username, "milo");
      assert.deepEqual(user.twoFactor, { methods: [{ method: "sms", mobilePhone: "+14325550000" }] });
      assert.equal(user.passwordChangeRequired, undefined);
      assert.deepEqual([line.reason, line.challenge, line.mfa, line.twoFactor, line.userId],
        ["success", "SMS_MFA", ["SMS_MFA"], ["sms"], subs.milo]);
    });

    test("the FORCE_CHANGE_PASSWORD user arrives with passwordChangeRequired", () => {
      const { status, user, line } = run.calls[1];
      assert.equal(status, 200);
      assert.equal(user.id, subs.frank);
      assert.equal(user.passwordChangeRequired, true);
      assert.equal(user.twoFactor, undefined);
      assert.equal(user.data.cognito.userStatus, "FORCE_CHANGE_PASSWORD");
      assert.deepEqual([line.reason, line.challenge, line.passwordChangeRequired], ["success", "NEW_PASSWORD_REQUIRED", true]);
    });

    test("the authenticator-app (TOTP) user is refused by default, the log naming the authenticator", () => {
      const { status, response, line } = run.calls[2];
      assert.equal(status, 404);
      assert.equal(response.body, "");
      assert.deepEqual([line.reason, line.challenge, line.mfa, line.userId],
        ["mfa-authenticator-app", "SOFTWARE_TOKEN_MFA", ["SOFTWARE_TOKEN_MFA"], subs.tina]);
      assert.match(line.detail, /authenticator app/);
    });

    test("an SMS MFA user whose phone is not verified is refused, not migrated without MFA", () => {
      const { status, line } = run.calls[3];
      assert.equal(status, 404);
      assert.deepEqual([line.reason, line.challenge, line.notCarried], ["mfa-not-carried", "SMS_MFA", ["SMS_MFA"]]);
      assert.match(line.detail, /verified phone_number/);
    });

    test("a user without a challenge: the whole AdminGetUser record mapped (dates and status too)", () => {
      const { status, user, line } = run.calls[4];
      assert.equal(status, 200);
      assert.equal(user.id, subs.alice);
      assert.equal(typeof user.insertInstant, "number");
      assert.equal(user.data.cognito.userStatus, "CONFIRMED");
      assert.equal(user.twoFactor, undefined);
      assert.equal(line.challenge, undefined);
    });

    test("wrong passwords are 404 for each challenged user", () => {
      for (const call of run.calls.slice(5, 9)) {
        assert.equal(call.status, 404);
        assert.deepEqual([call.line.reason, call.line.stage, call.line.challenge], ["incorrect-username-or-password", "AdminInitiateAuth", undefined]);
      }
    });

    test("RESET_REQUIRED, UNCONFIRMED and disabled users stay 404 (the record decides where moto differs)", () => {
      assert.deepEqual(run.calls.slice(9).map((c) => [c.status, c.line.reason]), [
        [404, "password-reset-required"], [404, "user-not-confirmed"], [404, "user-disabled"],
      ]);
      assert.equal(run.calls[9].line.userStatus, "RESET_REQUIRED");
    });

    test("only the admin calls on the pool, with the person's address and user agent as ContextData", () => {
      const operations = new Set(run.requests.map((r) => r.target));
      assert.deepEqual([...operations].sort(), ["AdminGetUser", "AdminInitiateAuth"]);
      const auths = run.requests.filter((r) => r.target === "AdminInitiateAuth");
      assert.equal(auths.length, 12);
      for (const { input } of auths) {
        assert.equal(input.UserPoolId, pool.poolId);
        assert.equal(input.AuthFlow, "ADMIN_USER_PASSWORD_AUTH");
        assert.deepEqual(input.ContextData, {
          IpAddress: IP, ServerName: "abcdefghijklmnop.lambda-url.us-east-1.on.aws", ServerPath: "/",
          HttpHeaders: [{ headerName: "User-Agent", headerValue: USER_AGENT }],
        });
      }
      for (const { input } of run.requests.filter((r) => r.target === "AdminGetUser")) assert.equal(input.UserPoolId, pool.poolId);
    });
  });

  describe(`${layout}: TOTP_USERS=migrate`, () => {
    test("the TOTP user is migrated without a method, and the log says so; a wrong password is still 404", async () => {
      const run = await logins(layouts[layout], environment({
        COGNITO_USER_POOL_ID: pool.poolId, MAPPING_RULES: carryMfaRules(), TOTP_USERS: "migrate",
      }), [["tina", PASSWORD], ["tina", WRONG]]);
      assert.equal(run.init.challenges.authenticatorApp, "migrated without a method (TOTP_USERS=migrate)");
      const [ok, wrong] = run.calls;
      assert.equal(ok.status, 200);
      assert.equal(ok.user.id, subs.tina);
      assert.equal(ok.user.twoFactor, undefined);
      assert.deepEqual([ok.line.reason, ok.line.challenge, ok.line.notCarried], ["success", "SOFTWARE_TOKEN_MFA", ["SOFTWARE_TOKEN_MFA"]]);
      assert.match(ok.line.detail, /enrols again/);
      assert.deepEqual([wrong.status, wrong.line.reason], [404, "incorrect-username-or-password"]);
    });
  });

  describe(`${layout}: COGNITO_USER_POOL_ID set, default rules (carryMfa off)`, () => {
    test("the SMS MFA user is refused rather than migrated unprotected; the forced-change user migrates", async () => {
      const run = await logins(layouts[layout], environment({ COGNITO_USER_POOL_ID: pool.poolId }), [
        ["milo", PASSWORD], ["frank", TEMPORARY_PASSWORD],
      ]);
      assert.equal(run.init.challenges.smsAndEmailMfa, "refused: settings.carryMfa is off in the rules");
      const [milo, frank] = run.calls;
      assert.deepEqual([milo.status, milo.line.reason, milo.line.detail], [404, "mfa-not-carried", "settings.carryMfa is off in the rules"]);
      assert.equal(frank.status, 200);
      assert.equal(frank.user.passwordChangeRequired, true);
    });
  });

  describe(`${layout}: without COGNITO_USER_POOL_ID`, () => {
    test("challenged users are 404 as before, and the init line says which and how to migrate them", async () => {
      const run = await logins(layouts[layout], environment({}), [["milo", PASSWORD], ["frank", TEMPORARY_PASSWORD], ["tina", PASSWORD], ["alice", PASSWORD]]);
      assert.equal(run.init.challenges.migrated, false);
      assert.match(run.init.challenges.refused, /NEW_PASSWORD_REQUIRED/);
      assert.match(run.init.challenges.enable, /COGNITO_USER_POOL_ID/);
      assert.deepEqual(run.calls.map((c) => [c.status, c.line.reason, c.line.challenge]), [
        [404, "mfa-required", "SMS_MFA"], [404, "new-password-required", "NEW_PASSWORD_REQUIRED"],
        [404, "mfa-required", "SOFTWARE_TOKEN_MFA"], [200, "success", undefined],
      ]);
      assert.deepEqual([...new Set(run.requests.map((r) => r.target))].sort(), ["GetUser", "InitiateAuth"]);
      for (const { input } of run.requests.filter((r) => r.target === "InitiateAuth")) assert.equal(input.UserContextData, undefined);
    });
  });
}

test("no log line holds a password, a token, the Authorization value or a whole login id", () => {
  assert.ok(allLines.length > 40, String(allLines.length));
  const text = allLines.map((l) => JSON.stringify(l)).join("\n");
  for (const secret of [PASSWORD, TEMPORARY_PASSWORD, WRONG, SECRET]) assert.ok(!text.includes(secret), secret);
  assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(text), "a JWT");
  for (const loginId of ["alice", "milo", "frank", "tina", "penny", "rita", "ursula", "dave"]) {
    assert.ok(!text.includes(`"${loginId}`) && !text.includes(` ${loginId}`), loginId);
  }
});
