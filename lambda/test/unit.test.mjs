// The pure parts: event normalisation, the header check, body parsing and its caps, login id
// masking, configuration and where its secrets come from (stub readers), error classification,
// what each challenge proves and asks (challenge.mjs), both Cognito flows against a stub client,
// and the handler's flow with a stubbed Cognito login.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { defaultRules } from "cognito-fusionauth";
import { isAuthorized } from "../src/auth.mjs";
import {
  BodyError, MAX_BODY_BYTES, MAX_LOGIN_ID_LENGTH, MAX_PASSWORD_LENGTH, MAX_USER_AGENT_LENGTH, parseLoginRequest,
} from "../src/body.mjs";
import {
  challengeMfa, challengePolicy, challengeReason, challengedVerdict, isKnownChallenge, protectedMfa, provesPassword,
  recordForMapping, recordMfa,
} from "../src/challenge.mjs";
import { classifyError, contextData, login, secretHash } from "../src/cognito.mjs";
import { ConfigError, initConfig, loadConfig, withSettings } from "../src/config.mjs";
import { EventError, normalizeEvent } from "../src/event.mjs";
import { createHandler, redact } from "../src/handler.mjs";
import { createLog } from "../src/log.mjs";
import { maskLoginId } from "../src/mask.mjs";
import { loadSecrets, parseReference } from "../src/secrets.mjs";
import { functionUrlEvent, GUIDE_EVENT, httpApiEvent, loginBody, restEvent } from "../testlib/events.mjs";

const APP = "85a03867-dccf-4882-adde-1a79aeec50df";
const TENANT = "30663132-6464-6665-3032-326466613934";
const SECRET = "2687EE95-AF19-4CE6-A8BD-963139DED32E";
const ENV = {
  COGNITO_CLIENT_ID: "abc123client",
  AWS_REGION: "eu-west-1",
  CONNECTOR_AUTHORIZATION: SECRET,
  FUSIONAUTH_APPLICATION_ID: APP,
};

describe("normalizeEvent", () => {
  test("REST API (v1): method, path, headers lower-cased, plain body", () => {
    const r = normalizeEvent(restEvent({ body: "{}", headers: { Authorization: "x" } }));
    assert.equal(r.method, "POST");
    assert.equal(r.path, "/connector");
    assert.equal(r.source, "rest-api");
    assert.equal(r.headers.authorization, "x");
    assert.equal(r.headers["content-type"], "application/json");
    assert.equal(r.body, "{}");
  });

  test("REST API (v1): only multiValueHeaders, null headers, null body", () => {
    const r = normalizeEvent({ httpMethod: "post", path: "/", headers: null, multiValueHeaders: { AuThOrIzAtIoN: ["a", "b"] }, body: null });
    assert.equal(r.method, "POST");
    assert.equal(r.headers.authorization, "b");
    assert.equal(r.body, "");
  });

  test("HTTP API (v2) and Function URL: requestContext.http, rawPath, base64 body", () => {
    const v2 = normalizeEvent(httpApiEvent({ body: "héllo", base64: true, headers: { Authorization: "y" } }));
    assert.deepEqual([v2.method, v2.path, v2.source, v2.body, v2.headers.authorization], ["POST", "/", "http-api", "héllo", "y"]);
    const url = normalizeEvent(functionUrlEvent({ body: '{"a":1}', method: "GET", path: "/x" }));
    assert.deepEqual([url.method, url.path, url.source, url.body], ["GET", "/x", "function-url", '{"a":1}']);
    assert.equal(url.host, "abcdefghijklmnop.lambda-url.us-east-1.on.aws");
    assert.equal(normalizeEvent(httpApiEvent({ body: "", headers: { Host: "login.example.com" } })).host, "login.example.com");
    assert.equal(normalizeEvent(restEvent({ body: "" })).host, "");
  });

  test("the guide's API Gateway test event", () => {
    const r = normalizeEvent(GUIDE_EVENT);
    assert.equal(r.method, "POST");
    assert.equal(r.headers.authorization, SECRET);
    assert.deepEqual(parseLoginRequest(r.body), { loginId: "user1", password: "Password#1", eventInfo: {} });
  });

  test("non-HTTP events are refused", () => {
    for (const event of [null, "x", [], {}, { loginId: "a", password: "b" }, { version: "2.0" }]) {
      assert.throws(() => normalizeEvent(event), EventError);
    }
    assert.throws(() => normalizeEvent({ httpMethod: "POST", body: { loginId: "a" } }), EventError);
  });
});

describe("isAuthorized", () => {
  test("exact match only", () => {
    assert.equal(isAuthorized(SECRET, SECRET), true);
    assert.equal(isAuthorized(SECRET.toLowerCase(), SECRET), false);
    assert.equal(isAuthorized(`${SECRET} `, SECRET), false);
    assert.equal(isAuthorized("", SECRET), false);
    assert.equal(isAuthorized(undefined, SECRET), false);
    assert.equal(isAuthorized(SECRET, ""), false);
    assert.equal(isAuthorized("x".repeat(10_000), SECRET), false);
  });
});

