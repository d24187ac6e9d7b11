// A real Cognito emulator for the tests: moto_server on a free loopback port, started before
// and killed after a test file. `scripts/setup.sh` installs it (pip "moto[server,cognitoidp]").
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import {
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";

export const HOST = "127.0.0.1";
export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

/** A port nobody listens on right now (listen on 0, read it, close). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `moto_server -H 127.0.0.1 -p PORT` and waits until /moto-api/ answers.
 * Resolves to `{ endpoint, port, stop() }`; rejects with moto's output when it fails to start.
 */
export async function startMoto({ timeoutMs = 30_000 } = {}) {
  const command = process.env.MOTO_SERVER ?? "moto_server";
  const port = await freePort();
  const child = spawn(command, ["-H", HOST, "-p", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AWS_DEFAULT_REGION: REGION },
  });
  let output = "";
  child.stdout.on("data", (chunk) => { output = (output + chunk).slice(-4000); });
  child.stderr.on("data", (chunk) => { output = (output + chunk).slice(-4000); });
  let exited = null;
  let spawnError = null;
  child.on("exit", (code, signal) => { exited = { code, signal }; });
  child.on("error", (error) => { spawnError = error; });

  const endpoint = `http://${HOST}:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      throw new Error(`cannot run ${command} (${spawnError.message}): run lambda/scripts/setup.sh`);
    }
    if (exited) throw new Error(`${command} exited (${JSON.stringify(exited)}):\n${output}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${command} did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`);
    }
    await sleep(100);
  }

  return {
    endpoint,
    port,
    async stop() {
      if (exited) return;
      const done = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** An SDK client for the admin calls (signed with dummy credentials). */
export function adminClient(endpoint) {
  return new CognitoIdentityProviderClient({ region: REGION, endpoint, credentials: CREDENTIALS });
}
