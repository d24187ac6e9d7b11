// One deadline per request (src/deadline.mjs), with a stubbed SDK client: a slow Cognito and a
// Lambda context with little time left end in a 503 `deadline-exceeded` and its log line before
// the time runs out, and the Cognito call is aborted through its abortSignal. The same against
// moto behind a delaying proxy is in connector.moto.test.mjs.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { GetUserCommand, InitiateAuthCommand } from "@aws-sdk/client-cognito-identity-provider";
import { loadConfig } from "../src/config.mjs";
import { DEADLINE_MARGIN_MS, DeadlineError, requestBudget, withDeadline } from "../src/deadline.mjs";
import { createHandler } from "../src/handler.mjs";
import { createLog } from "../src/log.mjs";
import { loginBody, restEvent } from "../testlib/events.mjs";

const SECRET = "deadline-test-secret-0123456789";
const ENV = {
  COGNITO_CLIENT_ID: "abc123client", AWS_REGION: "eu-west-1", CONNECTOR_AUTHORIZATION: SECRET,
  FUSIONAUTH_APPLICATION_ID: "85a03867-dccf-4882-adde-1a79aeec50df",
};
const TOKENS = { AuthenticationResult: { AccessToken: "access-token" } };
const GET_USER = {
  Username: "alice",
  UserAttributes: [{ Name: "sub", Value: "44872447-1116-467b-b6c8-57cb8a433c1c" }, { Name: "email", Value: "alice@example.com" }],
};

/** A Lambda context with `ms` left when the handler starts. */
const lambdaContext = (ms) => {
  const end = Date.now() + ms;
  return { awsRequestId: "req-deadline", getRemainingTimeInMillis: () => end - Date.now() };
};

/**
 * A stand-in for the SDK client: InitiateAuth answers after `initiateMs`, GetUser after
 * `getUserMs`; an abortSignal rejects the call at once with an AbortError, as the SDK's HTTP
 * handler does. With `ignoreAbort` a call never answers at all. `calls` records each command
 * and its signal.
 */
function slowClient({ initiateMs = 0, getUserMs = 0, ignoreAbort = false } = {}) {
  const calls = [];
  return {
    calls,
    send(command, { abortSignal } = {}) {
      const initiate = command instanceof InitiateAuthCommand;
      assert.ok(initiate || command instanceof GetUserCommand);
      calls.push({ command: command.constructor.name, abortSignal });
      const ms = initiate ? initiateMs : getUserMs;
      if (ignoreAbort) return new Promise(() => {});   // hangs, and holds no timer that keeps Node running
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => resolve(initiate ? TOKENS : { $metadata: {}, ...GET_USER }), ms);
        if (abortSignal) {
          abortSignal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(Object.assign(new Error("Request aborted"), { name: "AbortError" }));
          }, { once: true });
        }
      });
    },
  };
}

function make(env, client) {
  const lines = [];
  const log = createLog({ out: (l) => lines.push(JSON.parse(l)), err: (l) => lines.push(JSON.parse(l)) });
  return { lines, handler: createHandler({ config: loadConfig({ ...ENV, ...env }), client, log }) };
}

const event = () => restEvent({ body: loginBody("alice", "hunter2-password"), headers: { Authorization: SECRET } });

async function timed(promise) {
  const started = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - started };
}

describe("requestBudget", () => {
  test("the shorter of Lambda's remaining time and FusionAuth's read timeout, less the margin", () => {
    const context = (ms) => ({ getRemainingTimeInMillis: () => ms });
    assert.equal(DEADLINE_MARGIN_MS, 250);
    assert.equal(requestBudget(context(1000)), 750);
    assert.equal(requestBudget(context(9000), 3000), 2750);
    assert.equal(requestBudget(context(2000), 3000), 1750);
    assert.equal(requestBudget({}, 3000), 2750);
    assert.equal(requestBudget(context(100)), 0);
    assert.equal(requestBudget(undefined), Infinity);
    assert.equal(requestBudget({ awsRequestId: "x" }), Infinity);
  });

  test("withDeadline: the work's answer in time, the expired answer and an aborted signal after", async () => {
    assert.equal(await withDeadline(Infinity, (signal) => (signal === undefined ? "no signal" : "signal"), () => "late"), "no signal");
    let seen;
    assert.equal(await withDeadline(1000, async (signal) => { seen = signal; return "fast"; }, () => "late"), "fast");
    assert.equal(seen.aborted, false);
    const { value, ms } = await timed(withDeadline(50, (signal) => { seen = signal; return new Promise(() => {}); }, () => "late"));
    assert.equal(value, "late");
    assert.ok(ms >= 45 && ms < 500, `${ms} ms`);
    assert.equal(seen.aborted, true);
    assert.ok(seen.reason instanceof DeadlineError);
  });
});