describe("parseLoginRequest", () => {
  test("a LoginRequest: loginId, password and the person's address and user agent", () => {
    assert.deepEqual(parseLoginRequest(loginBody("alice", "pw")),
      { loginId: "alice", password: "pw", eventInfo: { ipAddress: "203.0.113.7", userAgent: "Mozilla/5.0" } });
  });

  test("eventInfo: only a real IP address and a user agent of sane length; never a refusal", () => {
    const info = (extra) => parseLoginRequest(JSON.stringify({ loginId: "a", password: "b", ...extra })).eventInfo;
    assert.deepEqual(info({ eventInfo: { ipAddress: " 2001:db8::1 ", userAgent: " UA " } }), { ipAddress: "2001:db8::1", userAgent: "UA" });
    assert.deepEqual(info({ ipAddress: "198.51.100.4" }), { ipAddress: "198.51.100.4" });   // the deprecated top-level field
    assert.deepEqual(info({ eventInfo: { ipAddress: "198.51.100.4" }, ipAddress: "192.0.2.1" }), { ipAddress: "198.51.100.4" });
    for (const eventInfo of [null, "x", [], { ipAddress: "not an ip" }, { ipAddress: "999.1.1.1" }, { ipAddress: 7 },
      { userAgent: "" }, { userAgent: "u".repeat(MAX_USER_AGENT_LENGTH + 1) }, { userAgent: {} }]) {
      assert.deepEqual(info({ eventInfo }), {}, JSON.stringify(eventInfo));
    }
  });

  test("malformed bodies, and no password in the messages", () => {
    const cases = {
      "": "empty-body",
      "   ": "empty-body",
      '{"loginId":"a","password":"hunter2"': "invalid-json",
      '["a"]': "not-an-object",
      null: "not-an-object",
      '"str"': "not-an-object",
      '{"password":"hunter2"}': "missing-login-id",
      '{"loginId":"  ","password":"hunter2"}': "missing-login-id",
      '{"loginId":5,"password":"hunter2"}': "missing-login-id",
      '{"loginId":"a"}': "missing-password",
      '{"loginId":"a","password":""}': "missing-password",
      '{"loginId":"a","password":7}': "missing-password",
    };
    for (const [body, code] of Object.entries(cases)) {
      assert.throws(() => parseLoginRequest(body), (e) => e instanceof BodyError && e.code === code && !e.message.includes("hunter2"), body);
    }
    assert.throws(() => parseLoginRequest(JSON.stringify({ loginId: "a", password: "x".repeat(MAX_BODY_BYTES) })),
      (e) => e.code === "body-too-large");
  });

  test("caps: loginId 256 and password 1024 characters, above any real value; a reason of their own", () => {
    const id = "x".repeat(MAX_LOGIN_ID_LENGTH);
    const password = "p".repeat(MAX_PASSWORD_LENGTH);
    assert.deepEqual(parseLoginRequest(loginBody(id, password)).password, password);
    assert.throws(() => parseLoginRequest(loginBody(`${id}x`, "pw")), (e) => e instanceof BodyError
      && e.code === "login-id-too-long" && e.reason === "input-too-long" && e.loginId === `${id}x`);
    assert.throws(() => parseLoginRequest(loginBody("alice", `${password}p`)), (e) => e instanceof BodyError
      && e.code === "password-too-long" && e.reason === "input-too-long" && e.loginId === "alice"
      && !e.message.includes(password));
    assert.throws(() => parseLoginRequest("{}"), (e) => e.reason === "malformed-body");
  });
});

describe("maskLoginId", () => {
  test("emails keep the first character and the domain; phones the last two digits; usernames the first character", () => {
    const cases = {
      "jane.doe@example.com": "j***@example.com",
      "j@example.com": "j***@example.com",
      "a@b@example.org": "a***@example.org",
      "+14325551212": "+***12",
      "(432) 555-1212": "***12",
      alice: "a***",
      ab: "a***",
      a: "***",
      "": "***",
      "  bob  ": "b***",
      "😀smile": "😀***",
      "x@": "x***",
    };
    for (const [loginId, masked] of Object.entries(cases)) assert.equal(maskLoginId(loginId), masked, loginId);
  });

  test("never the whole id, and a long domain is cut", () => {
    for (const loginId of ["alice", "ab", "j@example.com", "+14325551212", "user1", "émile@exämple.fr", "x".repeat(300)]) {
      assert.ok(!maskLoginId(loginId).includes(loginId), loginId);
    }
    assert.equal(maskLoginId(`a@${"d".repeat(300)}.com`), `a***@${"d".repeat(64)}`);
  });
});

describe("loadConfig", () => {
  test("defaults: region from AWS_REGION, default rules with the registration", () => {
    const c = loadConfig(ENV);
    assert.equal(c.region, "eu-west-1");
    assert.equal(c.clientId, "abc123client");
    assert.equal(c.endpoint, undefined);
    assert.equal(c.clientSecret, undefined);
    assert.equal(c.tenantId, undefined);
    assert.deepEqual(c.rules.settings.registrations, [{ applicationId: APP, roles: [] }]);
    assert.equal(c.rules.settings.tenantId, undefined);
    assert.deepEqual(c.rules.attributes, defaultRules().attributes);
  });

  test("COGNITO_REGION wins; tenant, endpoint, secret and MAPPING_RULES are applied", () => {
    const rules = defaultRules();
    rules.settings.registrations = [{ applicationId: "11111111-2222-4333-8444-555555555555", roles: ["admin"] }];
    rules.attributes.push({ source: "custom:department", target: "data.department", transform: "copy" });
    const c = loadConfig({
      ...ENV, COGNITO_REGION: "us-west-2", FUSIONAUTH_TENANT_ID: TENANT, COGNITO_ENDPOINT: "http://127.0.0.1:5000",
      COGNITO_CLIENT_SECRET: "s3cret", MAPPING_RULES: JSON.stringify(rules),
    });
    assert.equal(c.region, "us-west-2");
    assert.equal(c.endpoint, "http://127.0.0.1:5000");
    assert.equal(c.clientSecret, "s3cret");
    assert.equal(c.rules.settings.tenantId, TENANT);
    assert.deepEqual(c.rules.settings.registrations, [
      { applicationId: "11111111-2222-4333-8444-555555555555", roles: ["admin"] }, { applicationId: APP, roles: [] },
    ]);
    assert.equal(c.rules.attributes.at(-1).target, "data.department");
  });

  test("a registration already in MAPPING_RULES keeps its roles", () => {
    const rules = withSettings({ version: 1, settings: { registrations: [{ applicationId: APP.toUpperCase(), roles: ["user"] }] }, attributes: [] },
      { applicationId: APP });
    assert.deepEqual(rules.settings.registrations, [{ applicationId: APP.toUpperCase(), roles: ["user"] }]);
  });

  test("every missing or invalid setting is named at once", () => {
    assert.throws(() => loadConfig({}), (e) => e instanceof ConfigError && e.problems.length === 4
      && /COGNITO_CLIENT_ID/.test(e.message) && /COGNITO_REGION/.test(e.message)
      && /CONNECTOR_AUTHORIZATION/.test(e.message) && /FUSIONAUTH_APPLICATION_ID/.test(e.message));
    assert.throws(() => loadConfig({
      ...ENV, CONNECTOR_AUTHORIZATION: "short", FUSIONAUTH_APPLICATION_ID: "app", FUSIONAUTH_TENANT_ID: "t",
      COGNITO_ENDPOINT: "ftp://x",
    }), (e) => e.problems.length === 4 && /at least 16/.test(e.message) && /APPLICATION_ID is not a UUID/.test(e.message)
      && /TENANT_ID is not a UUID/.test(e.message) && /COGNITO_ENDPOINT/.test(e.message));
  });

  test("bad MAPPING_RULES fail at init with the engine's message", () => {
    assert.throws(() => loadConfig({ ...ENV, MAPPING_RULES: "{not json" }), /MAPPING_RULES is not valid JSON/);
    assert.throws(() => loadConfig({ ...ENV, MAPPING_RULES: "[1]" }), /must be a JSON object/);
    assert.throws(() => loadConfig({ ...ENV, MAPPING_RULES: JSON.stringify({ version: 1, attributes: [{ source: "email", target: "mail" }] }) }),
      /MAPPING_RULES rejected: .*attributes\[0\]\.target/);
  });
});

