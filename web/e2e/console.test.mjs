// The console end to end: dist/ as built by `make dist`, served under a sub-path, in Debian's
// headless Chromium. Every test also checks that nothing went wrong on the side: no page or
// worker error, no CSP violation, no request to another origin.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { downloadText, fixtures, launch, listUsers, openConsole, probeResponsive, screenshot, serveDist } from "./helpers.mjs";

let site;
let browser;
const work = mkdtempSync(join(tmpdir(), "cf-console-"));

before(async () => {
  site = await serveDist();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Opens the console, runs `body`, then checks nothing went wrong on the side. */
async function withConsole(body) {
  const opened = await openConsole(browser, site);
  try {
    await body(opened);
  } finally {
    await opened.context.close();
  }
  assert.deepEqual(opened.problems, []);
}

const verdict = (page) => page.getByTestId("verdict");
/** The control labelled exactly `label` ("Target of rule 1" is not "Target of rule 10"). */
const field = (page, label) => page.getByLabel(label, { exact: true });
const codeRow = (page, code) => page.locator(`[data-testid=codes] tr[data-code="${code}"]`);

async function loadSample(page) {
  await page.getByRole("button", { name: "Load sample pool" }).click();
  await assert.doesNotReject(page.getByTestId("users-loaded").getByText("21 users loaded").waitFor());
  await verdict(page).getByText("Download blocked").waitFor();
}

describe("loading", () => {
  test("files chosen through the file input show their shape, users and errors", async () => {
    const csv = join(work, "import.csv");
    writeFileSync(
      csv,
      "cognito:username,email,email_verified,birthdate,cognito:mfa_enabled\n" +
        "carol,carol@example.com,true,05/17/1990,false\n" +
        "dave,dave@example.com,false,,false\n",
    );
    const broken = join(work, "broken.json");
    writeFileSync(broken, '{"Users": [{"Username": "x", "Attributes": [}');
    await withConsole(async ({ page, problems }) => {
      await field(page, "Cognito export files").setInputFiles([
        join(fixtures, "guide-list-users.json"),
        join(fixtures, "guide-get-user.json"),
        csv,
        broken,
      ]);
      const rows = page.locator("[data-testid=files] tbody tr");
      await rows.nth(3).waitFor();
      const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.deepEqual(
        cells.map((c) => [c[0], c[2], c[3]]),
        [
          ["guide-list-users.json", "list-users", "2"],
          ["guide-get-user.json", "user", "1"],
          ["import.csv", "csv", "2"],
          ["broken.json", "—", "0"],
        ],
      );
      assert.match(cells[3][4], /broken\.json/);
      assert.match(cells[3][4], /line 1/);
      await page.getByTestId("users-loaded").getByText("5 users loaded").waitFor();
      await page.getByTestId("totals").getByText("5 users read").waitFor();
      // The broken file blocks the import files (its users would be missing), and the report
      // names it with the position.
      const blocked = page.getByTestId("blocked");
      await blocked.getByText("cannot be read (broken.json)").waitFor();
      const links = page.locator("[data-testid=downloads] a");
      assert.deepEqual(await links.allTextContents(), ["report.json"]);
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "report.json" }).click(),
      ]);
      const report = JSON.parse(await downloadText(saved));
      const unreadable = report.issues.find((f) => f.code === "unreadable-file");
      assert.equal(unreadable.file, "broken.json");
      assert.equal(unreadable.severity, "error");
      assert.match(unreadable.message, /line 1/);
      await screenshot(page, "load-files");
      problems.length = 0; // the broken file's error is expected to be shown, not logged
    });
  });

  test("files dropped on the load area are read like chosen ones", async () => {
    await withConsole(async ({ page }) => {
      const content = readFileSync(join(fixtures, "guide-list-users.json"), "utf8");
      await page.evaluate((content) => {
        const files = new DataTransfer();
        files.items.add(new File([content], "dropped.json", { type: "application/json" }));
        const area = document.querySelector(".drop");
        for (const type of ["dragenter", "dragover", "drop"]) {
          area.dispatchEvent(new DragEvent(type, { dataTransfer: files, bubbles: true, cancelable: true }));
        }
      }, content);
      await page.getByTestId("users-loaded").getByText("2 users loaded").waitFor();
      await page.locator("[data-testid=files] td").getByText("dropped.json").waitFor();
    });
  });

  test("the sample pool shows every finding, duplicate emails first", async () => {
    await withConsole(async ({ page }) => {
      await loadSample(page);
      const codes = await page.locator("[data-testid=codes] tbody tr").evaluateAll((trs) =>
        trs.map((tr) => tr.dataset.code),
      );
      assert.equal(codes[0], "duplicate-email");
      for (const code of ["duplicate-username", "missing-email", "invalid-email", "invalid-birthdate",
        "invalid-timezone", "invalid-locale", "invalid-phone", "invalid-url", "unmapped-provider",
        "unsupported-provider", "mfa-not-carried", "unconfirmed", "reset-required", "disabled"]) {
        assert.ok(codes.includes(code), `${code} in ${codes}`);
      }
      // The users behind a code, and the duplicate email group side by side.
      await codeRow(page, "duplicate-email").getByText("duplicate-email").click();
      await codeRow(page, "duplicate-email").locator("li").first().waitFor();
      const group = page.getByRole("group", { name: "Email test@example.com" });
      assert.equal(await group.locator(".card").count(), 2);
      await assert.doesNotReject(group.getByText("blocks the import").first().waitFor());
      await screenshot(page, "validation");
    });
  });
});

