// What secrets.mjs needs of the Secrets Manager client, and only that: importing these two names
// (instead of the package's namespace) lets the bundler keep the client's other commands out of
// index.mjs. secrets.mjs imports this module only when a secret is kept in Secrets Manager.
export { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
