// THIRD_PARTY_LICENSES.txt for the bundled index.mjs (build-zip.sh): every npm package esbuild
// put into the bundle (from its metafile), with its version and licence, then each distinct
// licence text once, naming the packages it covers. The project's own engine is not listed.
//
//   node scripts/licenses.mjs meta.json > THIRD_PARTY_LICENSES.txt
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt))?$/i;

/** The package folders (`node_modules/…/name`) the bundle's inputs come from, sorted. */
function packageDirs(meta) {
  const dirs = new Set();
  for (const input of Object.keys(meta.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (match) dirs.add(match[1]);
  }
  return [...dirs].sort();
}

const meta = JSON.parse(readFileSync(process.argv[2], "utf8"));
const texts = new Map();   // licence text → package names
const lines = ["Third-party npm packages bundled into index.mjs, with their licences.", ""];
for (const dir of packageDirs(meta)) {
  const { name, version, license } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  lines.push(`${name} ${version} (${license ?? "see its licence below"})`);
  for (const file of readdirSync(dir).filter((f) => LICENSE_FILE.test(f)).sort()) {
    const text = readFileSync(join(dir, file), "utf8").trim();
    texts.set(text, [...(texts.get(text) ?? []), name]);
  }
}
for (const [text, names] of texts) {
  lines.push("", "=".repeat(78), `For ${names.join(", ")}:`, "", text);
}
process.stdout.write(`${lines.join("\n")}\n`);
