// "Send to FusionAuth" end to end: dist/ served under a sub-path in Debian's headless Chromium,
// sending to the FusionAuth stand-in (tests/standin/fusionauth_standin.py) on another loopback
// port. FusionAuth cannot run on these machines: the stand-in follows FusionAuth's documented
// documented behaviour (tests/standin/README.md), its CORS filter and its faults included.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { downloadText, launch, listUsers, openConsole, probeResponsive, screenshot, serveDist } from "./helpers.mjs";
import { startStandin, standinConfig } from "./standin.mjs";

const KEY = "console-e2e-key-5b1f0c7a9d";
let site;
let browser;
let standin;
const work = mkdtempSync(join(tmpdir(), "cf-push-"));

before(async () => {
  site = await serveDist();
  browser = await launch();
  standin = await startStandin(null);
});

after(async () => {
  await browser?.close();
  await site?.close();
  await standin?.stop();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(async () => {
  await standin.faults([]);
  await standin.release();
  await standin.config(standinConfig({ apiKey: KEY, corsOrigin: site.origin }));
});

const field = (page, label) => page.getByLabel(label, { exact: true });
const button = (page, name) => page.getByRole("button", { name, exact: true });
const outcome = (page) => page.getByTestId("push-outcome");

/**
 * Opens the console, runs `body`, then checks nothing went wrong on the side. Requests to the
 * stand-in are the only ones allowed besides the page's own; `allow` lists other expected
 * problems (a CORS refusal logged by the browser, a dropped connection).
 */
async function withConsole(body, { allow = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const opened = await openConsole(browser, site, context);
  const messages = [];
  opened.page.on("console", (m) => messages.push(m.text()));
  opened.page.on("worker", (w) => w.on("console", (m) => messages.push(m.text())));
  try {
    await body({ ...opened, messages });
  } finally {
    await context.close();
  }
  const own = `request to another origin: ${standin.origin}/`;
  const problems = opened.problems.filter((p) => !p.startsWith(own) && !allow.some((a) => a.test(p)));
  assert.deepEqual(problems, []);
  return messages;
}

/** Loads `files` (or the sample pool), keeps the newest of duplicates, fills URL and key. */
async function ready(page, { files, users = "18 users ready to import", url = standin.url, key = KEY } = {}) {
  if (files) await field(page, "Cognito export files").setInputFiles(files);
  else await button(page, "Load sample pool").click();
  await page.getByLabel("Duplicate emails").selectOption("keep-newest");
  await page.getByTestId("verdict").getByText(users).waitFor({ timeout: 180_000 });
  await field(page, "FusionAuth URL").fill(url);
  await field(page, "API key").fill(key);
}

async function finished(page, heading) {
  await outcome(page).getByRole("heading", { name: heading }).waitFor({ timeout: 300_000 });
}

async function report(page) {
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "push-report.json" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "push-report.json");
  return JSON.parse(await downloadText(download));
}

/**
 * Every user FusionAuth holds was committed by exactly one import, and no import re-sent users
 * FusionAuth had — but one: when a kept-alive connection closes before any byte of the answer,
 * Chromium's network stack sends the request again by itself, once, on a new connection (the
 * page never sees it). `browserRetry` allows exactly that: the import right after one that
 * committed and was dropped, with the same users, refused whole (nothing committed twice), and
 * no request of the page's in between.
 */
function assertExactlyOnce(state, { browserRetry = false } = {}) {
  const committed = new Map();
  const posts = state.requests.filter((r) => r.method === "POST" || r.method === "DELETE" || r.method === "GET")
    .filter((r) => r.cors !== "preflight");
  state.imports.forEach((imp, i) => {
    if (imp.alreadyPresent.length > 0) {
      const before = state.imports[i - 1];
      const resent = browserRetry && before?.fault === "drop" && before.committed && !imp.committed
        && JSON.stringify(before.ids) === JSON.stringify(imp.ids);
      assert.ok(resent, `an import re-sent users FusionAuth had: ${JSON.stringify(imp.ids)}`);
      const at = posts.findIndex((r) => r.outcome === "dropped" && r.path === "/api/user/import");
      assert.equal(posts[at + 1]?.path, "/api/user/import", "the re-sent import follows the dropped one directly");
    }
    if (imp.committed) for (const id of imp.ids) committed.set(id, (committed.get(id) ?? 0) + 1);
  });
  for (const [id, n] of committed) assert.equal(n, 1, `${id} committed ${n} times`);
  assert.deepEqual([...committed.keys()].sort(), state.users.map((u) => u.id).sort());
}

/** Waits (10 s at most) until the stand-in holds one request, as a `hold` fault makes it. */
async function heldByFusionAuth(page) {
  for (let i = 0; i < 200 && (await standin.state()).held === 0; i++) await page.waitForTimeout(50);
  assert.equal((await standin.state()).held, 1);
}

const apiRequests = (state) => state.requests.filter((r) => r.path.startsWith("/api/"));

describe("send to FusionAuth", () => {
  test("no request leaves the page before Check; Check shows the plan and writes nothing", async () => {
    await withConsole(async ({ page }) => {
      const seen = [];
      page.on("request", (r) => seen.push(r.url()));
      await ready(page);
      await field(page, "Reset emails per second").fill("3");
      await page.getByText("Create missing groups").click();
      await page.waitForTimeout(500);
      assert.deepEqual(seen.filter((u) => u.startsWith(standin.origin)), []);
      assert.deepEqual(apiRequests(await standin.state()), []);
      await button(page, "Check").click();
      await finished(page, "Check: what Send would do");
      const summary = await page.getByTestId("push-summary").textContent();
      assert.match(summary, /plan: 18 users in the files/);
      assert.match(summary, /to import:\s+18/);
      const state = await standin.state();
      assert.deepEqual(state.users, []);
      // Only the permission probe: an empty import, which FusionAuth refuses without writing.
      assert.ok(state.imports.every((i) => i.users === 0 && !i.committed), JSON.stringify(state.imports));
      assert.ok(apiRequests(state).every((r) => r.origin === site.origin), "every request came from the page's origin");
      await screenshot(page, "push-check");
    });
  });

  test("send with links and reset emails, verify, then undo; the key is never stored or printed", async () => {
    const messages = await withConsole(async ({ page }) => {
      await ready(page);
      await page.getByText("Send reset emails").click();
      const question = page.getByTestId("resets-confirm");
      assert.match(await question.textContent(), /18 people at most/);
      await screenshot(page, "push-resets-confirm");
      await button(page, "Yes, send reset emails").click();
      await button(page, "Send").click();
      await page.getByTestId("push-steps").locator("progress").first().waitFor();
      await finished(page, "Sent");
      await screenshot(page, "push-sent");
      const sent = await report(page);
      assert.equal(sent.command, "push");
      assert.equal(sent.counts.imported, 18);
      assert.equal(sent.counts.linksCreated, 1);
      assert.ok(sent.counts.resetsSent > 0);
      assert.equal(sent.counts.reconciled, true);
      let state = await standin.state();
      assert.equal(state.users.length, 18);
      assert.equal(state.links.length, 1);
      assert.equal(state.forgotPassword.filter((f) => f.status === 200).length, sent.counts.resetsSent);
      assertExactlyOnce(state);

      await button(page, "Verify").click();
      await finished(page, "Verified");
      assert.match(await page.getByTestId("push-summary").textContent(), /verified 18, mismatched 0, missing 0/);
      await screenshot(page, "push-verified");

      // Where the key could have been left: storage, the URL, the journal.
      const kept = await page.evaluate(async () => {
        const local = JSON.stringify({ ...localStorage });
        const session = JSON.stringify({ ...sessionStorage });
        const databases = JSON.stringify(await indexedDB.databases());
        const journals = [];
        const root = await navigator.storage.getDirectory();
        for await (const [name, handle] of root.entries()) {
          journals.push([name, await (await handle.getFile()).text()]);
        }
        return { local, session, databases, url: location.href, journals };
      });
      for (const where of [kept.local, kept.session, kept.databases, kept.url, JSON.stringify(kept.journals)]) {
        assert.ok(!where.includes(KEY), "the API key was stored");
      }
      assert.equal(kept.journals.length, 1, "one journal for the run");
      assert.doesNotMatch(kept.journals[0][1], /@/, "the journal holds ids, no email");

      await button(page, "Undo").click();
      const confirm = page.getByTestId("undo-confirm");
      await confirm.waitFor();
      assert.match(await confirm.textContent(), /delete 18 users this run imported/);
      await screenshot(page, "push-undo-confirm");
      await button(page, "Delete them").click();
      await finished(page, "Undone");
      state = await standin.state();
      assert.deepEqual(state.users, []);
      assert.match(await page.getByTestId("push-summary").textContent(), /deleted 18 users/);
      await screenshot(page, "push-undone");
      assert.ok(apiRequests(state).every((r) => !JSON.stringify(r).includes(KEY)));
    });
    assert.ok(messages.every((m) => !m.includes(KEY)), "the API key appeared in a console message");
  });

  test("a user FusionAuth refuses in the middle of a batch is listed with its error; the others go in", async () => {
    const pool = join(work, "refused.json");
    const users = JSON.parse(listUsers(40)).Users;
    users[23].Username = "x".repeat(200);
    // No duplicate email: all 40 go to the import.
    users[1].Attributes.find((a) => a.Name === "email").Value = "user1@example.com";
    writeFileSync(pool, JSON.stringify({ Users: users }));
    await withConsole(async ({ page }) => {
      await ready(page, { files: pool, users: "40 users ready to import" });
      await button(page, "Send").click();
      await finished(page, "Sent");
      const refused = page.getByTestId("push-refused");
      assert.match(await refused.textContent(), /\[tooLong\]user\.username/);
      assert.equal(await refused.locator("tbody tr").count(), 1);
      const state = await standin.state();
      assert.equal(state.users.length, 39);
      assertExactlyOnce(state);
      await screenshot(page, "push-refused");
    });
  });

  test("an import that commits and then drops the connection is not sent again", async () => {
    await standin.faults([{ method: "POST", path: "/api/user/import", skip: 1, action: "drop", commit: true, times: 1 }]);
    await withConsole(
      async ({ page }) => {
        await ready(page);
        await button(page, "Send").click();
        await finished(page, "Sent");
        const sent = await report(page);
        assert.equal(sent.counts.imported, 18);
        const state = await standin.state();
        assert.equal(state.users.length, 18);
        assert.ok(state.imports.some((i) => i.fault === "drop" && i.committed), "the fault fired");
        assertExactlyOnce(state, { browserRetry: true });
      },
      { allow: [/ERR_EMPTY_RESPONSE|Failed to load resource|Failed to fetch/] },
    );
  });

  test("a reload in the middle of the import, then Send again: the run resumes, nobody sent twice", async () => {
    await standin.faults([{ method: "POST", path: "/api/user/import", skip: 1, action: "hold", commit: true, times: 1 }]);
    await withConsole(
      async ({ page }) => {
        await ready(page);
        await button(page, "Send").click();
        // (The first import is pre-flight's empty permission probe.) The import is in FusionAuth's hands when the tab goes away.
        await heldByFusionAuth(page);
        await page.reload();
        await standin.release();
        await button(page, "Load sample pool").waitFor();
        assert.equal(await field(page, "API key").inputValue(), "", "the key is gone with the reload");
        await ready(page);
        await button(page, "Send").click();
        await finished(page, "Sent");
        const sent = await report(page);
        assert.equal(sent.counts.imported, 18);
        assert.equal(sent.counts.importedNow, 0, "the held import had them all");
        assert.deepEqual(sent.skipped, [], "the run's own users are not 'already present'");
        const state = await standin.state();
        assert.equal(state.users.length, 18);
        assertExactlyOnce(state);
        await screenshot(page, "push-resumed");
      },
      { allow: [/ERR_|Failed to load resource|Failed to fetch/] },
    );
  });

  test("a redirect is never followed, and a user the Connector makes meanwhile is skipped, not mailed, not undone", async () => {
    const pool = join(work, "redirect.json");
    const users = JSON.parse(listUsers(12)).Users;
    users[1].Attributes.find((a) => a.Name === "email").Value = "user1@example.com";
    writeFileSync(pool, JSON.stringify({ Users: users }));
    const seven = "00000000-0000-4000-8000-000000000007";
    // Where the redirect points: a server that counts what reaches it (Playwright reports the
    // redirect's target as a request even when the browser does not follow it).
    let reached = 0;
    const elsewhere = createServer((_, res) => { reached += 1; res.end(); });
    await new Promise((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${elsewhere.address().port}/elsewhere`;
    // The first real import (after pre-flight's empty probe) is answered with a redirect to another
    // host, and at that moment user 7 logs in through the Connector (same id, no run marker).
    await standin.faults([{
      method: "POST", path: "/api/user/import", skip: 1, times: 1, action: "status", status: 302,
      location: target,
      sideDoor: [{ id: seven, email: "user7@example.com", data: { migratedFrom: "cognito" } }],
    }]);
    await withConsole(
      async ({ page }) => {
        await ready(page, { files: pool, users: "12 users ready to import" });
        await page.getByText("Send reset emails").click();
        await button(page, "Yes, send reset emails").click();
        await button(page, "Send").click();
        await finished(page, "Sent");
        const sent = await report(page);
        assert.equal(sent.counts.imported, 11);
        assert.deepEqual(sent.skipped.map((u) => u.id), [seven]);
        const state = await standin.state();
        assert.equal(state.users.length, 12);
        const mailed = state.forgotPassword.filter((r) => r.sendEmail).map((r) => r.loginId);
        assert.ok(!mailed.includes("user7@example.com"), "the Connector's user is not mailed");
        assert.equal(state.users.filter((u) => u.data?.cognitoFusionauthRun).length, 11);
        // The redirect was an answer, not a success: the run's users went again, once.
        assertExactlyOnce({ ...state, users: state.users.filter((u) => u.id !== seven) });
        await button(page, "Undo").click();
        await button(page, "Delete them").click();
        await finished(page, "Undone");
        const left = (await standin.state()).users.map((u) => u.id);
        assert.deepEqual(left, [seven], "undo leaves the Connector's user");
      },
      { allow: [new RegExp(`^request to another origin: ${target}$`)] },
    );
    await new Promise((resolve) => elsewhere.close(resolve));
    assert.equal(reached, 0, "the browser did not follow the redirect");
  });

  test("with FusionAuth's CORS filter off the page explains what to set, and nothing else happens", async () => {
    await standin.config(standinConfig({ apiKey: KEY, corsOrigin: null }));
    await withConsole(
      async ({ page }) => {
        await ready(page);
        await button(page, "Check").click();
        const help = page.getByTestId("cors-help");
        await help.waitFor({ timeout: 60_000 });
        const text = await help.textContent();
        assert.ok(text.includes(`add ${site.origin} to Allowed origins`), text);
        assert.match(text, /GET, POST and DELETE/);
        assert.equal(await page.getByTestId("page-origin").textContent(), site.origin);
        const requests = apiRequests(await standin.state());
        assert.ok(requests.length >= 1 && requests.length <= 2, JSON.stringify(requests));
        assert.ok(requests.every((r) => r.status === 403 && r.corsDenied), JSON.stringify(requests));
        await screenshot(page, "push-cors-off");
      },
      { allow: [/CORS|ERR_FAILED|Failed to load resource|Failed to fetch/] },
    );
  });

  test("a bad API key stops at the first request with FusionAuth's 401 named", async () => {
    await withConsole(async ({ page }) => {
      await ready(page, { key: "not-the-key" });
      await button(page, "Check").click();
      await finished(page, "Stopped");
      assert.match(await page.getByTestId("push-stopped").textContent(), /401 .*API key is not valid/);
      assert.deepEqual((await standin.state()).users, []);
    }, { allow: [/status of 401|Failed to load resource/] });
  });

  test("plain HTTP to another host is refused before any request", async () => {
    await withConsole(async ({ page }) => {
      await ready(page, { url: "http://fusionauth.example.com" });
      await button(page, "Check").click();
      assert.match(await page.getByTestId("push-failure").textContent(), /plain HTTP/);
      assert.deepEqual(apiRequests(await standin.state()), []);
    });
  });

  test("Stop acts within a second while FusionAuth holds the import and a rule edit converts again", async () => {
    // (The first import is pre-flight's empty permission probe.) FusionAuth holds the real one.
    await standin.faults([{ method: "POST", path: "/api/user/import", skip: 1, action: "hold", times: 1 }]);
    await withConsole(
      async ({ page }) => {
        await ready(page);
        await button(page, "Send").click();
        await heldByFusionAuth(page);
        // A rule edit starts a conversion in the worker; Stop is pressed right behind it.
        await page.getByLabel("Duplicate emails").selectOption("move-to-data");
        const pressed = Date.now();
        await button(page, "Stop").click();
        await finished(page, "Stopped");
        const took = Date.now() - pressed;
        assert.ok(took < 1000, `Stop took ${took} ms`);
        assert.match(await page.getByTestId("push-stopped").textContent(), /stopped in the console/);
        await standin.release();
      },
      { allow: [/ERR_|Failed to load resource|Failed to fetch|aborted/i] },
    );
  });

  test("the page stays responsive while a 100,000-user push runs, and Stop stops it", async () => {
    const pool = join(work, "push-large.json");
    writeFileSync(pool, listUsers(100_000));
    await withConsole(async ({ page }) => {
      await ready(page, { files: pool, users: /ready to import/ });
      await button(page, "Send").click();
      await page.getByLabel("import progress").waitFor({ timeout: 300_000 });
      // The same in-page probe as the large-pool test: type, see the estimate follow.
      const probe = await probeResponsive(page, {
        days: 21,
        busy: "[aria-label='import progress']",
        done: "[data-testid=push-outcome]",
      });
      assert.deepEqual(
        { before: probe.before, answered: probe.answered, during: probe.during },
        { before: true, answered: true, during: true },
        `the page answered while the push ran (${JSON.stringify(probe)})`,
      );
      // Stopped at once, while the import still runs (a screenshot first could let it finish).
      await button(page, "Stop").click();
      await finished(page, "Stopped");
      await screenshot(page, "push-large-stopped");
      assert.match(await page.getByTestId("push-stopped").textContent(), /stopped in the console/);
      assertExactlyOnce(await standin.state());
    });
  });
});
