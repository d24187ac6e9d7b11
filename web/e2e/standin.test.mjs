// The stand-in harness (standin.mjs): it starts the FusionAuth stand-in, whose CORS filter lets
// the console's origin (and only it) call /api, and whose request log shows what came in.
// Needs python3 only (no dist/, no browser).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEFAULT_TENANT_ID, GOOGLE_IDP_ID, RESET_TEMPLATE_ID, startStandin, standinConfig } from "./standin.mjs";

const ORIGIN = "http://127.0.0.1:1";
const KEY = "k";

describe("the stand-in harness", () => {
  let fa;
  before(async () => {
    fa = await startStandin(standinConfig({ apiKey: KEY, corsOrigin: ORIGIN }));
  });
  after(async () => {
    await fa?.stop();
  });

  test("answers on its own origin", () => {
    assert.match(fa.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(fa.origin, fa.url);
  });

  test("a preflight from the console's origin is allowed, another origin's is refused", async () => {
    await fa.config(standinConfig({ apiKey: KEY, corsOrigin: ORIGIN }));
    const preflight = (origin, method) =>
      fetch(`${fa.url}/api/user/import`, {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": "authorization,content-type,x-fusionauth-tenantid",
        },
      });
    const ok = await preflight(ORIGIN, "POST");
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), "");
    assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(ok.headers.get("access-control-allow-methods"), "GET,POST,DELETE,OPTIONS");
    assert.equal(ok.headers.get("access-control-allow-headers"), "authorization,content-type,x-fusionauth-tenantid");
    assert.equal(ok.headers.get("access-control-max-age"), "1800");
    assert.equal(ok.headers.get("vary"), "Origin");
    assert.equal(ok.headers.get("access-control-allow-credentials"), null);

    for (const [origin, method] of [["http://127.0.0.1:2", "POST"], [ORIGIN, "PUT"]]) {
      const no = await preflight(origin, method);
      assert.equal(no.status, 403, `${origin} ${method}`);
      assert.equal(await no.text(), "");
      assert.equal(no.headers.get("access-control-allow-origin"), null);
    }
  });

  test("an actual request gets the CORS headers, on errors too; the log shows it", async () => {
    await fa.config(standinConfig({ apiKey: KEY, corsOrigin: ORIGIN }));
    const version = await fetch(`${fa.url}/api/system/version`, { headers: { Origin: ORIGIN, Authorization: KEY } });
    assert.equal(version.status, 200);
    assert.deepEqual(await version.json(), { version: "1.62.1" });
    assert.equal(version.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(version.headers.get("access-control-expose-headers"),
      "Access-Control-Allow-Origin,Access-Control-Allow-Credentials");
    assert.equal(version.headers.get("vary"), "Origin");

    const badKey = await fetch(`${fa.url}/api/system/version`, { headers: { Origin: ORIGIN, Authorization: "nope" } });
    assert.equal(badKey.status, 401);
    assert.equal(badKey.headers.get("access-control-allow-origin"), ORIGIN);

    await fa.faults([{ path: "/api/user/search", action: "status", status: 503, retryAfter: 2 }]);
    const faulted = await fetch(`${fa.url}/api/user/search?ids=${DEFAULT_TENANT_ID}`, {
      headers: { Origin: ORIGIN, Authorization: KEY },
    });
    assert.equal(faulted.status, 503);
    assert.equal(faulted.headers.get("retry-after"), "2");
    assert.equal(faulted.headers.get("access-control-allow-origin"), ORIGIN);
    await faulted.arrayBuffer();
    await fa.faults([]);

    const elsewhere = await fetch(`${fa.url}/api/system/version`, {
      headers: { Origin: "http://evil.example", Authorization: KEY },
    });
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.headers.get("access-control-allow-origin"), null);
    await elsewhere.arrayBuffer();

    const { requests } = await fa.state();
    const pick = (r) => [r.method, r.path, r.origin, r.authorization, r.status, r.outcome, r.cors, r.corsDenied];
    assert.deepEqual(requests.map(pick), [
      ["GET", "/api/system/version", ORIGIN, true, 200, "answered", "actual", null],
      ["GET", "/api/system/version", ORIGIN, true, 401, "answered", "actual", null],
      ["GET", "/api/user/search", ORIGIN, true, 503, "answered", "actual", null],
      ["GET", "/api/system/version", "http://evil.example", true, 403, "answered", "actual",
        "origin 'http://evil.example' is not allowed"],
    ]);
  });

  test("the config holds what the sample pool needs", async () => {
    const state = await fa.state();
    assert.equal(state.cors.enabled, true);
    assert.deepEqual(state.cors.allowedOrigins, [ORIGIN]);
    const config = standinConfig({ apiKey: KEY, corsOrigin: ORIGIN });
    assert.deepEqual(config.keys, { [KEY]: { endpoints: {} } });
    assert.equal(config.tenants[0].id, DEFAULT_TENANT_ID);
    assert.equal(config.tenants[0].forgotPasswordEmailTemplateId, RESET_TEMPLATE_ID);
    assert.equal(config.identityProviders[0].id, GOOGLE_IDP_ID);
    // Without an origin, CORS stays at FusionAuth's defaults: disabled.
    assert.equal(standinConfig({ apiKey: KEY }).cors, undefined);
    await fa.config(standinConfig({ apiKey: KEY, corsOrigin: null }));
    const denied = await fetch(`${fa.url}/api/system/version`, { headers: { Origin: ORIGIN, Authorization: KEY } });
    assert.equal(denied.status, 403);
    await denied.arrayBuffer();
    assert.equal((await fa.state()).requests[0].corsDenied, "CORS is disabled");
  });
});

test("a config the stand-in refuses fails the start and leaves no process behind", async () => {
  const bad = { ...standinConfig({ apiKey: KEY }), cors: { enabled: true, allowedOrigins: ["*", ORIGIN] } };
  await assert.rejects(startStandin(bad), /POST \/_standin\/config answered 400/);
});

test("--cors-origin sets the initial CORS state; stop() ends the process", async () => {
  const fa = await startStandin(null, { corsOrigins: [ORIGIN] });
  try {
    const ok = await fetch(`${fa.url}/api/system/version`, {
      method: "OPTIONS",
      headers: { Origin: ORIGIN, "Access-Control-Request-Method": "DELETE" },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
  } finally {
    await fa.stop();
  }
  await assert.rejects(fetch(`${fa.url}/_standin/state`));
  await fa.stop(); // a second stop is harmless
});
