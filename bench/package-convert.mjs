// Benchmark driver: converts an export with the npm package's Node build, the way a Node
// script would (read the file, convert, write every file), with the settings bench/run.sh
// gives the CLI. Usage: node bench/package-convert.mjs EXPORT.json OUTDIR
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const cf = require("../pkg/node/cognito_fusionauth.js");
const [, , input, outdir] = process.argv;

const rules = cf.defaultRules();
rules.settings.tenantId = "30663132-6464-6665-3032-326466613934";
rules.settings.registrations = [{ applicationId: "85a03867-dccf-4882-adde-1a79aeec50df" }];
rules.settings.onDuplicate = "keep-newest";

const result = cf.convert([{ name: input, content: readFileSync(input) }], { rules });
mkdirSync(outdir, { recursive: true });
for (const file of result.files) writeFileSync(join(outdir, file.name), file.content);
const s = result.report.summary;
console.error(`users=${s.usersRead} imported=${s.imported} excluded=${s.excluded} ok=${result.ok}`);
if (!result.ok) process.exit(1);