describe("handler under a deadline (stubbed Cognito)", () => {
  test("slow InitiateAuth, 600 ms left: 503 deadline-exceeded by the deadline, the call aborted", async () => {
    const client = slowClient({ initiateMs: 5000 });
    const { handler, lines } = make({}, client);
    const { value: response, ms } = await timed(handler(event(), lambdaContext(600)));
    assert.equal(response.statusCode, 503);
    assert.ok(ms >= 300 && ms < 600, `answered after ${ms} ms, Lambda would have stopped at 600`);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.deepEqual([line.level, line.status, line.reason, line.stage, line.requestId, line.loginId],
      ["error", 503, "deadline-exceeded", "InitiateAuth", "req-deadline", "a***"]);
    assert.ok(line.budgetMs > 300 && line.budgetMs <= 350, `budget ${line.budgetMs} ms: 600 left less the 250 ms margin`);
    assert.equal(client.calls.length, 1);
    assert.equal(client.calls[0].abortSignal.aborted, true, "the SDK call was aborted");
    assert.ok(client.calls[0].abortSignal.reason instanceof DeadlineError);
  });

  test("slow GetUser: the stage says which call was cut", async () => {
    const client = slowClient({ initiateMs: 10, getUserMs: 5000 });
    const { handler, lines } = make({}, client);
    const response = await handler(event(), lambdaContext(500));
    assert.equal(response.statusCode, 503);
    assert.deepEqual([lines[0].reason, lines[0].stage], ["deadline-exceeded", "GetUser"]);
    assert.deepEqual(client.calls.map((c) => [c.command, c.abortSignal.aborted]), [["InitiateAuthCommand", true], ["GetUserCommand", true]]);
  });

  test("a call that ignores its signal still cannot hold the answer past the deadline", async () => {
    const { handler, lines } = make({}, slowClient({ ignoreAbort: true }));
    const { value: response, ms } = await timed(handler(event(), lambdaContext(450)));
    assert.equal(response.statusCode, 503);
    assert.ok(ms < 450, `${ms} ms`);
    assert.equal(lines[0].reason, "deadline-exceeded");
  });

  test("FUSIONAUTH_READ_TIMEOUT_MS bounds the request when Lambda has time to spare", async () => {
    const { handler, lines } = make({ FUSIONAUTH_READ_TIMEOUT_MS: "600" }, slowClient({ initiateMs: 5000 }));
    const { value: response, ms } = await timed(handler(event(), lambdaContext(9000)));
    assert.equal(response.statusCode, 503);
    assert.ok(ms >= 300 && ms < 600, `${ms} ms`);
    assert.equal(lines[0].budgetMs, 350, "the read timeout (600) less the margin, not Lambda's 9 s");
  });

  test("no time left: 503 at once, Cognito not called", async () => {
    const client = slowClient();
    const { handler, lines } = make({}, client);
    const response = await handler(event(), lambdaContext(200));
    assert.equal(response.statusCode, 503);
    assert.deepEqual([lines[0].reason, lines[0].stage, lines[0].budgetMs], ["deadline-exceeded", "before-cognito", 0]);
    assert.equal(client.calls.length, 0);
  });

  test("a Cognito in time: 200, each call got the signal, none aborted", async () => {
    const client = slowClient({ initiateMs: 20, getUserMs: 20 });
    const { handler, lines } = make({ FUSIONAUTH_READ_TIMEOUT_MS: "3000" }, client);
    const response = await handler(event(), lambdaContext(9000));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(lines[0].reason, "success");
    assert.deepEqual(client.calls.map((c) => c.abortSignal.aborted), [false, false]);
  });
});
