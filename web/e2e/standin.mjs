// The FusionAuth stand-in (tests/standin/fusionauth_standin.py) for the console's end-to-end
// tests: started on a free loopback port, driven through its control API, stopped. It is not
// FusionAuth; see tests/standin/README.md for what it does, CORS included.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const STANDIN_SCRIPT = join(root, "tests", "standin", "fusionauth_standin.py");

/** The id of the stand-in's "Default" tenant (the one it makes when a config names none). */
export const DEFAULT_TENANT_ID = "00000000-0000-0000-0000-0000000d0fa1";
/** The forgot-password email template standinConfig gives the tenant, so resets can be sent. */
export const RESET_TEMPLATE_ID = "7e3d7e3d-0000-4000-8000-00000000e1a1";
/** FusionAuth's fixed id of the Google identity provider (the default rules' byType.Google). */
export const GOOGLE_IDP_ID = "82339786-3dff-42a6-aac6-1f1ceecb6c46";
/** The methods the console needs (FusionAuth's CORS default is GET and OPTIONS only). */
export const CONSOLE_CORS_METHODS = ["GET", "POST", "DELETE", "OPTIONS"];

const READY_TIMEOUT_MS = 20_000;
const STDERR_KEPT = 64 * 1024;

/**
 * Starts a stand-in on 127.0.0.1 with a free port and resolves once it listens.
 *
 * `config`, when not null, is posted to /_standin/config (it replaces the whole state, CORS
 * setting included). Options: `corsOrigins` (passed as --cors-origin, the initial state: pass
 * `config` null to keep it), `verbose` (--verbose: requests and CORS 403 reasons on stderr).
 *
 * Returns `{ url, origin, config(body), faults(rules), state(), release(), stop(), stderr() }`:
 * `url` and `origin` are both `http://127.0.0.1:<port>`; config, faults and release POST to the
 * control API and throw on a non-2xx answer; state() is GET /_standin/state as JSON; stop()
 * kills the process and waits for its exit; stderr() is what it wrote to stderr (the last 64 KiB).
 */
export async function startStandin(config = {}, { corsOrigins = [], verbose = false } = {}) {
  const args = [STANDIN_SCRIPT, "--port", "0"];
  for (const origin of corsOrigins) args.push("--cors-origin", origin);
  if (verbose) args.push("--verbose");
  const child = spawn("python3", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
  });
  let spawnError = null;
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (e) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
  });
  // Never leave a stand-in behind when the test process ends without stop().
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null && spawnError === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };

  let port;
  try {
    port = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      let settled = false;
      const fail = (why) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        lines.close();
        reject(new Error(`the stand-in did not start: ${why}\nstderr:\n${stderr}`));
      };
      const timer = setTimeout(() => fail(`no "listening on <port>" line within ${READY_TIMEOUT_MS / 1000} s`),
        READY_TIMEOUT_MS);
      exited.then(({ code, signal }) =>
        fail(spawnError ? `python3 could not run: ${spawnError.message}` : `it exited (code ${code}, signal ${signal})`));
      lines.once("line", (line) => {
        const m = /^listening on (\d+)$/.exec(line.trim());
        if (!m) return fail(`unexpected first line ${JSON.stringify(line)}`);
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // Nothing more comes on stdout; keep it drained all the same.
        lines.on("line", () => {});
        resolve(Number(m[1]));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const origin = `http://127.0.0.1:${port}`;
  const control = async (what, body) => {
    const answer = await fetch(`${origin}/_standin/${what}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body ?? null),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`POST /_standin/${what} answered ${answer.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const standin = {
    url: origin,
    origin,
    /** Replaces the whole state (POST /_standin/config); clears the logs. */
    config: (body) => control("config", body),
    /** Replaces the fault rules (POST /_standin/faults). */
    faults: (rules) => control("faults", rules),
    /** Releases every held request; resolves to `{ released: n }`. */
    release: () => control("release", null),
    /** Users, links, groups, the request log and the rest (GET /_standin/state). */
    state: async () => {
      const answer = await fetch(`${origin}/_standin/state`);
      if (!answer.ok) throw new Error(`GET /_standin/state answered ${answer.status}: ${await answer.text()}`);
      return answer.json();
    },
    stop,
    stderr: () => stderr,
  };
  if (config != null) {
    try {
      await standin.config(config);
    } catch (e) {
      await stop();
      throw e;
    }
  }
  return standin;
}

/**
 * A stand-in config for the console: one API key allowed on every endpoint (a super key), one
 * tenant (the stand-in's "Default", with a forgot-password template so resets can be sent),
 * the Google identity provider (the sample pool's one Google identity becomes a link under the
 * default rules), and CORS enabled for `corsOrigin` with GET, POST, DELETE and OPTIONS, or left
 * at FusionAuth's defaults (disabled) when `corsOrigin` is null.
 *
 * Under the default rules the sample pool (tests/fixtures/sample-pool.json) needs no
 * application and no group: it has no registrations, and its Cognito groups ("admins",
 * "beta-testers") are unmapped (kept in data.cognito.groups, no memberships). Pass
 * `applications` or `groups` (`{id, name}`, the tenant is filled in) for rules that map them.
 */
export function standinConfig({
  apiKey,
  corsOrigin = null,
  corsMethods = CONSOLE_CORS_METHODS,
  tenantId = DEFAULT_TENANT_ID,
  resetTemplate = RESET_TEMPLATE_ID,
  changePasswordSeconds = 600,
  applications = [],
  groups = [],
  identityProviders = [{ id: GOOGLE_IDP_ID, type: "Google", name: "Google", enabled: true, tenantId: null }],
  users = [],
  links = [],
} = {}) {
  if (typeof apiKey !== "string" || apiKey === "") throw new Error("standinConfig needs an apiKey");
  const config = {
    keys: { [apiKey]: { endpoints: {} } },
    tenants: [{
      id: tenantId,
      name: "Default",
      changePasswordIdTimeToLiveInSeconds: changePasswordSeconds,
      forgotPasswordEmailTemplateId: resetTemplate,
    }],
    applications: applications.map((a) => ({ tenantId, ...a })),
    groups: groups.map((g) => ({ tenantId, ...g })),
    identityProviders,
    users,
    links,
  };
  if (corsOrigin != null) {
    config.cors = { enabled: true, allowedOrigins: [corsOrigin], allowedMethods: corsMethods };
  }
  return config;
}