describe("duplicate policy and downloads", () => {
  test("the error policy blocks the import files with a reason; keep-newest unblocks them", async () => {
    await withConsole(async ({ page }) => {
      await loadSample(page);
      const blocked = page.getByTestId("blocked");
      await blocked.waitFor();
      assert.match(await blocked.textContent(), /duplicate-email/);
      const links = page.locator("[data-testid=downloads] a");
      assert.deepEqual(await links.allTextContents(), ["report.json"]);

      await field(page, "Duplicate emails").selectOption("keep-newest");
      await page.getByRole("link", { name: "users-0001.json" }).waitFor();
      assert.equal(await blocked.count(), 0);
      assert.deepEqual(await links.allTextContents(), ["users-0001.json", "login-ids.txt", "links.json", "report.json"]);
      const imported = Number((await verdict(page).textContent()).match(/^(\d+) users ready/)[1]);

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "users-0001.json" }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "users-0001.json");
      const body = JSON.parse(await downloadText(download));
      assert.equal(body.users.length, imported);
      for (const user of body.users) {
        assert.equal(user.encryptionScheme, "salted-pbkdf2-hmac-sha256");
        assert.match(user.salt, /^[A-Za-z0-9+/]+=*$/);
        assert.ok(user.password.length >= 32);
      }
      const emails = body.users.map((u) => u.email?.toLowerCase()).filter(Boolean);
      assert.equal(new Set(emails).size, emails.length, "no duplicate email is imported");

      const [report] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "report.json" }).click(),
      ]);
      const summary = JSON.parse(await downloadText(report)).summary;
      assert.equal(summary.duplicatePolicy, "keep-newest");
      assert.equal(summary.imported, imported);
      await screenshot(page, "downloads");
    });
  });

  test("Download all gives one .zip holding every file", async () => {
    await withConsole(async ({ page }) => {
      await loadSample(page);
      await field(page, "Duplicate emails").selectOption("move-to-data");
      await page.getByRole("link", { name: "links.json" }).waitFor();
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Download all" }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "cognito-fusionauth.zip");
      const zip = join(work, "all.zip");
      await download.saveAs(zip);
      // Read with Python's zipfile: another implementation than the one that wrote it.
      const read = (code) => execFileSync("python3", ["-c", `import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); ${code}`, zip], { encoding: "utf8" });
      assert.equal(read("z.testzip() is None or sys.exit(1); print('ok')").trim(), "ok");
      const listing = read("print('\\n'.join(z.namelist()))").trim().split("\n");
      assert.deepEqual(listing, ["users-0001.json", "login-ids.txt", "links.json", "report.json"]);
      const users = JSON.parse(read("sys.stdout.write(z.read('users-0001.json').decode())"));
      assert.equal(users.users.length, 21 - 1, "everybody but the superseded copy of one user");
    });
  });
});

