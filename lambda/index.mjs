// FusionAuth Generic Connector for Amazon Cognito (AWS Lambda, Node.js 22, ESM).
// Init (once per execution environment): read the configuration, instantiate the mapping
// engine's WASM and create the Cognito client. A bad configuration fails the init with one
// log line naming every problem. See README.md.
import { createCognitoClient } from "./src/cognito.mjs";
import { loadConfig } from "./src/config.mjs";
import { createHandler } from "./src/handler.mjs";
import { log } from "./src/log.mjs";

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  log.error({ msg: "connector init failed", reason: "invalid-configuration", problems: error.problems ?? [error.message] });
  throw error;
}

export const handler = createHandler({ config, client: createCognitoClient(config) });