describe("secrets: where they come from (stub readers)", () => {
  const PARAMETER_ARN = "arn:aws:ssm:eu-central-1:123456789012:parameter/connector/auth";
  const SECRET_ARN = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:connector/client-AbCdEf";
  const FROM_ENV = { COGNITO_CLIENT_ID: "abc123client", AWS_REGION: "eu-west-1", FUSIONAUTH_APPLICATION_ID: APP };

  /** Readers answering from `values` (by id) and recording every call. */
  const stubReaders = (values, calls = []) => Object.fromEntries(["ssm", "secretsmanager"].map((store) => [store, async (source) => {
    calls.push({ store, ...source });
    if (!(source.id in values)) {
      throw Object.assign(new Error("not found"), { name: store === "ssm" ? "ParameterNotFound" : "ResourceNotFoundException" });
    }
    return values[source.id];
  }]));

  test("references: SSM names and ARNs, Secrets Manager ARNs; the region from the ARN", () => {
    assert.deepEqual(parseReference("/connector/auth", "eu-west-1"), { store: "ssm", id: "/connector/auth", region: "eu-west-1" });
    assert.deepEqual(parseReference("connector-auth", "eu-west-1"), { store: "ssm", id: "connector-auth", region: "eu-west-1" });
    assert.deepEqual(parseReference(PARAMETER_ARN, "eu-west-1"), { store: "ssm", id: PARAMETER_ARN, region: "eu-central-1" });
    assert.deepEqual(parseReference(SECRET_ARN, "eu-west-1"), { store: "secretsmanager", id: SECRET_ARN, region: "eu-west-3" });
    for (const bad of ["arn:aws:s3:::bucket/key", "arn:aws:ssm:eu-west-1:123456789012:document/x", "has space", "a*b"]) {
      assert.equal(parseReference(bad, "eu-west-1"), undefined, bad);
    }
  });

  test("both read from their stores, in parallel, with no warning", async () => {
    const calls = [];
    const { config, sources, warnings } = await initConfig({
      ...FROM_ENV, CONNECTOR_AUTHORIZATION_FROM: "/connector/auth", COGNITO_CLIENT_SECRET_FROM: SECRET_ARN,
    }, { readers: stubReaders({ "/connector/auth": { value: SECRET, type: "SecureString" }, [SECRET_ARN]: { value: " s3cret\n" } }, calls) });
    assert.equal(config.authorization, SECRET);
    assert.equal(config.clientSecret, "s3cret");
    assert.deepEqual(sources, { authorization: "ssm", clientSecret: "secretsmanager" });
    assert.deepEqual(warnings, []);
    assert.deepEqual(calls.map((c) => [c.store, c.region]).sort(), [["secretsmanager", "eu-west-3"], ["ssm", "eu-west-1"]]);
  });

  test("plain variables still work, with a warning each; a String parameter warns too", async () => {
    const plain = await loadSecrets({ ...ENV, COGNITO_CLIENT_SECRET: "s" }, { readers: stubReaders({}) });
    assert.deepEqual(plain.sources, { authorization: "environment", clientSecret: "environment" });
    assert.equal(plain.warnings.length, 2);
    assert.match(plain.warnings[0], /^CONNECTOR_AUTHORIZATION is a plain environment variable: for local tests only/);
    assert.match(plain.warnings[1], /^COGNITO_CLIENT_SECRET is a plain environment variable/);
    const string = await loadSecrets({ ...FROM_ENV, CONNECTOR_AUTHORIZATION_FROM: "/p" },
      { readers: stubReaders({ "/p": { value: SECRET, type: "String" } }) });
    assert.deepEqual(string.warnings, ['CONNECTOR_AUTHORIZATION_FROM: the SSM parameter "/p" is a String, not a SecureString']);
    assert.deepEqual(string.sources, { authorization: "ssm", clientSecret: "none" });
  });

  test("every problem at once: missing parameter, missing secret, both forms set, a bad reference, too short", async () => {
    const fail = (env, values = {}) => initConfig({ ...FROM_ENV, ...env }, { readers: stubReaders(values) })
      .then(() => assert.fail("init passed"), (e) => { assert.ok(e instanceof ConfigError); return e.problems; });
    assert.deepEqual(await fail({ CONNECTOR_AUTHORIZATION_FROM: "/missing", COGNITO_CLIENT_SECRET_FROM: SECRET_ARN }), [
      'CONNECTOR_AUTHORIZATION_FROM: the SSM parameter "/missing" does not exist (region eu-west-1)',
      `COGNITO_CLIENT_SECRET_FROM: the Secrets Manager secret "${SECRET_ARN}" does not exist (region eu-west-3)`,
    ]);
    assert.deepEqual(await fail({ CONNECTOR_AUTHORIZATION_FROM: "/a", CONNECTOR_AUTHORIZATION: SECRET, COGNITO_CLIENT_SECRET_FROM: "arn:aws:s3:::x" }), [
      "set CONNECTOR_AUTHORIZATION_FROM or CONNECTOR_AUTHORIZATION, not both",
      "COGNITO_CLIENT_SECRET_FROM must be an SSM parameter name or ARN, or a Secrets Manager secret ARN (the Cognito app client's secret)",
    ]);
    assert.deepEqual(await fail({ CONNECTOR_AUTHORIZATION_FROM: "/short" }, { "/short": { value: "short", type: "SecureString" } }),
      ['CONNECTOR_AUTHORIZATION_FROM (SSM parameter "/short") must be at least 16 characters']);
    assert.deepEqual(await fail({}), [
      "CONNECTOR_AUTHORIZATION_FROM is required (the SSM parameter or Secrets Manager secret holding the Authorization header FusionAuth sends)",
    ]);
    const noRegion = await fail({ AWS_REGION: "", COGNITO_REGION: "eu-west-1", CONNECTOR_AUTHORIZATION_FROM: "/a" });
    assert.deepEqual(noRegion, ['CONNECTOR_AUTHORIZATION_FROM: AWS_REGION is not set, so the region of "/a" is unknown']);
  });

  test("a read error that is not 'not found' is named with the SDK's error", async () => {
    const readers = { ssm: async () => { throw Object.assign(new Error("User is not authorized to perform ssm:GetParameter"), { name: "AccessDeniedException" }); } };
    const { problems } = await loadSecrets({ ...FROM_ENV, CONNECTOR_AUTHORIZATION_FROM: "/a" }, { readers });
    assert.deepEqual(problems, ['CONNECTOR_AUTHORIZATION_FROM: cannot read the SSM parameter "/a": AccessDeniedException: User is not authorized to perform ssm:GetParameter']);
  });

  test("COGNITO_USER_POOL_ID: a pool id of the Cognito region; TOTP_USERS: refuse (default) or migrate", () => {
    assert.deepEqual([loadConfig(ENV).userPoolId, loadConfig(ENV).totpUsers], [undefined, "refuse"]);
    const c = loadConfig({ ...ENV, COGNITO_USER_POOL_ID: " eu-west-1_AbC123 ", TOTP_USERS: "migrate" });
    assert.deepEqual([c.userPoolId, c.totpUsers], ["eu-west-1_AbC123", "migrate"]);
    assert.throws(() => loadConfig({ ...ENV, COGNITO_USER_POOL_ID: "AbC123" }), /COGNITO_USER_POOL_ID is not a user pool id/);
    assert.throws(() => loadConfig({ ...ENV, COGNITO_USER_POOL_ID: "us-east-1_AbC123" }),
      /COGNITO_USER_POOL_ID us-east-1_AbC123 is in us-east-1, but the Cognito region is eu-west-1/);
    assert.throws(() => loadConfig({ ...ENV, TOTP_USERS: "allow" }), /TOTP_USERS must be refuse or migrate/);
  });

  test("FUSIONAUTH_READ_TIMEOUT_MS: a whole number of ms", () => {
    assert.equal(loadConfig(ENV).readTimeoutMs, undefined);
    assert.equal(loadConfig({ ...ENV, FUSIONAUTH_READ_TIMEOUT_MS: "3000" }).readTimeoutMs, 3000);
    for (const bad of ["3s", "99", "1.5", "-1", "900001"]) {
      assert.throws(() => loadConfig({ ...ENV, FUSIONAUTH_READ_TIMEOUT_MS: bad }), /FUSIONAUTH_READ_TIMEOUT_MS must be a whole number/, bad);
    }
  });
});

