// Connector timings: cold init of the deployed package (fresh Node processes), old layout against
// new in one run, and the per-request cost without the network.
//
//   node bench.mjs               cold init ×5 per layout, mapping ×5000, handler ×5000
//   node bench.mjs --moto        also full logins against moto_server (both flows, a challenged
//                                user) and the packages' init reading their secret from SSM or
//                                Secrets Manager
//   BENCH_COLD_RUNS=15 BENCH_ITERATIONS=20000 node bench.mjs
//
// The two layouts are built by scripts/build-zip.sh into a temporary folder and unpacked there:
// the old one (--unbundled: index.mjs, src/ and node_modules with the SDK's CommonJS builds) and
// the new one (one bundled index.mjs beside the engine's WASM). Cold init is measured inside each
// child from its first line to the end of `import("./index.mjs")` of the unpacked package, WASM
// instantiation included: what Lambda's "Init Duration" adds on top of the runtime's own start.
// Figures are for this machine; on Lambda, CPU scales with memory (one full vCPU at 1,769 MB), so
// expect them to grow at smaller sizes.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectorUser } from "cognito-fusionauth";
import { loadConfig } from "./src/config.mjs";
import { createHandler } from "./src/handler.mjs";
import { mapUser } from "./src/mapping.mjs";
import { buildZip, entries, unpack } from "./testlib/connector.mjs";

const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const HERE = fileURLToPath(new URL(".", import.meta.url));
const SECRET = "bench-secret-0123456789abcdef";
const ENV = {
  COGNITO_CLIENT_ID: "benchclient", AWS_REGION: "us-east-1", CONNECTOR_AUTHORIZATION: SECRET,
  FUSIONAUTH_APPLICATION_ID: "85a03867-dccf-4882-adde-1a79aeec50df",
  FUSIONAUTH_TENANT_ID: "30663132-6464-6665-3032-326466613934",
};

/** A GetUser response as Cognito returns it for a well-filled profile (20 attributes). */
const GET_USER = {
  Username: "alice",
  UserAttributes: Object.entries({
    sub: "44872447-1116-467b-b6c8-57cb8a433c1c", email: "alice@example.com", email_verified: "true",
    given_name: "Alice", middle_name: "Pleasance", family_name: "Liddell", name: "Alice Pleasance Liddell",
    phone_number: "+14325551212", phone_number_verified: "true", birthdate: "1852-05-04",
    picture: "https://example.com/alice.png", zoneinfo: "Europe/London", locale: "en-GB",
    website: "https://alice.example.com", nickname: "Ali", preferred_username: "alice_l", gender: "female",
    address: "1 Rabbit Hole, Oxford", updated_at: "1700000000", "custom:department": "Research",
  }).map(([Name, Value]) => ({ Name, Value })),
  MFAOptions: [],
  UserMFASettingList: [],
};

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { mean, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted.at(-1) };
}
const ms = (v) => `${v.toFixed(1)} ms`;
const us = (v) => `${(v * 1000).toFixed(0)} µs`;
const row = (label, s, unit) => console.log(
  `  ${label.padEnd(48)} median ${unit(s.p50).padStart(9)}   p90 ${unit(s.p90).padStart(9)}   max ${unit(s.max).padStart(9)}`);

/** One fresh process per run; each prints the phases it timed as JSON. */
const CHILD = `
const t0 = performance.now();
const phase = process.argv[1];
const out = { boot: t0 };
if (phase === "wasm") {
  await import("cognito-fusionauth");
  out.wasm = performance.now() - t0;
} else if (phase === "sdk") {
  const { CognitoIdentityProviderClient } = await import("@aws-sdk/client-cognito-identity-provider");
  const t1 = performance.now();
  new CognitoIdentityProviderClient({ region: "us-east-1", maxAttempts: 2, requestHandler: { requestTimeout: 3000 } });
  out.sdkImport = t1 - t0;
  out.sdkClient = performance.now() - t1;
} else {
  await import("./index.mjs");
  out.index = performance.now() - t0;
}
process.stdout.write("\\n" + JSON.stringify(out));`;

/** One fresh process in `cwd` with `env`, timing `phase`. */
function coldRun(phase, { cwd = HERE, env = ENV } = {}) {
  const run = spawnSync(process.execPath, ["--no-warnings", "--input-type=module", "-e", CHILD, phase], {
    cwd, encoding: "utf8", env: { PATH: process.env.PATH, ...env },
  });
  if (run.status !== 0) throw new Error(`cold ${phase} run in ${cwd} failed:\n${run.stderr}`);
  // index.mjs writes its init log line first; the timings are the last line.
  return JSON.parse(run.stdout.trim().split("\n").at(-1));
}

/** `COLD_RUNS` fresh processes timing `phase`. */
const coldRuns = (phase, options) => Array.from({ length: COLD_RUNS }, () => coldRun(phase, options));

/** The cold init of each unpacked package with `env`, the layouts taking turns (so drift hits both alike). */
function layoutInits(env = ENV) {
  const inits = layouts.map(() => []);
  for (let i = 0; i < COLD_RUNS; i += 1) {
    layouts.forEach((layout, n) => inits[n].push(coldRun("index", { cwd: layout.root, env })));
  }
  return inits;
}

function timeLoop(fn, iterations = ITERATIONS) {
  for (let i = 0; i < Math.min(500, iterations); i += 1) fn();   // warm-up (JIT, WASM tiering)
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    fn();
    samples[i] = performance.now() - start;
  }
  return summary(samples);
}

async function timeLoopAsync(fn, iterations) {
  for (let i = 0; i < Math.min(200, iterations); i += 1) await fn();
  const samples = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return summary(samples);
}

