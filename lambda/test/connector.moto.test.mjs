// The handler (index.mjs, configured through environment variables) against a real Cognito
// emulator: moto_server on a free loopback port, one pool with a user in each state.
//
// Where moto differs from Cognito, the test says so:
// - RESET_REQUIRED: Cognito answers InitiateAuth with PasswordResetRequiredException; moto has no
//   such exception and issues tokens, then GetUser refuses the non-CONFIRMED user
//   (NotAuthorizedException). Both end in a 404; the reason logged differs (unit-tested for
//   Cognito's answer in unit.test.mjs).
// - UNCONFIRMED: Cognito says UserNotConfirmedException even for a wrong password; moto checks the
//   password first (wrong password → NotAuthorizedException). 404 either way.
// - ExplicitAuthFlows is not enforced by moto (a client without ALLOW_USER_PASSWORD_AUTH would get
//   InvalidParameterException from Cognito → 500 "cognito-misconfigured"); SECRET_HASH is not
//   checked for USER_PASSWORD_AUTH; unknown users give UserNotFoundException (Cognito with
//   PreventUserExistenceErrors gives NotAuthorizedException instead).
// - GetUser returns every attribute (Cognito: only those the app client may read) and
//   "PreferredMfaSetting": "" (Cognito omits it).
import { test, before, after, mock } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:net";
import { createCognitoClient } from "../src/cognito.mjs";
import { loadConfig } from "../src/config.mjs";
import { createHandler } from "../src/handler.mjs";
import { createLog } from "../src/log.mjs";
import { maskLoginId } from "../src/mask.mjs";
import { adminClient, freePort, startMoto } from "../testlib/moto.mjs";
import { startDelayingProxy } from "../testlib/proxy.mjs";
import { ALICE_ATTRIBUTES, PASSWORD, TEMPORARY_PASSWORD, createEmailPool, createFixturePool, addGuideUser } from "../testlib/pool.mjs";
import { GUIDE_EVENT, functionUrlEvent, httpApiEvent, loginBody, restEvent } from "../testlib/events.mjs";

const APP = "85a03867-dccf-4882-adde-1a79aeec50df";
const TENANT = "30663132-6464-6665-3032-326466613934";
const SECRET = GUIDE_EVENT.headers.Authorization;   // the guide's example header value

let moto;
let pool;
let handler;
const logLines = [];

before(async () => {
  moto = await startMoto();
  const admin = adminClient(moto.endpoint);
  pool = await createFixturePool(admin);
  await addGuideUser(admin, pool.poolId);
  pool.email = await createEmailPool(admin);
  Object.assign(process.env, {
    COGNITO_CLIENT_ID: pool.clientId,
    COGNITO_REGION: "us-east-1",
    COGNITO_ENDPOINT: moto.endpoint,
    CONNECTOR_AUTHORIZATION: SECRET,
    FUSIONAUTH_APPLICATION_ID: APP,
    FUSIONAUTH_TENANT_ID: TENANT,
  });
  delete process.env.MAPPING_RULES;
  ({ handler } = await import("../index.mjs"));
});

after(async () => {
  await moto?.stop();
});

/** Every login id the tests send: no log line may hold one whole. */
const LOGIN_IDS = new Set();

/** Calls the handler with console.log/error captured; returns the response and its log lines. */
async function call(event, h = handler, context = { awsRequestId: "test-request" }) {
  const lines = [];
  const capture = (text) => lines.push(JSON.parse(text));
  const out = mock.method(console, "log", capture);
  const err = mock.method(console, "error", capture);
  try {
    const loginId = loginIdOf(event);
    if (loginId) LOGIN_IDS.add(loginId);
    const response = await h(event, context);
    logLines.push(...lines);
    return { response, lines, line: lines[0] };
  } finally {
    out.mock.restore();
    err.mock.restore();
  }
}

/** The loginId an event's body carries, if any. */
function loginIdOf(event) {
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
    const { loginId } = JSON.parse(text);
    return typeof loginId === "string" && loginId.length >= 3 ? loginId : undefined;
  } catch {
    return undefined;
  }
}

const auth = { Authorization: SECRET };
const okUser = (response) => {
  assert.equal(response.statusCode, 200, response.body);
  return JSON.parse(response.body).user;
};

