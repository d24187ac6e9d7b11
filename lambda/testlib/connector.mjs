// The connector as Lambda runs it: a package built by scripts/build-zip.sh and unpacked into an
// empty folder, or the source tree, whose index.mjs a fresh Node process imports with only the
// environment it is given, then calls with events.
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../scripts/build-zip.sh", import.meta.url));
/** The source tree: lambda/ itself, whose index.mjs imports src/ and node_modules. */
export const SOURCE_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Builds the zip at `out` (`--unbundled`: the layout before the bundle). */
export function buildZip(out, { unbundled = false } = {}) {
  execFileSync("bash", [SCRIPT, ...(unbundled ? ["--unbundled"] : []), out], { stdio: ["ignore", "ignore", "pipe"] });
  return out;
}

/** Unpacks `zip` into the folder `root` with Python's zipfile (no unzip needed). */
export function unpack(zip, root) {
  execFileSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])", zip, root]);
  return root;
}

/** The zip's entry names, in the zip's order. */
export function entries(zip) {
  const script = "import sys, zipfile, json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))";
  return JSON.parse(execFileSync("python3", ["-c", script, zip], { encoding: "utf8" }));
}

/** Runs in the child: imports index.mjs, then calls the handler with each event read from stdin. */
const CHILD = `
const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; }).on("end", () => resolve(text));
}));
const { handler } = await import("./index.mjs");
const results = [];
for (const event of input.events) {
  const lines = [];
  const { log, error } = console;
  console.log = console.error = (text) => lines.push(JSON.parse(text));
  try {
    const response = await handler(event, { awsRequestId: "child", getRemainingTimeInMillis: () => 9000 });
    results.push({ response, lines });
  } finally {
    Object.assign(console, { log, error });
  }
}
process.stdout.write("\\nRESULTS " + JSON.stringify(results) + "\\n");`;

/**
 * Imports `<root>/index.mjs` in a fresh Node process with exactly `env` (plus PATH), then calls
 * its handler with each of `events` in turn. Resolves to `{ status, stderr, init, results }`:
 * `init` the init log line, `results` one `{ response, lines }` per event (`lines` the log
 * lines the call wrote). Asynchronous, so a proxy in this process keeps answering.
 */
export function runConnector(root, env, events) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-warnings", "--input-type=module", "-e", CHILD], {
      cwd: root, env: { PATH: process.env.PATH, NODE_PATH: "", ...env }, stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => { stdout += chunk; });
    child.stderr.on("data", (chunk) => { stderr += chunk; });
    child.on("error", reject);
    child.on("close", (status) => {
      const lines = stdout.split("\n");
      const init = [...lines, ...stderr.split("\n")].filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
        .find((l) => l.msg === "connector init" || l.msg === "connector init failed");
      const results = lines.find((l) => l.startsWith("RESULTS "));
      resolve({ status, stderr, stdout, init, results: results ? JSON.parse(results.slice("RESULTS ".length)) : undefined });
    });
    child.stdin.end(JSON.stringify({ events }));
  });
}