describe("rules", () => {
  test("a rule edit changes the preview at once, and survives a reload", async () => {
    await withConsole(async ({ page, context }) => {
      await loadSample(page);
      await field(page, "Find a user by email or username").fill("testverified@");
      const hits = page.getByTestId("hits").getByRole("button");
      await hits.first().getByText("testverified@example.com").waitFor();
      await hits.first().click();
      const user = page.getByTestId("fusionauth-user");
      await user.getByText('"email": "testverified@example.com"').waitFor();
      assert.match(await page.getByTestId("cognito-record").textContent(), /"Name": "email_verified"/);

      // The rule writing `email`: send it to data.contactEmail instead.
      const targets = page.getByLabel(/^Target of rule \d+$/);
      const values = await targets.evaluateAll((inputs) => inputs.map((i) => i.value));
      const row = values.indexOf("email");
      assert.ok(row >= 0, `a rule targets email: ${values}`);
      await targets.nth(row).fill("data.contactEmail");
      await targets.nth(row).press("Tab");
      await user.getByText('"contactEmail": "testverified@example.com"').waitFor();
      assert.doesNotMatch(await user.textContent(), /\n {2}"email":/);
      await screenshot(page, "rule-edited");

      // The conversion follows too: with no email rule, users have no email.
      await codeRow(page, "missing-email").waitFor();

      await page.reload();
      await page.getByRole("button", { name: "Load sample pool" }).waitFor();
      assert.equal(await field(page, `Target of rule ${row + 1}`).inputValue(), "data.contactEmail");
      await page.getByRole("button", { name: "Reset rules to defaults" }).click();
      assert.equal(await field(page, `Target of rule ${row + 1}`).inputValue(), "email");
      await context.pages()[0].reload();
      assert.equal(await field(page, `Target of rule ${row + 1}`).inputValue(), "email");
    });
  });

  test("rules are added, moved, removed, exported and imported", async () => {
    await withConsole(async ({ page }) => {
      const rows = page.locator("[data-testid=rules] tbody tr");
      const before = await rows.count();
      await page.getByRole("button", { name: "Add rule" }).click();
      assert.equal(await rows.count(), before + 1);
      const n = before + 1;
      await field(page, `Source of rule ${n}`).fill("website");
      await field(page, `Source of rule ${n}`).press("Tab");
      await field(page, `Target of rule ${n}`).fill("data.site");
      await field(page, `Target of rule ${n}`).press("Tab");
      await field(page, `Transform of rule ${n}`).selectOption("trim");
      await page.getByRole("button", { name: `Move rule ${n} up` }).click();
      assert.equal(await field(page, `Target of rule ${n - 1}`).inputValue(), "data.site");
      assert.equal(await field(page, `Transform of rule ${n - 1}`).inputValue(), "trim");

      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: "Export rules" }).click(),
      ]);
      assert.equal(download.suggestedFilename(), "rules.json");
      const exported = JSON.parse(await downloadText(download));
      assert.deepEqual(exported.attributes[n - 2], { source: "website", target: "data.site", transform: "trim" });

      await page.getByRole("button", { name: `Remove rule ${n - 1}` }).click();
      assert.equal(await rows.count(), before);

      // Import the exported file back, with a setting changed.
      exported.settings.chunkSize = 5;
      const file = join(work, "rules.json");
      writeFileSync(file, JSON.stringify(exported));
      await field(page, "Import rules").setInputFiles(file);
      await page.waitForFunction((n) => document.querySelectorAll("[data-testid=rules] tbody tr").length === n, before + 1);
      assert.equal(await field(page, `Target of rule ${n - 1}`).inputValue(), "data.site");
      assert.equal(await field(page, "Users per import file").inputValue(), "5");

      // A file that is not a rules file is refused with the reason, and nothing changes.
      const bad = join(work, "bad-rules.json");
      writeFileSync(bad, '{"version": 9, "attributes": []}');
      await field(page, "Import rules").setInputFiles(bad);
      await page.getByRole("alert").filter({ hasText: "bad-rules.json" }).waitFor();
      assert.equal(await rows.count(), before + 1);
    });
  });

  test("a rule that does not compile is reported and stops nothing else", async () => {
    await withConsole(async ({ page }) => {
      await loadSample(page);
      await field(page, "Target of rule 1").fill("nowhere");
      await field(page, "Target of rule 1").press("Tab");
      const error = page.getByTestId("rules-error");
      await error.waitFor();
      assert.match(await error.textContent(), /nowhere/);
      await field(page, "Target of rule 1").fill("id");
      await field(page, "Target of rule 1").press("Tab");
      await error.waitFor({ state: "detached" });
    });
  });
});

