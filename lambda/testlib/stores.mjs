// The secrets in moto's SSM Parameter Store and Secrets Manager, as an operator would create them
// before deploying (README "Deploy"), and the environment that points the SDK at moto.
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CREDENTIALS, REGION } from "./moto.mjs";

/** SSM and Secrets Manager clients for `endpoint` (signed with dummy credentials). */
export function storeClients(endpoint) {
  const options = { region: REGION, endpoint, credentials: CREDENTIALS };
  return { ssm: new SSMClient(options), secretsManager: new SecretsManagerClient(options) };
}

/** Puts an SSM parameter (SecureString unless `type` says otherwise); resolves to its name. */
export async function putParameter(clients, name, value, type = "SecureString") {
  await clients.ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: type }));
  return name;
}

/** Creates a Secrets Manager secret holding `value`; resolves to its full ARN. */
export async function createSecret(clients, name, value) {
  const { ARN } = await clients.secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return ARN;
}

/**
 * What a child process needs for the SDK's SSM and Secrets Manager clients to reach moto: the
 * SDK's own per-service endpoint variables, a region and dummy credentials.
 */
export function storeEnvironment(endpoint) {
  return {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SSM: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  };
}