describe("Cognito helpers", () => {
  test("SECRET_HASH matches an independent HMAC-SHA256 (Python's hmac)", () => {
    // python3 -c 'import hmac,hashlib,base64;print(base64.b64encode(hmac.new(b"secret",b"aliceclient",hashlib.sha256).digest()).decode())'
    assert.equal(secretHash("alice", "client", "secret"), "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
  });

  const sdkError = (name, message, extra = {}) => Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 }, ...extra });

  test("error classification", () => {
    const cases = [
      [sdkError("NotAuthorizedException", "Incorrect username or password."), 404, "incorrect-username-or-password"],
      [sdkError("NotAuthorizedException", "User is disabled."), 404, "user-disabled"],
      [sdkError("NotAuthorizedException", "Unable to verify secret hash for client abc"), 500, "cognito-misconfigured"],
      [sdkError("UserNotFoundException", "User does not exist."), 404, "user-not-found"],
      [sdkError("UserNotConfirmedException", "User is not confirmed."), 404, "user-not-confirmed"],
      [sdkError("PasswordResetRequiredException", "Password reset required for the user"), 404, "password-reset-required"],
      [sdkError("UserLambdaValidationException", "PreAuthentication failed"), 404, "lambda-trigger-rejected"],
      [sdkError("TooManyRequestsException", "Rate exceeded"), 503, "cognito-throttled"],
      [sdkError("InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client"), 500, "cognito-misconfigured"],
      [sdkError("ResourceNotFoundException", "User pool client abc does not exist."), 500, "cognito-misconfigured"],
      [sdkError("InternalErrorException", "oops", { $fault: "server", $metadata: { httpStatusCode: 500 } }), 503, "cognito-unavailable"],
      [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }), 503, "cognito-unavailable"],
      [Object.assign(new Error("timed out"), { name: "TimeoutError" }), 503, "cognito-unavailable"],
      [sdkError("SomethingNewException", "?"), 500, "cognito-error"],
    ];
    for (const [error, status, reason] of cases) {
      const c = classifyError(error, "InitiateAuth");
      assert.deepEqual([c.status, c.reason], [status, reason], error.name + " " + error.message);
      assert.equal(c.level, status === 404 ? "info" : "error");
      assert.equal(c.errorName, error.name);
    }
    assert.equal(classifyError(sdkError("NotAuthorizedException", "Access Token has been revoked"), "GetUser").reason, "get-user-rejected");
  });
});

