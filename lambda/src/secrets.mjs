// The connector's two secrets: the Authorization value FusionAuth sends and the Cognito app
// client's secret. Deployed, each is read once at init from SSM Parameter Store (a SecureString,
// decrypted) or Secrets Manager, named by `<VARIABLE>_FROM`. The plain `<VARIABLE>` still works,
// for local tests only: the init log line then carries a warning.

/** The secrets, by their key in the configuration. */
export const SECRETS = {
  authorization: {
    variable: "CONNECTOR_AUTHORIZATION",
    required: true,
    what: "the Authorization header FusionAuth sends",
  },
  clientSecret: {
    variable: "COGNITO_CLIENT_SECRET",
    required: false,
    what: "the Cognito app client's secret",
  },
};

/** Init runs once; a few seconds for both reads still leaves most of Lambda's 10 s init. */
export const STORE_CLIENT_OPTIONS = {
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
};

const ARN = /^arn:(aws[a-z-]*):(ssm|secretsmanager):([a-z0-9-]+):(\d{12}):(.+)$/;
const PARAMETER_NAME = /^[\w.\-/]{1,2048}(:[\w.-]{1,100})?$/;

/**
 * Where a `_FROM` reference points: `{ store: "ssm" | "secretsmanager", id, region }`, or
 * undefined when it is none of: a Secrets Manager secret ARN, an SSM parameter ARN, an SSM
 * parameter name (`/cognito-connector/authorization`). `region` comes from the ARN, else
 * `defaultRegion` (the function's own region).
 */
export function parseReference(reference, defaultRegion) {
  const arn = ARN.exec(reference);
  if (arn) {
    const [, , service, region, , resource] = arn;
    if (service === "ssm" && !resource.startsWith("parameter/")) return undefined;
    if (service === "secretsmanager" && !resource.startsWith("secret:")) return undefined;
    return { store: service, id: reference, region };
  }
  if (reference.startsWith("arn:") || !PARAMETER_NAME.test(reference)) return undefined;
  return { store: "ssm", id: reference, region: defaultRegion };
}

const STORE_NAMES = { ssm: "SSM parameter", secretsmanager: "Secrets Manager secret" };

/** A problem text for a failed read, naming the variable and the parameter or secret. */
function readProblem(variable, source, error) {
  const thing = `the ${STORE_NAMES[source.store]} "${source.id}"`;
  const name = typeof error?.name === "string" ? error.name : "Error";
  if (name === "ParameterNotFound" || name === "ResourceNotFoundException") {
    return `${variable}_FROM: ${thing} does not exist (region ${source.region})`;
  }
  if (name === "NoSecretText") return `${variable}_FROM: ${thing} holds no text value`;
  const message = typeof error?.message === "string" ? error.message : String(error);
  return `${variable}_FROM: cannot read ${thing}: ${name}: ${message}`;
}

const noText = () => Object.assign(new Error("no text value"), { name: "NoSecretText" });

/**
 * The default readers, one per store: each resolves to `{ value, type? }`. The SDK clients are
 * imported only when a secret lives in that store, so an unused one costs no init time.
 * `clientConfig` is merged into each client's configuration (tests: endpoint, credentials).
 */
export function storeReaders(clientConfig = {}) {
  return {
    async ssm({ id, region }) {
      const { SSMClient, GetParameterCommand } = await import("./ssm-client.mjs");
      const client = new SSMClient({ region, ...STORE_CLIENT_OPTIONS, ...clientConfig });
      try {
        const { Parameter } = await client.send(new GetParameterCommand({ Name: id, WithDecryption: true }));
        if (typeof Parameter?.Value !== "string") throw noText();
        return { value: Parameter.Value, type: Parameter.Type };
      } finally {
        client.destroy();
      }
    },
    async secretsmanager({ id, region }) {
      const { SecretsManagerClient, GetSecretValueCommand } = await import("./secrets-manager-client.mjs");
      const client = new SecretsManagerClient({ region, ...STORE_CLIENT_OPTIONS, ...clientConfig });
      try {
        const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: id }));
        if (typeof SecretString !== "string") throw noText();
        return { value: SecretString };
      } finally {
        client.destroy();
      }
    },
  };
}

const blank = (value) => typeof value !== "string" || value.trim() === "";

/**
 * Reads every secret from where the environment says. Resolves (never rejects) to
 * `{ resolved, sources, warnings, problems }`:
 * - `resolved`: by variable name, `{ value, label }` for each secret read from a store, or
 *   `{ failed: true, label }` when the read failed (its problem is in `problems`); loadConfig
 *   takes it as its second argument;
 * - `sources`: by secret key, `"ssm"`, `"secretsmanager"`, `"environment"` or `"none"`;
 * - `warnings`: a plain variable in use, a String (not SecureString) parameter.
 * `readers` replaces the SDK readers (see storeReaders).
 */
export async function loadSecrets(env, { readers = storeReaders() } = {}) {
  const resolved = {};
  const sources = {};
  const warnings = [];
  const problems = [];
  const defaultRegion = blank(env.AWS_REGION) ? undefined : env.AWS_REGION.trim();

  await Promise.all(Object.entries(SECRETS).map(async ([key, { variable, what }]) => {
    const reference = blank(env[`${variable}_FROM`]) ? undefined : env[`${variable}_FROM`].trim();
    const plain = !blank(env[variable]);
    if (reference === undefined) {
      sources[key] = plain ? "environment" : "none";
      if (plain) {
        warnings.push(`${variable} is a plain environment variable: for local tests only; deploy with ${variable}_FROM `
          + "(an SSM SecureString parameter or a Secrets Manager secret)");
      }
      return;
    }
    const label = `${variable}_FROM`;
    if (plain) {
      problems.push(`set ${variable}_FROM or ${variable}, not both`);
      resolved[variable] = { failed: true, label };
      return;
    }
    const source = parseReference(reference, defaultRegion);
    if (!source) {
      problems.push(`${label} must be an SSM parameter name or ARN, or a Secrets Manager secret ARN (${what})`);
      resolved[variable] = { failed: true, label };
      return;
    }
    sources[key] = source.store;
    if (!source.region) {
      problems.push(`${label}: AWS_REGION is not set, so the region of "${source.id}" is unknown`);
      resolved[variable] = { failed: true, label };
      return;
    }
    try {
      const { value, type } = await readers[source.store](source);
      resolved[variable] = { value, label: `${label} (${STORE_NAMES[source.store]} "${source.id}")` };
      if (source.store === "ssm" && type !== undefined && type !== "SecureString") {
        warnings.push(`${label}: the SSM parameter "${source.id}" is a ${type}, not a SecureString`);
      }
    } catch (error) {
      problems.push(readProblem(variable, source, error));
      resolved[variable] = { failed: true, label };
    }
  }));
  // Promise.all finishes in any order: keep the messages in the order of SECRETS.
  const order = Object.values(SECRETS).map((s) => s.variable);
  const rank = (text) => order.findIndex((v) => text.includes(v));
  warnings.sort((a, b) => rank(a) - rank(b));
  problems.sort((a, b) => rank(a) - rank(b));
  return { resolved, sources, warnings, problems };
}