describe("settings", () => {
  test("carrying MFA and listing disabled users for resets follow their checkboxes, and are kept", async () => {
    await withConsole(async ({ page }) => {
      await loadSample(page);
      // The findings behind a code (the row is rebuilt by each conversion, closed).
      const findings = async (code) => {
        const row = codeRow(page, code);
        for (let i = 0; i < 4; i++) {
          if (await row.locator("li").count()) break;
          await row.locator("summary").click();
          await row.locator("li").first().waitFor({ timeout: 1_000 }).catch(() => {});
        }
        return row.locator("li").allTextContents();
      };
      const until = async (code, pattern) => {
        for (let i = 0; i < 100; i++) {
          if (pattern.test((await findings(code)).join("\n"))) return;
          await page.waitForTimeout(100);
        }
        assert.fail(`${code} never matched ${pattern}`);
      };
      assert.match((await findings("mfa-not-carried")).join("\n"), /carryMfa is off/);
      const leftOut = await findings("no-password-reset");
      assert.equal(leftOut.length, 4, leftOut.join("\n"));
      await field(page, "Carry SMS and email MFA").check();
      // The sample's MFA user has a phone Cognito never verified: still not carried, now saying why.
      await until("mfa-not-carried", /SMS_MFA: phone_number is not verified/);
      await field(page, "Reset emails for disabled users").check();
      await page.waitForFunction(() =>
        document.querySelector("[data-code=no-password-reset] .num")?.textContent.trim() === "3");
      await screenshot(page, "settings-mfa");
      await page.reload();
      await page.getByRole("button", { name: "Load sample pool" }).waitFor();
      assert.equal(await field(page, "Carry SMS and email MFA").isChecked(), true, "kept in localStorage");
      assert.equal(await field(page, "Reset emails for disabled users").isChecked(), true);
    });
  });
});

describe("estimate and keyboard", () => {
  test("the slow-migration estimate and its inverse follow the inputs", async () => {
    await withConsole(async ({ page }) => {
      await field(page, "Daily login probability P (%)").fill("10");
      await field(page, "Days D").fill("7");
      await field(page, "Target share S (%)").fill("90");
      const text = page.getByTestId("estimate");
      await text.getByText("After 7 days: 52.2 % of users migrated.").waitFor();
      assert.match(await text.textContent(), /90 % are reached after 22 days/);
      const d = await page.locator("svg.chart path.curve").getAttribute("d");
      assert.match(d, /^M0\.0,200\.0 L/);
    });
  });

  test("the console is usable from the keyboard alone", async () => {
    await withConsole(async ({ page }) => {
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to the console");
      // Tab through the nav to the file input, then to "Load sample pool", and press Enter.
      let label = "";
      for (let i = 0; i < 15 && label !== "Load sample pool"; i++) {
        await page.keyboard.press("Tab");
        label = await page.evaluate(() => document.activeElement.textContent);
      }
      assert.equal(label, "Load sample pool");
      await page.keyboard.press("Enter");
      await verdict(page).getByText("Download blocked").waitFor();
      // The duplicate policy select takes arrow keys.
      await field(page, "Duplicate emails").focus();
      await page.keyboard.press("ArrowDown");
      await verdict(page).getByText("ready to import").waitFor();
      assert.equal(await field(page, "Duplicate emails").inputValue(), "keep-newest");
      await screenshot(page, "keyboard");
    });
  });
});

describe("large pools", () => {
  test("a large pool is read and converted off the main thread, with a progress bar", async () => {
    const pool = join(work, "large.json");
    writeFileSync(pool, listUsers(100_000));
    await withConsole(async ({ page }) => {
      await field(page, "Cognito export files").setInputFiles(pool);
      // The worker reports progress while it reads and converts…
      await page.locator("progress").waitFor();
      // A policy chosen while the files load (their users not yet counted) applies once the
      // load's own conversion ends.
      assert.equal(await page.getByTestId("users-loaded").getByText("100,000 users loaded").count(), 0);
      await field(page, "Duplicate emails").selectOption("keep-newest");
      // …and the page keeps answering meanwhile: the estimate follows typing at once.
      const probe = await probeResponsive(page, { days: 14, busy: "progress" });
      assert.deepEqual(
        { before: probe.before, answered: probe.answered, during: probe.during },
        { before: true, answered: true, during: true },
        `the page answered while the worker was still working (${JSON.stringify(probe)})`,
      );
      await page.getByTestId("users-loaded").getByText("100,000 users loaded").waitFor({ timeout: 120_000 });
      await page.getByTestId("totals").getByText("100,000 users read").waitFor({ timeout: 120_000 });
      await codeRow(page, "duplicate-email").waitFor();
      await page.getByTestId("verdict").getByText("users ready to import").waitFor({ timeout: 120_000 });
      await screenshot(page, "large-pool");
      // The file is read in slices: the last user is found, and its record read back from the end.
      await field(page, "Find a user by email or username").fill("user99999@");
      const hits = page.getByTestId("hits").getByRole("button");
      await hits.first().getByText("user99999@example.com").waitFor();
      await hits.first().click();
      await page.getByTestId("cognito-record").getByText('"Value": "Number 99999"').waitFor();
      await page.getByTestId("fusionauth-user").getByText('"email": "user99999@example.com"').waitFor();
    });
  });
});

