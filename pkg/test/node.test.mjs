// The packed package installed into a fresh project and used as people use it: through
// `require` and `import`, compared with the CLI's output for the same inputs and seed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, fixtures, inputNames, installPacked, richRules, cliConvert, root, SEED } from "./helpers.mjs";

let project, work;
before(() => {
  ({ project, work } = installPacked());
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs a script inside the consumer project and returns its stdout parsed as JSON. */
function runIn(kind, source) {
  const file = join(project, kind === "cjs" ? "script.cjs" : "script.mjs");
  writeFileSync(file, source);
  const run = spawnSync(process.execPath, [file], { cwd: project, encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const convertScript = (load) => `
${load}
const fs = require("node:fs");
const rules = ${JSON.stringify(richRules())};
const inputs = ${JSON.stringify(inputNames)}.map((name) => ({ name, content: fs.readFileSync(${JSON.stringify(root)} + "/" + name) }));
const result = cf.convert(inputs, { rules, seed: ${SEED} });
process.stdout.write(JSON.stringify({ ok: result.ok, files: Object.fromEntries(result.files.map((f) => [f.name, f.content])), report: result.report }));
`;

test("require: convert gives the CLI's files byte for byte", () => {
  const ours = runIn("cjs", convertScript(`const cf = require("cognito-fusionauth");`));
  const reference = cliConvert(richRules());
  assert.equal(ours.ok, true);
  assert.deepEqual(Object.keys(ours.files).sort(), Object.keys(reference));
  for (const [name, content] of Object.entries(reference)) assert.equal(ours.files[name], content, name);
  assert.equal(ours.report.summary.usersRead, 23);
});

test("import: the ESM entry point gives the same result", () => {
  const ours = runIn("esm", convertScript(`import * as cf from "cognito-fusionauth"; import { createRequire } from "node:module"; const require = createRequire(import.meta.url);`));
  const reference = cliConvert(richRules());
  for (const [name, content] of Object.entries(reference)) assert.equal(ours.files[name], content, name);
});

// The incremental API as a Node user with files too large for memory drives it: each file in
// chunks, the blocks kept aside, the files appended piece by piece.
const streamedScript = (chunk) => `
const cf = require("cognito-fusionauth");
const fs = require("node:fs");
const rules = ${JSON.stringify(richRules())};
const conversion = new cf.StreamedConversion({ rules, seed: ${SEED} });
const blocks = [];
for (const name of ${JSON.stringify(inputNames)}) {
  const bytes = fs.readFileSync(${JSON.stringify(root)} + "/" + name);
  blocks.push(...conversion.startFile(name));
  for (let at = 0; at < bytes.length; at += ${chunk}) blocks.push(...conversion.feed(bytes.subarray(at, at + ${chunk})));
  blocks.push(...conversion.endFile().blocks);
}
const users = conversion.usersRead;
for (const n of conversion.wanted()) conversion.gather(blocks[n]);
const report = conversion.resolve();
const parts = {}, complete = [];
const add = (pieces) => { for (const p of pieces) { (parts[p.name] ??= []).push(Buffer.from(p.bytes)); if (p.complete) complete.push(p.name); } };
for (const block of blocks) add(conversion.write(block));
add(conversion.finish());
const files = Object.fromEntries(Object.entries(parts).map(([n, b]) => [n, Buffer.concat(b).toString("utf8")]));
let late;
try { conversion.feed(new Uint8Array(1)); } catch (e) { late = e.message; }
const broken = new cf.StreamedConversion();
const kept = [...broken.startFile("bad.json")];
let error;
try {
  kept.push(...broken.feed(Buffer.from('{"Users":[{"Username":"a"},')));
  kept.push(...broken.feed(Buffer.from('\\n{"Username":"b","Enabled":[1]}]}')));
} catch (e) { error = e.message; }
process.stdout.write(JSON.stringify({ users, blocks: blocks.length, ok: !report.summary.blocked, files, complete, late, error, keep: broken.blocks }));
`;

test("StreamedConversion: files fed in chunks give convert's files byte for byte", () => {
  const reference = cliConvert(richRules());
  for (const chunk of [1000, 1 << 20]) {
    const ours = runIn("cjs", streamedScript(chunk));
    assert.equal(ours.ok, true);
    assert.equal(ours.users, 23);
    assert.deepEqual(Object.keys(ours.files).sort(), Object.keys(reference));
    assert.deepEqual(ours.complete.slice(-1), ["report.json"]);
    for (const [name, content] of Object.entries(reference)) assert.equal(ours.files[name], content, `${name}, chunks of ${chunk}`);
    assert.match(ours.late, /not at this step/);
    assert.equal(ours.error, 'bad.json: user 1 ("b") (line 2, column 27), field "Enabled": invalid type: sequence, expected a string, number or boolean');
    assert.equal(ours.keep, 0);
  }
});

test("blocked output, validate, connectorUser, estimates and errors", () => {
  const out = runIn("esm", `
import { convert, validate, connectorUser, defaultRules, estimate, daysToReach } from "cognito-fusionauth";
import { readFileSync } from "node:fs";
const pool = { name: "pool.json", content: readFileSync(${JSON.stringify(join(fixtures, "sample-pool.json"))}, "utf8") };
const blocked = convert([pool]);
const report = validate([pool]);
const getUser = readFileSync(${JSON.stringify(join(fixtures, "guide-get-user.json"))}, "utf8");
const connector = connectorUser(getUser, { migratedDate: "2021-11-19T21:50:19.048Z" });
const now = connectorUser(getUser);
const errors = {};
try { convert([{ name: "bad.json", content: '{"Users":[{"Username":"a"},\\n{"Username":"b","Enabled":[1]}]}' }]); } catch (e) { errors.input = [e instanceof Error, e.message]; }
try { convert([pool], { rules: { version: 1, attributes: [{ source: "email", target: "mail" }] } }); } catch (e) { errors.rules = e.message; }
try { estimate(2, 1); } catch (e) { errors.estimate = e.message; }
process.stdout.write(JSON.stringify({
  blocked: { ok: blocked.ok, names: blocked.files.map((f) => f.name), reason: blocked.report.summary.blockedReason },
  codes: report.summary.codes, connector, nowDate: now.user.data.migratedDate,
  rules: defaultRules().attributes.length, estimate: estimate(0.1, 7), days: daysToReach(0.1, 0.9), errors,
}));`);
  assert.equal(out.blocked.ok, false);
  assert.deepEqual(out.blocked.names, ["report.json"]);
  assert.match(out.blocked.reason, /duplicate-email/);
  assert.equal(out.codes["duplicate-email"], 2);
  assert.equal(out.connector.user.id, "06744664-df6e-48cc-9421-3d56a9732172");
  assert.equal(out.connector.user.data.migratedDate, "2021-11-19T21:50:19.048Z");
  assert.match(out.nowDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(out.rules > 10);
  assert.ok(Math.abs(out.estimate - 0.5217031) < 1e-6);
  assert.ok(Math.abs(out.days - 21.854) < 1e-3);
  assert.deepEqual(out.errors.input, [true, 'bad.json: user 1 ("b") (line 2, column 27), field "Enabled": invalid type: sequence, expected a string, number or boolean']);
  assert.match(out.errors.rules, /attributes\[0\]\.target/);
  assert.match(out.errors.estimate, /probability/);
});

test("connectorUser equals the CLI's connector-user", () => {
  const file = join(fixtures, "guide-get-user.json");
  const fromCli = JSON.parse(execFileSync(cli, ["connector-user", file], { encoding: "utf8" }));
  const ours = runIn("cjs", `
const cf = require("cognito-fusionauth");
const body = cf.connectorUser(require("node:fs").readFileSync(${JSON.stringify(file)}, "utf8"), { migratedDate: ${JSON.stringify("X")} });
process.stdout.write(JSON.stringify(body));`);
  fromCli.user.data.migratedDate = "X";
  assert.deepEqual(ours, fromCli);
});

test("a TypeScript consumer type-checks with --strict", () => {
  const source = `
import { convert, connectorUser, defaultRules, StreamedConversion, type Rules, type Report, type ConvertResult, type Finding, type OutputPiece, type FileEnd } from "cognito-fusionauth";
const rules: Rules = defaultRules();
rules.settings = { ...rules.settings, onDuplicate: "keep-first", chunkSize: 5000 };
// @ts-expect-error the duplicate policy is a closed set
rules.settings.onDuplicate = "sometimes";
const result: ConvertResult = convert([{ name: "a.json", content: new Uint8Array() }], { rules, seed: 1 });
const report: Report = result.report;
const first: Finding | undefined = report.issues[0];
const severity: "info" | "warning" | "error" | undefined = first?.severity;
const count: number = report.summary.usersRead + (report.summary.codes["duplicate-email"] ?? 0);
const names: string[] = result.files.map((f) => f.name + f.content.length);
const id: string | undefined = connectorUser("{}").user.id;
// @ts-expect-error files are {name, content}, not strings
const wrong: string = result.files[0];
const streamed = new StreamedConversion({ rules });
const blocks: Uint8Array[] = [...streamed.startFile("a.json"), ...streamed.feed(new Uint8Array())];
const end: FileEnd = streamed.endFile();
const pieces: OutputPiece[] = streamed.write(end.blocks[0] ?? blocks[0]);
const complete: boolean | undefined = pieces[0]?.complete;
export { severity, count, names, id, wrong, complete };
`;
  writeFileSync(join(project, "consumer.ts"), source);
  const tsc = join(root, "pkg", "test", "node_modules", "typescript", "bin", "tsc");
  const run = spawnSync(process.execPath, [tsc, "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "consumer.ts"], { cwd: project, encoding: "utf8" });
  assert.equal(run.status, 0, run.stdout + run.stderr);
  const dts = readFileSync(join(project, "node_modules", "cognito-fusionauth", "node", "cognito_fusionauth.d.ts"), "utf8");
  assert.doesNotMatch(dts, /\bany\b/, "no `any` in the package's types");
});