test("REST API (v1) event: 200 with every attribute mapped", async () => {
  const { response, lines, line } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }));
  const user = okUser(response);
  const sub = user.id;
  assert.match(sub, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const a = ALICE_ATTRIBUTES;
  assert.equal(user.tenantId, TENANT);
  assert.equal(user.username, "alice");
  assert.equal(user.email, a.email);
  assert.equal(user.verified, true);
  assert.equal(user.firstName, a.given_name);
  assert.equal(user.middleName, a.middle_name);
  assert.equal(user.lastName, a.family_name);
  assert.equal(user.fullName, a.name);
  assert.equal(user.mobilePhone, a.phone_number);
  assert.equal(user.birthDate, a.birthdate);
  assert.equal(user.imageUrl, a.picture);
  assert.equal(user.timezone, a.zoneinfo);
  assert.deepEqual(user.preferredLanguages, ["en_GB"]);
  assert.equal(user.active, true);
  assert.deepEqual(user.registrations, [{ applicationId: APP }]);
  assert.deepEqual(user.data.custom, { department: "Research", employee_id: "42" });
  assert.equal(user.data.cognito.username, "alice");
  assert.equal(user.data.importSource, "cognito");
  assert.equal(user.data.migratedFrom, "cognito");
  assert.match(user.data.migratedDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  for (const name of ["website", "nickname", "preferred_username", "gender", "address", "updated_at", "phone_number_verified"]) {
    assert.equal(user.data[name], a[name], name);
  }
  for (const field of ["password", "salt", "encryptionScheme", "factor"]) assert.equal(user[field], undefined, field);
  assert.equal(lines.length, 1);
  assert.deepEqual([line.level, line.reason, line.status, line.source, line.loginId, line.userId, line.requestId],
    ["info", "success", 200, "rest-api", "a***", sub, "test-request"]);
});

test("HTTP API (v2) event: lower-case header, base64 body", async () => {
  const event = httpApiEvent({ body: loginBody("alice", PASSWORD), headers: auth, base64: true });
  assert.ok(event.headers.authorization && !event.headers.Authorization);
  const { response, line } = await call(event);
  assert.equal(okUser(response).username, "alice");
  assert.equal(line.source, "http-api");
});

test("Function URL event: plain and base64 bodies", async () => {
  for (const base64 of [true, false]) {
    const { response, line } = await call(functionUrlEvent({ body: loginBody("alice", PASSWORD), headers: auth, base64 }));
    assert.equal(okUser(response).email, "alice@example.com");
    assert.equal(line.source, "function-url");
  }
});

test("REST API event with lower-case and base64: the guide's test event shape", async () => {
  const { response } = await call(GUIDE_EVENT);
  assert.equal(okUser(response).username, "user1");
  const lower = restEvent({ body: loginBody("alice", PASSWORD), headers: { authorization: SECRET }, base64: true });
  assert.equal(okUser((await call(lower)).response).username, "alice");
});

test("the same user maps to the same id on every login", async () => {
  const first = okUser((await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }))).response);
  const second = okUser((await call(functionUrlEvent({ body: loginBody("alice", PASSWORD), headers: auth }))).response);
  delete first.data.migratedDate;
  delete second.data.migratedDate;
  assert.deepEqual(first, second);
});

/** Each failure path: [what, loginId, password, expected status, expected reason, extra checks]. */
const failures = [
  ["wrong password", "alice", "Wrong-Password-1!", 404, "incorrect-username-or-password"],
  ["unknown user", "nobody", PASSWORD, 404, "user-not-found"],
  ["disabled user", "dave", PASSWORD, 404, "user-disabled"],
  ["unconfirmed user, right password", "ursula", PASSWORD, 404, "user-not-confirmed"],
  // moto checks the password before the confirmation (Cognito would say user-not-confirmed).
  ["unconfirmed user, wrong password", "ursula", "Wrong-Password-1!", 404, "incorrect-username-or-password"],
  ["FORCE_CHANGE_PASSWORD, temporary password", "frank", TEMPORARY_PASSWORD, 404, "new-password-required", { challenge: "NEW_PASSWORD_REQUIRED" }],
  ["FORCE_CHANGE_PASSWORD, wrong password", "frank", PASSWORD, 404, "incorrect-username-or-password"],
  // Cognito: PasswordResetRequiredException at InitiateAuth (reason password-reset-required).
  // moto: tokens, then GetUser refuses the RESET_REQUIRED user.
  ["RESET_REQUIRED user (moto)", "rita", PASSWORD, 404, "get-user-rejected", { stage: "GetUser", errorName: "NotAuthorizedException" }],
  ["SMS MFA challenge", "milo", PASSWORD, 404, "mfa-required", { challenge: "SMS_MFA" }],
];