describe("mapping workers", () => {
  /** Loads `pool` in a console served by `server` and returns its report.json, parsed. */
  async function reportOf(server, pool) {
    const { page, context, problems } = await openConsole(browser, server);
    try {
      await field(page, "Cognito export files").setInputFiles(pool);
      await page.getByTestId("totals").getByText("20,000 users read").waitFor({ timeout: 120_000 });
      const [saved] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "report.json" }).click(),
      ]);
      return { report: JSON.parse(await downloadText(saved)), problems };
    } finally {
      await context.close();
    }
  }

  test("the users are mapped by mapping workers; where none can start, the worker maps them itself, to the same report", async () => {
    const pool = join(work, "mapped.json");
    writeFileSync(pool, listUsers(20_000));
    const before = site.requests("worker-loader.js");
    const mapped = await reportOf(site, pool);
    assert.deepEqual(mapped.problems, []);
    // The page's worker, then its mapping workers (at least two), each from the same script.
    assert.ok(site.requests("worker-loader.js") - before >= 3, `${site.requests("worker-loader.js") - before} loads`);
    // A site whose worker script can be had once only: the mapping workers cannot start.
    const once = await serveDist({ refuse: (path, n) => path.endsWith("/worker-loader.js") && n > 1 });
    try {
      const alone = await reportOf(once, pool);
      assert.ok(once.requests("worker-loader.js") >= 2, "the mapping workers were tried");
      assert.deepEqual(alone.report, mapped.report);
      assert.equal(alone.report.summary.usersRead, 20_000);
    } finally {
      await once.close();
    }
  });
});

describe("failures", () => {
  test("a file changed on disk after it was chosen fails the conversion by name, and no stale file is offered", async () => {
    const pool = join(work, "changing.json");
    writeFileSync(pool, listUsers(50));
    await withConsole(async ({ page }) => {
      await field(page, "Cognito export files").setInputFiles(pool);
      await page.getByTestId("totals").getByText("50 users read").waitFor();
      const links = page.locator("[data-testid=downloads] a");
      assert.ok((await links.count()) > 0);
      // The worker reads files again at each conversion; this one changed since it was chosen.
      writeFileSync(pool, listUsers(60));
      await field(page, "Duplicate emails").selectOption("keep-newest");
      const failure = page.getByTestId("failure");
      await failure.waitFor();
      assert.match(await failure.textContent(), /changing\.json: cannot be read again .*changed or moved/);
      assert.equal(await links.count(), 0);
    });
  });

  test("a worker that dies is reported instead of leaving the page waiting", async () => {
    const context = await browser.newContext();
    // Stands in for a worker killed by running out of memory: its script throws at once.
    await context.route("**/worker-loader.js", (route) =>
      route.fulfill({ contentType: "text/javascript", body: 'throw new Error("out of memory");' }),
    );
    const { page, problems } = await openConsole(browser, site, context);
    try {
      const failure = page.getByTestId("failure");
      await failure.waitFor();
      assert.match(await failure.textContent(), /background worker stopped .*out of memory.*command line/);
    } finally {
      await context.close();
    }
    assert.deepEqual(problems.filter((p) => !p.includes("out of memory")), []);
  });
});

describe("static hosting", () => {
  test("dist/ uses relative URLs and a Content-Security-Policy whose only other origin is FusionAuth's", () => {
    const html = readFileSync(join(fixtures, "..", "..", "dist", "index.html"), "utf8");
    const csp = html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)[1];
    // Built without FUSIONAUTH_ORIGIN: requests may go to any HTTPS origin (the FusionAuth the
    // person names) and to plain HTTP on this machine; scripts, styles and workers to none.
    assert.equal(csp.match(/connect-src ([^;]+)/)[1], "'self' https: http://localhost:* http://127.0.0.1:*");
    assert.doesNotMatch(csp.replace(/connect-src [^;]+/, ""), /https?:|\*/);
    assert.doesNotMatch(csp, /FUSIONAUTH_ORIGINS/);
    assert.doesNotMatch(csp, /TRUNK_INLINE_SCRIPTS|'unsafe-inline'|'unsafe-eval'/);
    assert.match(csp, /default-src 'none'/);
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.ok(url.startsWith("./") || url.startsWith("data:"), `relative URL: ${url}`);
    }
  });
});