describe("challenges: what each proves and asks", () => {
  test("proof of the password: NEW_PASSWORD_REQUIRED and the second factors; never first factors, SRP, devices or unknown names", () => {
    for (const name of ["NEW_PASSWORD_REQUIRED", "SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP"]) {
      assert.equal(provesPassword(name), true, name);
      assert.equal(isKnownChallenge(name), true, name);
    }
    for (const name of ["SELECT_CHALLENGE", "SMS_OTP", "CUSTOM_CHALLENGE", "PASSWORD_VERIFIER", "DEVICE_SRP_AUTH",
      "DEVICE_PASSWORD_VERIFIER", "WEB_AUTHN", "PASSWORD", "PASSWORD_SRP", "ADMIN_NO_SRP_AUTH"]) {
      assert.equal(provesPassword(name), false, name);
      assert.equal(isKnownChallenge(name), true, name);
    }
    for (const name of ["EMAIL_MFA", "SOMETHING_NEW", "none", "__proto__", "constructor", ""]) {
      assert.deepEqual([provesPassword(name), isKnownChallenge(name)], [false, false], name);
    }
  });

  test("the reasons of a refused challenge (without COGNITO_USER_POOL_ID, all of them)", () => {
    assert.equal(challengeReason("NEW_PASSWORD_REQUIRED"), "new-password-required");
    for (const name of ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "MFA_SETUP", "SELECT_MFA_TYPE"]) {
      assert.equal(challengeReason(name), "mfa-required");
    }
    for (const name of ["CUSTOM_CHALLENGE", "SMS_OTP", "SOMETHING_NEW"]) assert.equal(challengeReason(name), "challenge-required");
  });

  test("the MFA methods a challenge and a record show", () => {
    assert.deepEqual(challengeMfa("SMS_MFA"), ["SMS_MFA"]);
    assert.deepEqual(challengeMfa("EMAIL_OTP"), ["EMAIL_OTP"]);
    assert.deepEqual(challengeMfa("SELECT_MFA_TYPE", { MFAS_CAN_CHOOSE: '["SOFTWARE_TOKEN_MFA","SMS_MFA","WEIRD"]' }), ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]);
    for (const parameters of [{ MFAS_CAN_CHOOSE: "[not json" }, { MFAS_CAN_CHOOSE: '{"a":1}' }, {}, null]) {
      assert.deepEqual(challengeMfa("SELECT_MFA_TYPE", parameters), [], JSON.stringify(parameters));
    }
    assert.deepEqual(challengeMfa("MFA_SETUP", { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]' }), []);
    assert.deepEqual(challengeMfa("NEW_PASSWORD_REQUIRED"), []);
    assert.deepEqual(recordMfa({ UserMFASettingList: ["SOFTWARE_TOKEN_MFA"], PreferredMfaSetting: "", MFAOptions: [{ DeliveryMedium: "EMAIL" }] }),
      ["EMAIL_OTP", "SOFTWARE_TOKEN_MFA"]);
    assert.deepEqual(recordMfa({ MFAOptions: [{ DeliveryMedium: "SMS", AttributeName: "phone_number" }] }), ["SMS_MFA"]);
    assert.deepEqual(recordMfa({ UserMFASettingList: "SMS_MFA", MFAOptions: null }), []);
    assert.deepEqual(protectedMfa({ UserMFASettingList: [] }, { name: "SMS_MFA", parameters: {} }), ["SMS_MFA"]);
  });

  test("a challenged method missing from the record is added for the mapping; the record is not changed", () => {
    const record = { Username: "u", UserMFASettingList: ["SOFTWARE_TOKEN_MFA"] };
    assert.deepEqual(recordForMapping(record, ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]).UserMFASettingList, ["SOFTWARE_TOKEN_MFA", "SMS_MFA"]);
    assert.deepEqual(record.UserMFASettingList, ["SOFTWARE_TOKEN_MFA"]);
    assert.equal(recordForMapping(record, ["SOFTWARE_TOKEN_MFA"]), record);
    assert.deepEqual(recordForMapping({ Username: "u" }, ["EMAIL_OTP"]).UserMFASettingList, ["EMAIL_OTP"]);
  });

  const body = (twoFactor) => ({ user: { id: "x", ...(twoFactor ? { twoFactor: { methods: twoFactor } } : {}) } });
  const verdict = (b, name, methods, options = {}) => challengedVerdict(b, {
    challenge: { name, parameters: {} }, methods, totpUsers: "refuse", carryMfa: true, ...options,
  });

  test("verdicts: carried methods migrate; a dropped SMS or email method, or an authenticator app, is a 404", () => {
    const sms = verdict(body([{ method: "sms", mobilePhone: "+1" }]), "SMS_MFA", ["SMS_MFA"]);
    assert.deepEqual(sms.fields, { challenge: "SMS_MFA", mfa: ["SMS_MFA"], twoFactor: ["sms"] });
    assert.equal(sms.body.user.passwordChangeRequired, undefined);
    const email = verdict(body([{ method: "email", email: "a@b.c" }]), "EMAIL_OTP", ["EMAIL_OTP"]);
    assert.deepEqual(email.fields.twoFactor, ["email"]);
    const dropped = verdict(body([{ method: "sms", mobilePhone: "+1" }]), "SELECT_MFA_TYPE", ["SMS_MFA", "EMAIL_OTP"]);
    assert.deepEqual([dropped.failure.status, dropped.failure.reason, dropped.failure.notCarried], [404, "mfa-not-carried", ["EMAIL_OTP"]]);
    assert.match(dropped.failure.detail, /verified email/);
    assert.equal(verdict(body(), "SMS_MFA", ["SMS_MFA"], { carryMfa: false }).failure.detail, "settings.carryMfa is off in the rules");
    const totp = verdict(body(), "SOFTWARE_TOKEN_MFA", ["SOFTWARE_TOKEN_MFA"]);
    assert.deepEqual([totp.failure.status, totp.failure.reason], [404, "mfa-authenticator-app"]);
    const migrated = verdict(body(), "SOFTWARE_TOKEN_MFA", ["SOFTWARE_TOKEN_MFA"], { totpUsers: "migrate" });
    assert.deepEqual(migrated.fields.notCarried, ["SOFTWARE_TOKEN_MFA"]);
    assert.equal(migrated.body.user.twoFactor, undefined);
    // An authenticator app beside a dropped SMS method: the dropped method decides.
    assert.equal(verdict(body(), "SELECT_MFA_TYPE", ["SMS_MFA", "SOFTWARE_TOKEN_MFA"], { totpUsers: "migrate" }).failure.reason, "mfa-not-carried");
  });

  test("verdicts: NEW_PASSWORD_REQUIRED keeps the forced change (and any MFA); MFA_SETUP migrates without a method", () => {
    const input = body();
    const forced = verdict(input, "NEW_PASSWORD_REQUIRED", []);
    assert.equal(forced.body.user.passwordChangeRequired, true);
    assert.equal(input.user.passwordChangeRequired, undefined, "the mapped body is not changed in place");
    assert.deepEqual(forced.fields, { challenge: "NEW_PASSWORD_REQUIRED", passwordChangeRequired: true });
    assert.equal(verdict(body(), "NEW_PASSWORD_REQUIRED", ["SMS_MFA"], { carryMfa: false }).failure.reason, "mfa-not-carried");
    const withSms = verdict(body([{ method: "sms", mobilePhone: "+1" }]), "NEW_PASSWORD_REQUIRED", ["SMS_MFA"]);
    assert.deepEqual([withSms.body.user.passwordChangeRequired, withSms.fields.twoFactor], [true, ["sms"]]);
    assert.deepEqual(verdict(body(), "MFA_SETUP", []).fields, { challenge: "MFA_SETUP" });
  });

  test("the init line's policy", () => {
    const off = challengePolicy(loadConfig(ENV));
    assert.equal(off.migrated, false);
    assert.match(off.enable, /COGNITO_USER_POOL_ID.*AdminInitiateAuth.*AdminGetUser/);
    const rules = defaultRules();
    rules.settings.carryMfa = true;
    const on = challengePolicy(loadConfig({ ...ENV, COGNITO_USER_POOL_ID: "eu-west-1_X1", MAPPING_RULES: JSON.stringify(rules), TOTP_USERS: "migrate" }));
    assert.deepEqual(on, {
      migrated: true, newPasswordRequired: "migrated with passwordChangeRequired",
      smsAndEmailMfa: "migrated with the method in twoFactor.methods", authenticatorApp: "migrated without a method (TOTP_USERS=migrate)",
    });
  });
});

