// FusionAuth Generic Connector for Amazon Cognito (AWS Lambda, Node.js 22, ESM).
// Init (once per execution environment): read the secrets from SSM Parameter Store or Secrets
// Manager, check the configuration, instantiate the mapping engine's WASM and create the Cognito
// client. One log line says how it went: "connector init" (with any warnings, and what becomes of
// users Cognito challenges), or "connector init failed" naming every problem, and the init
// fails. See README.md.
import { challengePolicy } from "./src/challenge.mjs";
import { createCognitoClient } from "./src/cognito.mjs";
import { initConfig } from "./src/config.mjs";
import { createHandler } from "./src/handler.mjs";
import { log } from "./src/log.mjs";

const started = performance.now();
let init;
try {
  init = await initConfig(process.env);
} catch (error) {
  log.error({ msg: "connector init failed", reason: "invalid-configuration", problems: error.problems ?? [error.message] });
  throw error;
}
const { config, sources, warnings } = init;
const ms = Math.round((performance.now() - started) * 10) / 10;
const line = { msg: "connector init", secrets: sources, challenges: challengePolicy(config), ms };
if (warnings.length > 0) log.warn({ ...line, warnings });
else log.info(line);

export const handler = createHandler({ config, client: createCognitoClient(config) });