for (const [what, loginId, password, status, reason, extra = {}] of failures) {
  test(`${what} → ${status} ${reason}`, async () => {
    const { response, lines, line } = await call(httpApiEvent({ body: loginBody(loginId, password), headers: auth }));
    assert.equal(response.statusCode, status);
    assert.equal(response.body, "");
    assert.equal(lines.length, 1);
    assert.equal(line.reason, reason);
    assert.equal(line.status, status);
    assert.equal(line.loginId, maskLoginId(loginId));
    for (const [key, value] of Object.entries(extra)) assert.equal(line[key], value, key);
  });
}

test("wrong, missing or mis-cased Authorization → 401 and no Cognito call", async () => {
  const body = loginBody("alice", PASSWORD);
  const cases = [
    [restEvent({ body, headers: {} }), "missing-authorization"],
    [restEvent({ body, headers: { Authorization: "wrong" } }), "wrong-authorization"],
    [restEvent({ body, headers: { Authorization: SECRET.toLowerCase() } }), "wrong-authorization"],
    [restEvent({ body, headers: { Authorization: `Bearer ${SECRET}` } }), "wrong-authorization"],
    [httpApiEvent({ body, headers: { Authorization: `${SECRET}x` } }), "wrong-authorization"],
    [functionUrlEvent({ body, headers: { "X-Authorization": SECRET } }), "missing-authorization"],
  ];
  for (const [event, detail] of cases) {
    const { response, line } = await call(event);
    assert.equal(response.statusCode, 401);
    assert.deepEqual([line.reason, line.detail, line.loginId], ["unauthorized", detail, undefined]);
  }
});

test("malformed bodies → 400; other methods → 405", async () => {
  const cases = [
    [restEvent({ body: "{not json", headers: auth }), "invalid-json"],
    [restEvent({ body: undefined, headers: auth }), "empty-body"],
    [httpApiEvent({ body: "[1,2]", headers: auth, base64: true }), "not-an-object"],
    [functionUrlEvent({ body: JSON.stringify({ loginId: "alice" }), headers: auth }), "missing-password"],
    [functionUrlEvent({ body: JSON.stringify({ password: PASSWORD }), headers: auth }), "missing-login-id"],
    [restEvent({ body: "%%%not base64 json", headers: auth, base64: true }), "invalid-json"],
  ];
  for (const [event, detail] of cases) {
    const { response, line } = await call(event);
    assert.equal(response.statusCode, 400, detail);
    assert.deepEqual([line.reason, line.detail], ["malformed-body", detail]);
  }
  for (const method of ["GET", "PUT", "OPTIONS"]) {
    const { response } = await call(httpApiEvent({ body: loginBody("alice", PASSWORD), headers: auth, method }));
    assert.equal(response.statusCode, 405);
    assert.equal(response.headers.allow, "POST");
  }
});

/** A handler built like index.mjs for another environment. */
function handlerFor(env) {
  const config = loadConfig({
    COGNITO_REGION: "us-east-1", CONNECTOR_AUTHORIZATION: SECRET, FUSIONAUTH_APPLICATION_ID: APP, ...env,
  });
  return createHandler({ config, client: createCognitoClient(config), log: createLog() });
}

test("a pool signing in with email (Username = sub): no username, email login works", async () => {
  const h = handlerFor({ COGNITO_CLIENT_ID: pool.email.clientId, COGNITO_ENDPOINT: moto.endpoint });
  const { response } = await call(restEvent({ body: loginBody("emma@example.com", PASSWORD), headers: auth }), h);
  const user = okUser(response);
  assert.equal(user.username, undefined);   // rule "unlessEquals": "sub"
  assert.equal(user.email, "emma@example.com");
  assert.equal(user.firstName, "Emma");
  assert.equal(user.id, user.data.cognito.username);
});

test("MAPPING_RULES are applied (custom attribute to a top-level field)", async () => {
  const { defaultRules } = await import("cognito-fusionauth");
  const rules = defaultRules();
  rules.attributes.push({ source: "nickname", target: "data.displayName", transform: "trim" });
  const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint, MAPPING_RULES: JSON.stringify(rules) });
  const user = okUser((await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h)).response);
  assert.equal(user.data.displayName, "Ali");
  assert.equal(user.tenantId, undefined);
});

test("Cognito unreachable → 503 and an error line, never a crash", async () => {
  const port = await freePort();   // nothing listens there
  const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: `http://127.0.0.1:${port}` });
  const { response, line } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h);
  assert.equal(response.statusCode, 503);
  assert.deepEqual([line.level, line.reason, line.stage], ["error", "cognito-unavailable", "InitiateAuth"]);
});