describe("Cognito flows (stub SDK client)", () => {
  const POOL = "eu-west-1_Pool1";
  const RECORD = {
    Username: "jane-sub", Enabled: true, UserStatus: "CONFIRMED",
    UserAttributes: [{ Name: "sub", Value: "44872447-1116-467b-b6c8-57cb8a433c1c" }, { Name: "email", Value: "jane@example.com" }],
  };
  /** A client answering each operation from `answers` (a value, or a function of the input) and recording the calls. */
  const stubClient = (answers) => {
    const calls = [];
    return {
      calls,
      async send(command) {
        const operation = command.constructor.name.replace(/Command$/, "");
        calls.push([operation, command.input]);
        const answer = answers[operation];
        if (answer === undefined) throw new Error(`unexpected ${operation}`);
        const value = typeof answer === "function" ? answer(command.input) : answer;
        if (value instanceof Error) throw value;
        return { $metadata: { httpStatusCode: 200 }, ...value };
      },
    };
  };
  const adminConfig = loadConfig({ ...ENV, COGNITO_USER_POOL_ID: POOL });
  const eventInfo = { ipAddress: "198.51.100.4", userAgent: "Mozilla/5.0 (X11)" };
  const request = { host: "abc.lambda-url.eu-west-1.on.aws", path: "/" };

  test("ContextData: the person's address and user agent, this endpoint's host and path; none without an address", () => {
    assert.deepEqual(contextData(eventInfo, request), {
      IpAddress: "198.51.100.4", ServerName: "abc.lambda-url.eu-west-1.on.aws", ServerPath: "/",
      HttpHeaders: [{ headerName: "User-Agent", headerValue: "Mozilla/5.0 (X11)" }],
    });
    assert.deepEqual(contextData({ ipAddress: "198.51.100.4" }).HttpHeaders, []);
    assert.equal(contextData({ userAgent: "x" }, request), undefined);
    assert.equal(contextData(undefined, request), undefined);
  });

  test("admin flow, tokens: AdminInitiateAuth with ContextData, then AdminGetUser; the record without $metadata", async () => {
    const client = stubClient({ AdminInitiateAuth: { AuthenticationResult: { AccessToken: "eyJ.token" } }, AdminGetUser: RECORD });
    const result = await login(client, adminConfig, "jane@example.com", "pw", { eventInfo, request });
    assert.deepEqual(result, { user: RECORD });
    const [[op1, auth], [op2, get]] = client.calls;
    assert.deepEqual([op1, auth.UserPoolId, auth.ClientId, auth.AuthFlow, auth.AuthParameters],
      ["AdminInitiateAuth", POOL, "abc123client", "ADMIN_USER_PASSWORD_AUTH", { USERNAME: "jane@example.com", PASSWORD: "pw" }]);
    assert.equal(auth.ContextData.IpAddress, "198.51.100.4");
    assert.deepEqual([op2, get], ["AdminGetUser", { UserPoolId: POOL, Username: "jane@example.com" }]);
    const noAddress = stubClient({ AdminInitiateAuth: { AuthenticationResult: { AccessToken: "t" } }, AdminGetUser: RECORD });
    await login(noAddress, adminConfig, "jane", "pw", { eventInfo: {}, request });
    assert.equal("ContextData" in noAddress.calls[0][1], false);
  });

  test("admin flow, a proving challenge: AdminGetUser for the user the challenge names", async () => {
    const parameters = { USER_ID_FOR_SRP: "jane-sub", CODE_DELIVERY_DELIVERY_MEDIUM: "EMAIL" };
    const client = stubClient({ AdminInitiateAuth: { ChallengeName: "EMAIL_OTP", Session: "s", ChallengeParameters: parameters }, AdminGetUser: RECORD });
    const result = await login(client, adminConfig, "jane@example.com", "pw", {});
    assert.deepEqual(result, { user: RECORD, challenge: { name: "EMAIL_OTP", parameters } });
    assert.equal(client.calls[1][1].Username, "jane-sub");
  });

  test("admin flow, challenges that prove nothing: 404 with the name, unknown ones at warn level, no AdminGetUser", async () => {
    for (const [name, level] of [["SELECT_CHALLENGE", "info"], ["SMS_OTP", "info"], ["CUSTOM_CHALLENGE", "info"],
      ["DEVICE_SRP_AUTH", "info"], ["PASSWORD_VERIFIER", "info"], ["SOMETHING_NEW", "warn"]]) {
      const client = stubClient({ AdminInitiateAuth: { ChallengeName: name, Session: "s", ChallengeParameters: {} } });
      const result = await login(client, adminConfig, "jane", "pw", {});
      assert.deepEqual(result.failure, { status: 404, reason: "challenge-required", level, challenge: name }, name);
      assert.equal(client.calls.length, 1);
    }
    const empty = await login(stubClient({ AdminInitiateAuth: {} }), adminConfig, "jane", "pw", {});
    assert.deepEqual(empty.failure, { status: 404, reason: "challenge-required", level: "warn", challenge: "none" });
  });

  test("admin flow: the record decides for disabled, UNCONFIRMED and RESET_REQUIRED users", async () => {
    for (const [record, reason] of [[{ ...RECORD, Enabled: false }, "user-disabled"],
      [{ ...RECORD, UserStatus: "UNCONFIRMED" }, "user-not-confirmed"], [{ ...RECORD, UserStatus: "RESET_REQUIRED" }, "password-reset-required"]]) {
      const client = stubClient({ AdminInitiateAuth: { ChallengeName: "NEW_PASSWORD_REQUIRED", ChallengeParameters: {} }, AdminGetUser: record });
      const { failure } = await login(client, adminConfig, "jane", "pw", {});
      assert.deepEqual([failure.status, failure.reason, failure.stage, failure.challenge], [404, reason, "AdminGetUser", "NEW_PASSWORD_REQUIRED"]);
    }
  });

  test("admin flow errors: a wrong password, an IAM denial, and an AdminGetUser failure", async () => {
    const error = (name, message) => Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });
    const wrong = await login(stubClient({ AdminInitiateAuth: error("NotAuthorizedException", "Incorrect username or password.") }), adminConfig, "jane", "pw", {});
    assert.deepEqual([wrong.failure.status, wrong.failure.reason, wrong.failure.stage], [404, "incorrect-username-or-password", "AdminInitiateAuth"]);
    const denied = await login(stubClient({
      AdminInitiateAuth: { AuthenticationResult: { AccessToken: "t" } },
      AdminGetUser: error("AccessDeniedException", "not authorized to perform: cognito-idp:AdminGetUser"),
    }), adminConfig, "jane", "pw", {});
    assert.deepEqual([denied.failure.status, denied.failure.reason, denied.failure.stage], [500, "cognito-misconfigured", "AdminGetUser"]);
  });

  test("without a pool id: InitiateAuth and GetUser, no context data, and every challenge a 404", async () => {
    const client = stubClient({ InitiateAuth: { AuthenticationResult: { AccessToken: "t" } }, GetUser: { Username: "jane", UserAttributes: [] } });
    assert.deepEqual(await login(client, loadConfig(ENV), "jane", "pw", { eventInfo, request }), { user: { Username: "jane", UserAttributes: [] } });
    assert.deepEqual(client.calls.map(([op]) => op), ["InitiateAuth", "GetUser"]);
    assert.equal("UserContextData" in client.calls[0][1], false);
    const challenged = await login(stubClient({ InitiateAuth: { ChallengeName: "EMAIL_OTP", ChallengeParameters: {} } }), loadConfig(ENV), "jane", "pw", {});
    assert.deepEqual(challenged.failure, { status: 404, reason: "mfa-required", level: "info", challenge: "EMAIL_OTP" });
  });
});

