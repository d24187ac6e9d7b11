// The console as hosted: dist/ deployed by site/deploy.py into a real S3 emulator (moto_server
// on loopback), then driven in Debian's headless Chromium as web/e2e does: load the sample pool,
// convert, download. Twice: straight from the bucket under a prefix (plain S3 behind an existing
// CDN), and at the root through a stand-in for the stack's CloudFront, which adds the headers of
// template.yaml's response headers policy (CSP with frame-ancestors, HSTS, ...) to every
// response. Every run also checks: no page or worker error, no CSP violation, no request to
// another origin, and each file served with the type and caching the deploy gave it.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { downloadText, launch, openConsole } from "../../web/e2e/helpers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const site = join(here, "..");
const dist = process.env.SITE_DIST ?? join(site, "..", "dist");
const PREFIX = "exports/console/";

let moto;
let endpoint;
let browser;
const servers = [];
let plain; // { url, origin } straight from the bucket
let fronted; // { url, origin } through the CloudFront stand-in
let headers; // what the stack's response headers policy sends

async function listen(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const awsEnv = () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  return { ...env, AWS_ACCESS_KEY_ID: "testing", AWS_SECRET_ACCESS_KEY: "testing", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL: endpoint };
};
const python = (args) => execFileSync("python3", args, { env: awsEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

before(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || moto.exitCode !== null) throw new Error("moto_server did not start (run scripts/setup.sh)");
    await new Promise((r) => setTimeout(r, 100));
  }

  // Plain S3 behind an existing CDN: a bucket whose prefix is readable, the console under it.
  python([join(here, "support.py"), "public-prefix", endpoint, "console-prefix", PREFIX]);
  python([join(site, "deploy.py"), "deploy", "--bucket", "console-prefix", "--prefix", PREFIX, "--dist", dist]);
  plain = { origin: endpoint, url: `${endpoint}/console-prefix/${PREFIX}index.html` };

  // The stack: the bucket's root, served by the stand-in with the template's headers.
  python([join(here, "support.py"), "public-prefix", endpoint, "console-stack", ""]);
  python([join(site, "deploy.py"), "deploy", "--bucket", "console-stack", "--dist", dist]);
  headers = JSON.parse(python([join(here, "support.py"), "headers", dist]));
  const origin = await listen((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    // DefaultRootObject: index.html
    const upstream = request(`${endpoint}/console-stack${path === "/" ? "/index.html" : path}`, { method: req.method }, (answer) => {
      const kept = {};
      for (const name of ["content-type", "cache-control", "etag", "last-modified", "content-length"]) {
        if (answer.headers[name] !== undefined) kept[name] = answer.headers[name];
      }
      res.writeHead(answer.statusCode, { ...kept, ...headers });
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  fronted = { origin, url: `${origin}/` };
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  moto?.kill();
});

/** Opens the console, records every response, runs `body`, then checks nothing went wrong on the side. */
async function withConsole(where, body) {
  const context = await browser.newContext({ acceptDownloads: true });
  const responses = [];
  context.on("response", (r) => responses.push(r));
  const opened = await openConsole(browser, where, context);
  try {
    await body(opened);
  } finally {
    await opened.context.close();
  }
  assert.deepEqual(opened.problems, []);
  return responses;
}

/** Load the sample pool, convert with keep-newest, download users-0001.json and check it. */
async function smoke(page) {
  await page.getByRole("button", { name: "Load sample pool" }).click();
  await page.getByTestId("users-loaded").getByText("21 users loaded").waitFor();
  await page.getByTestId("verdict").getByText("Download blocked").waitFor();
  await page.getByLabel("Duplicate emails", { exact: true }).selectOption("keep-newest");
  await page.getByRole("link", { name: "users-0001.json" }).waitFor();
  const imported = Number((await page.getByTestId("verdict").textContent()).match(/^(\d+) users ready/)[1]);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "users-0001.json" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "users-0001.json");
  const users = JSON.parse(await downloadText(download)).users;
  assert.equal(users.length, imported);
  assert.ok(imported > 0);
  for (const user of users) assert.equal(user.encryptionScheme, "salted-pbkdf2-hmac-sha256");
}

/** Every file the page and its worker fetched came with the type and caching the deploy set. */
function assertServed(responses, origin) {
  const seen = new Map();
  for (const r of responses) {
    if (!r.url().startsWith(origin)) continue;
    const name = new URL(r.url()).pathname.split("/").pop() || "index.html";
    seen.set(name, { status: r.status(), ...r.headers() });
  }
  for (const name of ["index.html", "worker-loader.js", "worker.js", "worker_bg.wasm"]) {
    assert.ok(seen.has(name), `${name} was fetched: ${[...seen.keys()]}`);
  }
  for (const [name, h] of seen) {
    if (h.status === 304) continue;
    assert.equal(h.status, 200, name);
    if (name.endsWith(".wasm")) assert.equal(h["content-type"], "application/wasm", name);
    if (name.endsWith(".js")) assert.equal(h["content-type"], "text/javascript; charset=utf-8", name);
    const hashed = /-[0-9a-f]{10,16}(_bg)?\.\w+$/.test(name);
    assert.equal(h["cache-control"], hashed ? "public, max-age=31536000, immutable" : "no-cache", name);
  }
  return seen;
}

describe("the console served from the emulated bucket", () => {
  test("plain S3 under a prefix: load the sample pool, convert, download", async () => {
    const responses = await withConsole(plain, ({ page }) => smoke(page));
    const seen = assertServed(responses, plain.origin);
    assert.equal(seen.get("index.html")["content-security-policy"], undefined, "plain S3 sends no CSP header");
  });

  test("through the stack's response headers: the same, under the header CSP too", async () => {
    const responses = await withConsole(fronted, ({ page }) => smoke(page));
    const seen = assertServed(responses, fronted.origin);
    // The page, the worker's scripts and its WASM all ran under the header policy.
    for (const name of ["index.html", "worker-loader.js", "worker.js", "worker_bg.wasm"]) {
      assert.match(seen.get(name)["content-security-policy"], /; frame-ancestors 'none'$/, name);
      assert.equal(seen.get(name)["x-content-type-options"], "nosniff", name);
    }
    assert.match(seen.get("index.html")["strict-transport-security"], /^max-age=\d+/);
  });

  test("another site cannot frame the console served by the stack; plain S3 cannot stop it", async () => {
    const framer = await listen((req, res) => {
      const target = new URL(req.url, "http://x").searchParams.get("src");
      res.writeHead(200, { "content-type": "text/html" }).end(`<!DOCTYPE html><iframe src="${target}"></iframe>`);
    });
    const page = await browser.newPage();
    try {
      const refused = page.waitForEvent("console", { predicate: (m) => /frame-ancestors 'none'/.test(m.text()), timeout: 15_000 });
      await page.goto(`${framer}/?src=${encodeURIComponent(fronted.url)}`);
      await refused;
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.equal(await frame.locator("button").count(), 0, "nothing of the console rendered in the frame");

      await page.goto(`${framer}/?src=${encodeURIComponent(plain.url)}`);
      await page.frames().find((f) => f !== page.mainFrame()).getByRole("button", { name: "Load sample pool" }).waitFor();
    } finally {
      await page.close();
    }
  });
});