test("Cognito hanging → 503 after the SDK's request timeout (2 attempts × 2 s)", async () => {
  const sockets = new Set();
  const server = createServer((socket) => sockets.add(socket)).listen(0, "127.0.0.1");   // accepts, never answers
  await once(server, "listening");
  try {
    const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: `http://127.0.0.1:${server.address().port}` });
    const started = performance.now();
    const { response, line } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h);
    const elapsed = performance.now() - started;
    assert.equal(response.statusCode, 503);
    assert.deepEqual([line.level, line.reason, line.errorName], ["error", "cognito-unavailable", "TimeoutError"]);
    assert.ok(elapsed < 6000, `${elapsed} ms`);
  } finally {
    for (const socket of sockets) socket.destroy();
    server.close();
  }
});

test("Cognito slow (a delaying proxy before moto), 1 s of Lambda time left → 503 deadline-exceeded, call aborted", async () => {
  const proxy = await startDelayingProxy(moto.endpoint, { delayMs: 1500 });
  try {
    const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: proxy.endpoint });
    const end = Date.now() + 1000;
    const context = { awsRequestId: "slow-request", getRemainingTimeInMillis: () => end - Date.now() };
    const started = performance.now();
    const { response, lines, line } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h, context);
    const elapsed = performance.now() - started;
    assert.equal(response.statusCode, 503, JSON.stringify(line));
    assert.ok(elapsed >= 700 && elapsed < 1000, `answered after ${elapsed} ms; Lambda would have stopped at 1000 ${JSON.stringify(line)}`);
    assert.equal(lines.length, 1);
    assert.deepEqual([line.level, line.reason, line.stage, line.requestId, line.loginId],
      ["error", "deadline-exceeded", "InitiateAuth", "slow-request", "a***"]);
    // 1000 ms left minus the 250 ms margin, less whatever the clock moved before the handler read it.
    assert.ok(line.budgetMs > 700 && line.budgetMs <= 750, `budget ${line.budgetMs} ms`);
    // The abort closed the SDK's connection before moto's (held back) answer reached it.
    for (let i = 0; i < 50 && proxy.stats.closedBeforeAnswer === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.equal(proxy.stats.closedBeforeAnswer, 1);
  } finally {
    await proxy.stop();
  }
});

test("the same slow Cognito with time to spare: 200 after the delay (the deadline does not cut good logins)", async () => {
  const proxy = await startDelayingProxy(moto.endpoint, { delayMs: 300 });
  try {
    const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: proxy.endpoint, FUSIONAUTH_READ_TIMEOUT_MS: "3000" });
    const end = Date.now() + 9000;
    const context = { awsRequestId: "slow-ok", getRemainingTimeInMillis: () => end - Date.now() };
    const { response } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h, context);
    assert.equal(okUser(response).username, "alice");
    assert.equal(proxy.stats.closedBeforeAnswer, 0);
  } finally {
    await proxy.stop();
  }
});

test("unknown app client → 500 cognito-misconfigured (ResourceNotFoundException)", async () => {
  const h = handlerFor({ COGNITO_CLIENT_ID: "no-such-client", COGNITO_ENDPOINT: moto.endpoint });
  const { response, line } = await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h);
  assert.equal(response.statusCode, 500);
  assert.deepEqual([line.level, line.reason, line.errorName], ["error", "cognito-misconfigured", "ResourceNotFoundException"]);
});

test("COGNITO_CLIENT_SECRET adds SECRET_HASH (moto does not check it for USER_PASSWORD_AUTH)", async () => {
  const h = handlerFor({ COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint, COGNITO_CLIENT_SECRET: "unused-by-moto" });
  assert.equal(okUser((await call(restEvent({ body: loginBody("alice", PASSWORD), headers: auth }), h)).response).username, "alice");
});

test("no log line ever holds a password, a token, the Authorization header or a whole login id", () => {
  assert.ok(logLines.length > 20);
  const text = logLines.map((l) => JSON.stringify(l)).join("\n");
  assert.ok(LOGIN_IDS.size >= 8, [...LOGIN_IDS].join());
  for (const loginId of LOGIN_IDS) assert.ok(!text.includes(loginId), `a log line contains the login id ${loginId}`);
  for (const secret of [PASSWORD, TEMPORARY_PASSWORD, "Wrong-Password-1!", "Password#1", SECRET, SECRET.toLowerCase()]) {
    assert.ok(!text.includes(secret), `a log line contains ${secret}`);
  }
  assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(text), "a log line contains a JWT");
  for (const line of logLines) assert.equal(typeof line.reason, "string");
});