describe("handler flow (stubbed Cognito)", () => {
  const config = loadConfig({ ...ENV, FUSIONAUTH_TENANT_ID: TENANT });
  const GET_USER = {
    Username: "alice",
    UserAttributes: [{ Name: "sub", Value: "44872447-1116-467b-b6c8-57cb8a433c1c" }, { Name: "email", Value: "alice@example.com" }],
  };
  const make = (login, map) => {
    const lines = [];
    const log = createLog({ out: (l) => lines.push(JSON.parse(l)), err: (l) => lines.push(JSON.parse(l)) });
    return { lines, handler: createHandler({ config, client: {}, log, login, ...(map ? { map } : {}) }) };
  };
  const event = (body = loginBody("alice", "hunter2-password"), headers = { Authorization: SECRET }) => restEvent({ body, headers });

  test("success: 200 with the mapped user, one info line", async () => {
    const { handler, lines } = make(async (_client, cfg, loginId, password) => {
      assert.equal(cfg, config);
      assert.deepEqual([loginId, password], ["alice", "hunter2-password"]);
      return { user: GET_USER };
    });
    const response = await handler(event(), { awsRequestId: "req-1" });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers["content-type"], "application/json");
    const { user } = JSON.parse(response.body);
    assert.equal(user.id, "44872447-1116-467b-b6c8-57cb8a433c1c");
    assert.equal(user.tenantId, TENANT);
    assert.deepEqual(user.registrations, [{ applicationId: APP }]);
    assert.equal(user.data.migratedFrom, "cognito");
    assert.equal(lines.length, 1);
    assert.deepEqual([lines[0].level, lines[0].reason, lines[0].status, lines[0].requestId, lines[0].loginId, lines[0].userId],
      ["info", "success", 200, "req-1", "a***", user.id]);
  });

  test("an email-MFA user (moto has none): mapped with the challenged method, migrated with it; eventInfo reaches the login", async () => {
    const rules = defaultRules();
    rules.settings.carryMfa = true;
    const challenged = loadConfig({ ...ENV, COGNITO_USER_POOL_ID: "eu-west-1_X1", MAPPING_RULES: JSON.stringify(rules) });
    const record = {
      Username: "jane", Enabled: true, UserStatus: "CONFIRMED", UserMFASettingList: [], PreferredMfaSetting: "",
      UserAttributes: [{ Name: "sub", Value: "44872447-1116-467b-b6c8-57cb8a433c1c" },
        { Name: "email", Value: "jane@example.com" }, { Name: "email_verified", Value: "true" }],
    };
    const lines = [];
    const log = createLog({ out: (l) => lines.push(JSON.parse(l)), err: (l) => lines.push(JSON.parse(l)) });
    let options;
    const handler = createHandler({
      config: challenged, client: {}, log,
      login: async (_client, _cfg, _loginId, _password, o) => { options = o; return { user: record, challenge: { name: "EMAIL_OTP", parameters: {} } }; },
    });
    const response = await handler(functionUrlEvent({ body: loginBody("jane@example.com", "hunter2-password"), headers: { Authorization: SECRET } }));
    assert.equal(response.statusCode, 200, response.body);
    const { user } = JSON.parse(response.body);
    assert.deepEqual(user.twoFactor, { methods: [{ method: "email", email: "jane@example.com" }] });
    assert.deepEqual(options.eventInfo, { ipAddress: "203.0.113.7", userAgent: "Mozilla/5.0" });
    assert.equal(options.request.host, "abcdefghijklmnop.lambda-url.us-east-1.on.aws");
    assert.deepEqual([lines[0].reason, lines[0].challenge, lines[0].mfa, lines[0].twoFactor], ["success", "EMAIL_OTP", ["EMAIL_OTP"], ["email"]]);
    // The same user, email not verified: the rules carry nothing, so the user is refused.
    record.UserAttributes[2].Value = "false";
    const refused = await handler(functionUrlEvent({ body: loginBody("jane@example.com", "hunter2-password"), headers: { Authorization: SECRET } }));
    assert.equal(refused.statusCode, 404);
    assert.deepEqual([lines[1].reason, lines[1].notCarried, lines[1].userId], ["mfa-not-carried", ["EMAIL_OTP"], user.id]);
    assert.ok(!JSON.stringify(lines).includes("hunter2"));
  });

  test("a reset-required user (real Cognito: PasswordResetRequiredException) is a 404", async () => {
    const { handler, lines } = make(async () => ({ failure: classifyError(Object.assign(new Error("Password reset required for the user"), { name: "PasswordResetRequiredException" }), "InitiateAuth") }));
    const response = await handler(event());
    assert.equal(response.statusCode, 404);
    assert.equal(response.body, "");
    assert.equal(lines[0].reason, "password-reset-required");
  });

  test("throttling is a 503 and an error line, not a crash", async () => {
    const { handler, lines } = make(async () => ({ failure: classifyError(Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" }), "InitiateAuth") }));
    const response = await handler(event());
    assert.equal(response.statusCode, 503);
    assert.deepEqual([lines[0].level, lines[0].reason, lines[0].errorName], ["error", "cognito-throttled", "TooManyRequestsException"]);
  });

  test("an unexpected throw is a 500, with secrets redacted from the message", async () => {
    const { handler, lines } = make(async () => { throw new Error(`boom hunter2-password ${SECRET}`); });
    const response = await handler(event());
    assert.equal(response.statusCode, 500);
    assert.equal(lines[0].reason, "internal-error");
    assert.equal(lines[0].errorMessage, "boom [redacted] [redacted]");
  });

  test("a mapping failure is a 500", async () => {
    const { handler, lines } = make(async () => ({ user: GET_USER }), () => { throw new Error("field \"email\": bad"); });
    const response = await handler(event());
    assert.equal(response.statusCode, 500);
    assert.equal(lines[0].reason, "mapping-failed");
  });

  test("order of checks: event, method, header, body; Cognito is not called before", async () => {
    let calls = 0;
    const { handler, lines } = make(async () => { calls += 1; return { user: GET_USER }; });
    assert.equal((await handler({ foo: 1 })).statusCode, 400);
    assert.equal((await handler(restEvent({ body: loginBody("a", "b"), method: "GET", headers: { Authorization: SECRET } }))).statusCode, 405);
    assert.equal((await handler(event(loginBody("a", "b"), {}))).statusCode, 401);
    assert.equal((await handler(event(loginBody("a", "b"), { Authorization: "nope" }))).statusCode, 401);
    assert.equal((await handler(event("{", { Authorization: SECRET }))).statusCode, 400);
    assert.equal(calls, 0);
    assert.deepEqual(lines.map((l) => [l.reason, l.detail ?? l.method]), [
      ["malformed-event", "the event has no HTTP method (not an API Gateway or Function URL event)"],
      ["method-not-allowed", "GET"],
      ["unauthorized", "missing-authorization"],
      ["unauthorized", "wrong-authorization"],
      ["malformed-body", "invalid-json"],
    ]);
  });

  test("an over-long loginId or password is a 400 input-too-long, masked in the log line, Cognito not called", async () => {
    let calls = 0;
    const { handler, lines } = make(async () => { calls += 1; return { failure: { status: 404, reason: "user-not-found", level: "info" } }; });
    const longId = `${"x".repeat(5000)}@example.com`;
    const longPassword = "p".repeat(MAX_PASSWORD_LENGTH + 1);
    const tooLongId = await handler(event(loginBody(longId, "pw")));
    const tooLongPassword = await handler(event(loginBody("jane@example.com", longPassword)));
    assert.deepEqual([tooLongId.statusCode, tooLongPassword.statusCode], [400, 400]);
    assert.equal(calls, 0);
    assert.deepEqual(lines.map((l) => [l.level, l.status, l.reason, l.detail, l.loginId]), [
      ["warn", 400, "input-too-long", "login-id-too-long", "x***@example.com"],
      ["warn", 400, "input-too-long", "password-too-long", "j***@example.com"],
    ]);
    assert.match(JSON.parse(tooLongId.body).error, /longer than 256/);
    const text = JSON.stringify(lines);
    assert.ok(!text.includes(longPassword) && !text.includes("x".repeat(10)));
  });

  test("no log line holds the whole login id; it is redacted from error messages too", async () => {
    const { handler, lines } = make(async (_c, _cfg, loginId) => {
      if (loginId === "jane.doe@example.com") throw new Error(`no luck for ${loginId}`);
      return { failure: { status: 404, reason: "user-not-found", level: "info" } };
    });
    const ids = ["jane.doe@example.com", "+14325551212", "alice_liddell", "ab"];
    for (const loginId of ids) await handler(event(loginBody(loginId, "hunter2-password")));
    assert.deepEqual(lines.map((l) => l.loginId), ["j***@example.com", "+***12", "a***", "a***"]);
    assert.equal(lines[0].errorMessage, "no luck for [redacted]");
    const text = JSON.stringify(lines);
    for (const loginId of ids.slice(0, 3)) assert.ok(!text.includes(loginId), loginId);
  });

  test("redact", () => {
    assert.equal(redact("a pw b pw", ["pw", "", undefined]), "a [redacted] b [redacted]");
  });
});
