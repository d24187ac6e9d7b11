// The web build in real headless Chromium (Debian's, driven by playwright-core): the page
// imports the module, initialises the WASM, converts the guide's sample and the sample pool,
// and must produce the CLI's files for the same seed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { pkgDir, root, inputNames, richRules, cliConvert, SEED } from "./helpers.mjs";

const TYPES = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const PAGE = `<!doctype html><meta charset="utf-8"><title>package test</title>
<script type="module">
  import init, { convert } from "/pkg/web/cognito_fusionauth.js";
  const inputs = await Promise.all(${JSON.stringify(inputNames)}.map(async (name) => ({
    name, content: new Uint8Array(await (await fetch("/" + name)).arrayBuffer()) })));
  await init();
  const result = convert(inputs, { rules: ${JSON.stringify(richRules())}, seed: ${SEED} });
  window.result = { ok: result.ok, files: Object.fromEntries(result.files.map((f) => [f.name, f.content])) };
</script>`;

let server;
let browser;
let base;
const requests = [];

before(async () => {
  // Serves the repository read-only: /pkg/web/... and /tests/fixtures/..., plus the page.
  server = createServer(async (req, res) => {
    requests.push(req.url);
    if (req.url === "/") return res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    const path = normalize(join(root, decodeURIComponent(req.url.split("?")[0])));
    if (!path.startsWith(root)) return res.writeHead(403).end();
    try {
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("the web build converts in Chromium exactly as the CLI does", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/");
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 30_000 });
  const ours = await page.evaluate(() => window.result);
  assert.deepEqual(errors, []);
  const reference = cliConvert(richRules());
  assert.equal(ours.ok, true);
  assert.deepEqual(Object.keys(ours.files).sort(), Object.keys(reference));
  for (const [name, content] of Object.entries(reference)) assert.equal(ours.files[name], content, name);
  assert.ok(requests.some((u) => u.endsWith("cognito_fusionauth_bg.wasm")), "the wasm came from the package folder");
  assert.ok(pkgDir);
  await page.close();
});
