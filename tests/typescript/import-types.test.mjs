// Our import files and link requests, type-checked with `tsc --strict` against the
// ImportRequest and IdentityProviderLinkRequest types of @fusionauth/typescript-client 1.69
// (fusionauth-client-1.69.d.ts). Each JSON file becomes an object literal assigned to the
// type, so TypeScript's excess-property checks catch any field FusionAuth does not define,
// and its type checks catch a string where a number or boolean belongs.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const cli = process.env.CLI_BIN ?? join(root, "target", "debug", "cognito-fusionauth");
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");

// Settings that make every optional part of the output appear: tenant, registrations with
// roles, group memberships, and a mapped SAML provider next to the built-in Google one.
const rules = JSON.parse(execFileSync(cli, ["rules"], { encoding: "utf8" }));
rules.settings.tenantId = "30663132-6464-6665-3032-326466613934";
rules.settings.registrations = [{ applicationId: "85a03867-dccf-4882-adde-1a79aeec50df", roles: ["user", "admin"] }];
rules.settings.groups = { admins: "4a2b7a06-5f5d-4d7e-9b1f-0c2d3e4f5a6b" };
rules.settings.identityProviders.byName = { CorpSAML: "0d4c8f5e-8a0b-4c55-a5b3-3b2f7b1f1c11" };
rules.settings.onDuplicate = "move-to-data";
rules.settings.chunkSize = 8;
rules.settings.carryMfa = true;

/** Temporary folders of this file's tests, removed at the end. */
const made = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function convert() {
  const dir = mkdtempSync(join(tmpdir(), "cf-ts-"));
  made.push(dir);
  writeFileSync(join(dir, "rules.json"), JSON.stringify(rules));
  const inputs = ["sample-pool.json", "guide-list-users.json", "mfa-list-users.json", "mfa-admin-get-user.json"].map((f) => join(root, "tests", "fixtures", f));
  const run = spawnSync(cli, ["convert", "--rules", join(dir, "rules.json"), "--seed", "3", "--out", join(dir, "out"), ...inputs]);
  assert.equal(run.status, 0, run.stderr.toString());
  return join(dir, "out");
}

function typeCheck(dir, files) {
  copyFileSync(join(here, "fusionauth-client-1.69.d.ts"), join(dir, "fusionauth-client-1.69.d.ts"));
  const sources = files.map(({ name, type, json }, i) => {
    const path = join(dir, `check-${i}.ts`);
    writeFileSync(path, `import type { ${type} } from "./fusionauth-client-1.69";\n// ${name}\nexport const value: ${type} = ${json};\n`);
    return path;
  });
  return spawnSync(process.execPath, [tsc, "--strict", "--noEmit", "--target", "es2020", "--module", "es2020", ...sources], { encoding: "utf8" });
}

test("import files and link requests are type-correct", () => {
  const out = convert();
  const names = readdirSync(out);
  const chunks = names.filter((n) => /^users-\d{4}\.json$/.test(n));
  assert.ok(chunks.length >= 3, `several chunks: ${names}`);
  const files = chunks.map((name) => ({ name, type: "ImportRequest", json: readFileSync(join(out, name), "utf8") }));
  const links = JSON.parse(readFileSync(join(out, "links.json"), "utf8"));
  assert.ok(links.length >= 2, "a Google and a mapped SAML link");
  links.forEach((link, i) => files.push({ name: `links.json[${i}]`, type: "IdentityProviderLinkRequest", json: JSON.stringify(link) }));
  const all = files.map((f) => f.json).join("\n");
  for (const field of ["memberships", "registrations", "roles", "tenantId", "preferredLanguages", "birthDate", "timezone", "imageUrl", "mobilePhone", "fullName", "twoFactor", "methods"]) {
    assert.ok(all.includes(`"${field}"`), `the check covers ${field}`);
  }
  const result = typeCheck(out, files);
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test("the check catches a field FusionAuth does not define", () => {
  const dir = mkdtempSync(join(tmpdir(), "cf-ts-neg-"));
  made.push(dir);
  const bad = [
    { name: "unknown field", type: "ImportRequest", json: '{"users":[{"email":"a@b.io","twoFactorSecret":"x"}]}' },
  ];
  const result = typeCheck(dir, bad);
  assert.notEqual(result.status, 0);
  assert.match(result.stdout, /twoFactorSecret/);
  const wrongType = typeCheck(dir, [{ name: "wrong type", type: "ImportRequest", json: '{"users":[{"insertInstant":"yesterday"}]}' }]);
  assert.notEqual(wrongType.status, 0);
});
