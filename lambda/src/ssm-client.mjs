// What secrets.mjs needs of the SSM client, and only that: importing these two names (instead of
// the package's namespace) lets the bundler keep the client's other commands out of index.mjs.
// secrets.mjs imports this module only when a secret is kept in SSM.
export { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
