// Shared by the package tests: paths, the CLI as the reference, and the packed package.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));
export const pkgDir = join(here, "..");
export const root = join(pkgDir, "..");
export const fixtures = join(root, "tests", "fixtures");
export const cli = process.env.CLI_BIN ? resolve(process.env.CLI_BIN) : join(root, "target", "debug", "cognito-fusionauth");

/** The inputs both sides convert, named as the CLI sees them (paths relative to the repo). */
export const inputNames = ["tests/fixtures/sample-pool.json", "tests/fixtures/guide-list-users.json"];
export const SEED = 42;

/** Rules with every optional output part switched on (and keep-newest, so output is written). */
export function richRules() {
  const rules = JSON.parse(execFileSync(cli, ["rules"], { encoding: "utf8" }));
  rules.settings.tenantId = "30663132-6464-6665-3032-326466613934";
  rules.settings.registrations = [{ applicationId: "85a03867-dccf-4882-adde-1a79aeec50df", roles: ["user"] }];
  rules.settings.groups = { admins: "4a2b7a06-5f5d-4d7e-9b1f-0c2d3e4f5a6b" };
  rules.settings.onDuplicate = "keep-newest";
  rules.settings.chunkSize = 7;
  return rules;
}

/** The CLI's `convert --seed` output for the inputs, as {name: content}. */
export function cliConvert(rules) {
  const dir = mkdtempSync(join(tmpdir(), "cf-cli-"));
  writeFileSync(join(dir, "rules.json"), JSON.stringify(rules));
  const out = join(dir, "out");
  try {
    const run = spawnSync(cli, ["convert", "--rules", join(dir, "rules.json"), "--seed", String(SEED), "--out", out, ...inputNames], { cwd: root });
    if (run.status !== 0) throw new Error(`CLI failed: ${run.stderr}`);
    return Object.fromEntries(readdirSync(out).sort().map((n) => [n, readFileSync(join(out, n), "utf8")]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Packs pkg/ with npm pack and installs the tarball into a fresh project; returns its folder and
 * `work`, the temporary folder holding both, for the caller to remove. */
export function installPacked() {
  const work = mkdtempSync(join(tmpdir(), "cf-pkg-"));
  const packed = execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], { cwd: pkgDir, encoding: "utf8" }).trim().split("\n").pop();
  const project = join(work, "project");
  execFileSync("mkdir", ["-p", project]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, version: "1.0.0" }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--silent", join(work, packed)], { cwd: project });
  return { project, work };
}
