// Shared by the console's end-to-end tests: dist/ served under a sub-path (as from an S3
// prefix), Debian's Chromium driven by playwright-core, and fixtures.
import { createReadStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const dist = join(root, "dist");
export const fixtures = join(root, "tests", "fixtures");
export const screenshots = join(here, "screenshots");

/** The sub-path the console is served under: nothing may assume it sits at "/". */
export const PREFIX = "/exports/console/";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".json": "application/json",
};

/**
 * Serves dist/ at PREFIX on a free loopback port, like a static S3 website. `refuse(path, n)`
 * answers 404 instead to the `n`-th request (from 1) for `path`; `requests(path)` counts them.
 */
export async function serveDist({ refuse = () => false } = {}) {
  if (!existsSync(join(dist, "index.html"))) throw new Error(`no ${dist}/index.html: run make dist first`);
  const counts = new Map();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    if (!path.startsWith(PREFIX) || refuse(path, n)) {
      res.writeHead(404).end();
      return;
    }
    let file = normalize(join(dist, path.slice(PREFIX.length)));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    url: origin + PREFIX,
    origin,
    requests: (path) => counts.get(PREFIX + path) ?? 0,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Debian's Chromium, headless, with its calls home switched off (the network is closed). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/**
 * A fresh page on the console that records what would be a bug anywhere: uncaught errors,
 * console errors (a CSP violation is one), and any request leaving the console's origin.
 */
export async function openConsole(browser, site, context) {
  const ctx = context ?? (await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true }));
  const page = await ctx.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("worker", (w) => w.on("console", (m) => {
    if (m.type() === "error") problems.push(`worker console error: ${m.text()}`);
  }));
  page.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(site.origin + "/") && !url.startsWith("blob:") && !url.startsWith("data:")) {
      problems.push(`request to another origin: ${url}`);
    }
  });
  await page.goto(site.url);
  await page.getByRole("button", { name: "Load sample pool" }).waitFor();
  return { page, context: ctx, problems };
}

/** Saves a full-page screenshot under web/e2e/screenshots/ for a person to look at. */
export async function screenshot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

/** Waits until the worker has nothing in progress and a conversion result is shown. */
export async function settled(page) {
  await page.locator("progress").waitFor({ state: "detached", timeout: 120_000 });
  await page.waitForFunction(
    () => document.querySelector("[data-testid=verdict]")?.textContent !== "Nothing converted yet",
    null,
    { timeout: 120_000 },
  );
}

/** The text of a download, read from where the browser saved it. */
export async function downloadText(download) {
  const { readFile } = await import("node:fs/promises");
  return readFile(await download.path(), "utf8");
}

/**
 * A list-users export of `n` users (about 500 bytes each), every hundredth sharing its email
 * with the user before it in another case.
 */
export function listUsers(n) {
  const users = [];
  for (let i = 0; i < n; i++) {
    const sub = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const email = i % 100 === 1 ? `User${i - 1}@Example.com` : `user${i}@example.com`;
    users.push({
      Username: sub,
      Attributes: [
        { Name: "sub", Value: sub },
        { Name: "email", Value: email },
        { Name: "email_verified", Value: "true" },
        { Name: "given_name", Value: "Zoë" },
        { Name: "family_name", Value: `Number ${i}` },
        { Name: "custom:plan", Value: i % 3 ? "free" : "pro" },
      ],
      UserCreateDate: "2024-02-03T04:05:06.789000+00:00",
      UserLastModifiedDate: 1717000000 + i,
      Enabled: true,
      UserStatus: "CONFIRMED",
    });
  }
  return JSON.stringify({ Users: users });
}

/**
 * Whether the page answers while the worker is busy: inside the page (so a fast worker cannot
 * outrun the test driver's round trips), types `days` into the estimate's "Days D" field and
 * waits for the estimate to follow, noting whether `busy` (a selector) is on the page, and
 * `done` (a selector) is not, before and after.
 */
export async function probeResponsive(page, { days, busy, done = null }) {
  const input = await page.getByLabel("Days D", { exact: true }).elementHandle();
  const probe = await page.evaluate(async ([input, days, busy, done]) => {
    const working = () => document.querySelector(busy) !== null && (done === null || document.querySelector(done) === null);
    const estimate = () => document.querySelector("[data-testid=estimate]").textContent;
    const before = working();
    const start = performance.now();
    input.value = String(days);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    while (!estimate().includes(`After ${days} days`)) {
      if (performance.now() - start > 2_000) return { before, answered: false };
      await new Promise(requestAnimationFrame);
    }
    return { before, answered: true, during: working(), ms: performance.now() - start };
  }, [input, days, busy, done]);
  return probe;
}