console.log(`cognito-fusionauth connector bench — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}`);
const work = mkdtempSync(join(tmpdir(), "connector-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const layouts = [
  ["old: index.mjs + src/ + node_modules (CommonJS SDK)", { unbundled: true }, "unbundled"],
  ["new: one bundled index.mjs + the WASM", {}, "bundled"],
].map(([label, options, name]) => {
  const zip = buildZip(join(work, `${name}.zip`), options);
  return { label, root: unpack(zip, join(work, name)), files: entries(zip).length, bytes: statSync(zip).size };
});
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
console.log(`\nPackages (scripts/build-zip.sh):`);
for (const { label, bytes, files } of layouts) console.log(`  ${label.padEnd(56)} ${mb(bytes).padStart(9)}, ${files} files`);

console.log(`\nCold init of the unpacked package (${COLD_RUNS} fresh processes each; from the module's first line):`);
const inits = layoutInits();
layouts.forEach((layout, n) => {
  row(`${layout.label.split(":")[0]}: import index.mjs (init, WASM included)`, summary(inits[n].map((r) => r.index)), ms);
});
row("(Node's own start before the first line)", summary(inits.flat().map((r) => r.boot)), ms);
console.log("  Parts of the old layout's init (from the source tree):");
row("  WASM engine: import + instantiate", summary(coldRuns("wasm").map((r) => r.wasm)), ms);
const sdk = coldRuns("sdk");
row("  AWS SDK: import the client package (CommonJS)", summary(sdk.map((r) => r.sdkImport)), ms);
row("  AWS SDK: new CognitoIdentityProviderClient", summary(sdk.map((r) => r.sdkClient)), ms);

console.log(`\nPer request, no network (${ITERATIONS} iterations after warm-up):`);
const config = loadConfig(ENV);
const getUserText = JSON.stringify(GET_USER);
row("connectorUser (WASM mapping, 20 attributes)", timeLoop(() => connectorUser(getUserText, { rules: config.rules })), us);
row("mapUser (stringify + mapping)", timeLoop(() => mapUser(GET_USER, config.rules)), us);

const handler = createHandler({
  config, client: {}, log: { info() {}, warn() {}, error() {} }, login: async () => ({ user: GET_USER }),
});
const body = JSON.stringify({ loginId: "alice", password: "Correct-Horse-9!", applicationId: ENV.FUSIONAUTH_APPLICATION_ID });
const event = {
  version: "2.0", requestContext: { http: { method: "POST" } }, rawPath: "/",
  headers: { authorization: SECRET, "content-type": "application/json" },
  body: Buffer.from(body).toString("base64"), isBase64Encoded: true,
};
row("handler without Cognito (event→auth→body→map)", await timeLoopAsync(() => handler(event), ITERATIONS), us);

if (process.argv.includes("--moto")) {
  const { startMoto, adminClient, CREDENTIALS } = await import("./testlib/moto.mjs");
  const { createFixturePool, PASSWORD } = await import("./testlib/pool.mjs");
  const { createSecret, putParameter, storeClients, storeEnvironment } = await import("./testlib/stores.mjs");
  const { createCognitoClient } = await import("./src/cognito.mjs");
  const moto = await startMoto();
  try {
    const pool = await createFixturePool(adminClient(moto.endpoint));
    const quiet = { info() {}, warn() {}, error() {} };
    // The admin calls are signed: dummy credentials, as in the tests.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey });
    const rules = JSON.parse(JSON.stringify(loadConfig(ENV).rules));
    rules.settings.carryMfa = true;
    const flows = [
      ["InitiateAuth → GetUser → map", {}, "alice"],
      ["AdminInitiateAuth → AdminGetUser → map", { COGNITO_USER_POOL_ID: pool.poolId }, "alice"],
      ["SMS_MFA challenge → AdminGetUser → map", { COGNITO_USER_POOL_ID: pool.poolId, MAPPING_RULES: JSON.stringify(rules) }, "milo"],
    ];
    console.log("\nFull login against moto_server on loopback (not Cognito's latency):");
    for (const [label, env, loginId] of flows) {
      const motoConfig = loadConfig({ ...ENV, COGNITO_CLIENT_ID: pool.clientId, COGNITO_ENDPOINT: moto.endpoint, ...env });
      const live = createHandler({ config: motoConfig, client: createCognitoClient(motoConfig), log: quiet });
      const liveEvent = { ...event, body: Buffer.from(JSON.stringify({ loginId, password: PASSWORD })).toString("base64") };
      const first = await live(liveEvent);
      if (first.statusCode !== 200) throw new Error(`moto login (${label}) failed: ${first.statusCode}`);
      row(`handler → ${label}`, await timeLoopAsync(() => live(liveEvent), 200), ms);
    }
    // The deployed init reads the Authorization value from a store: one round trip (to moto here),
    // and the store's SDK client, loaded only then.
    const stores = storeClients(moto.endpoint);
    const { CONNECTOR_AUTHORIZATION, ...fromStore } = ENV;
    const storeRefs = [
      ["SSM", await putParameter(stores, "/bench/authorization", SECRET)],
      ["Secrets Manager", await createSecret(stores, "bench/authorization", SECRET)],
    ];
    for (const [store, reference] of storeRefs) {
      console.log(`\nCold init reading the secret from ${store} (moto on loopback), ${COLD_RUNS} fresh processes each:`);
      const storeEnv = { ...fromStore, ...storeEnvironment(moto.endpoint), CONNECTOR_AUTHORIZATION_FROM: reference };
      layoutInits(storeEnv).forEach((runs, n) => {
        row(`${layouts[n].label.split(":")[0]}: import index.mjs`, summary(runs.map((r) => r.index)), ms);
      });
    }
  } finally {
    await moto.stop();
  }
}
