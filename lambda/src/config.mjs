// Configuration from environment variables, checked once at init. Every problem is collected so
// one log line names all of them. The secrets come from SSM or Secrets Manager (secrets.mjs).
import { connectorUser, defaultRules } from "cognito-fusionauth";
import { SECRETS, loadSecrets } from "./secrets.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_SECRET_LENGTH = 16;
/** FUSIONAUTH_READ_TIMEOUT_MS bounds: 0.1 s, and Lambda's longest timeout (15 min). */
const READ_TIMEOUT_RANGE = [100, 900_000];
/** A user pool id: its region, an underscore, then letters and digits (`us-east-1_AbCdEf123`). */
const USER_POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+$/;
/** TOTP_USERS: what becomes of users with an authenticator app (challenge.mjs). */
const TOTP_POLICIES = ["refuse", "migrate"];

export class ConfigError extends Error {
  constructor(problems) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** An environment variable, or undefined when absent or blank. */
function setting(env, name) {
  const value = env[name];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/**
 * A secret's value and the name problems give it: read from a store (`resolved`, by variable
 * name, from loadSecrets) or the plain variable. `failed` when its read already failed.
 */
function secret(env, resolved, variable) {
  if (resolved[variable]) return resolved[variable];
  const value = env[variable];
  return { value: typeof value === "string" && value !== "" ? value : undefined, label: variable };
}

/**
 * The connector's settings from `env` (process.env) and the secrets read at init (`resolved`,
 * from loadSecrets; without it, the plain variables). Throws a ConfigError naming every missing
 * or invalid setting. The returned `rules` are the mapping rules with the tenant and the
 * application registration applied, already checked by mapping a sample user.
 */
export function loadConfig(env, resolved = {}) {
  const problems = [];
  const clientId = setting(env, "COGNITO_CLIENT_ID");
  if (!clientId) problems.push("COGNITO_CLIENT_ID is required (the Cognito app client id)");

  const region = setting(env, "COGNITO_REGION") ?? setting(env, "AWS_REGION");
  if (!region) problems.push("COGNITO_REGION is required when AWS_REGION is not set");

  // Not trimmed: the header must match byte for byte.
  const auth = secret(env, resolved, SECRETS.authorization.variable);
  const authorization = auth.value;
  if (auth.failed) {
    // loadSecrets has named the problem.
  } else if (authorization === undefined) {
    problems.push(`${SECRETS.authorization.variable}_FROM is required `
      + `(the SSM parameter or Secrets Manager secret holding ${SECRETS.authorization.what})`);
  } else if (authorization.length < MIN_SECRET_LENGTH) {
    problems.push(`${auth.label} must be at least ${MIN_SECRET_LENGTH} characters`);
  }

  const applicationId = setting(env, "FUSIONAUTH_APPLICATION_ID");
  if (!applicationId) problems.push("FUSIONAUTH_APPLICATION_ID is required (the FusionAuth application id)");
  else if (!UUID.test(applicationId)) problems.push("FUSIONAUTH_APPLICATION_ID is not a UUID");

  const tenantId = setting(env, "FUSIONAUTH_TENANT_ID");
  if (tenantId && !UUID.test(tenantId)) problems.push("FUSIONAUTH_TENANT_ID is not a UUID");

  const endpoint = setting(env, "COGNITO_ENDPOINT");
  if (endpoint) {
    try {
      const url = new URL(endpoint);
      if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
    } catch {
      problems.push("COGNITO_ENDPOINT is not an http(s) URL");
    }
  }

  const clientSecret = secret(env, resolved, SECRETS.clientSecret.variable).value?.trim() || undefined;

  const userPoolId = setting(env, "COGNITO_USER_POOL_ID");
  if (userPoolId) {
    const pool = USER_POOL_ID.exec(userPoolId);
    if (!pool) problems.push("COGNITO_USER_POOL_ID is not a user pool id (region_id, like us-east-1_AbCdEf123)");
    else if (region && pool[1] !== region) {
      problems.push(`COGNITO_USER_POOL_ID ${userPoolId} is in ${pool[1]}, but the Cognito region is ${region} (COGNITO_REGION)`);
    }
  }
  const totpUsers = setting(env, "TOTP_USERS") ?? "refuse";
  if (!TOTP_POLICIES.includes(totpUsers)) problems.push(`TOTP_USERS must be ${TOTP_POLICIES.join(" or ")}`);

  let readTimeoutMs;
  const readTimeout = setting(env, "FUSIONAUTH_READ_TIMEOUT_MS");
  if (readTimeout) {
    readTimeoutMs = /^\d+$/.test(readTimeout) ? Number(readTimeout) : NaN;
    const [min, max] = READ_TIMEOUT_RANGE;
    if (!(readTimeoutMs >= min && readTimeoutMs <= max)) {
      problems.push(`FUSIONAUTH_READ_TIMEOUT_MS must be a whole number of milliseconds from ${min} to ${max}`);
    }
  }

  let rules;
  const rulesText = setting(env, "MAPPING_RULES");
  if (rulesText) {
    try {
      rules = JSON.parse(rulesText);
    } catch (e) {
      problems.push(`MAPPING_RULES is not valid JSON: ${e.message}`);
    }
    if (rules !== undefined && (rules === null || typeof rules !== "object" || Array.isArray(rules))) {
      problems.push("MAPPING_RULES must be a JSON object (the format of `cognito-fusionauth rules`)");
      rules = undefined;
    }
  } else {
    rules = defaultRules();
  }

  if (rules && applicationId && UUID.test(applicationId)) {
    rules = withSettings(rules, { applicationId, tenantId });
    const problem = checkRules(rules);
    if (problem) problems.push(`MAPPING_RULES rejected: ${problem}`);
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    clientId, region, authorization, applicationId, tenantId, endpoint, clientSecret, readTimeoutMs, rules, userPoolId, totpUsers,
  };
}

/**
 * Init: reads the secrets (see secrets.mjs), then checks the whole configuration. Resolves to
 * `{ config, sources, warnings }` for the init log line; rejects with one ConfigError naming
 * every problem, unreadable secrets included. `readers` replaces the SDK readers in tests.
 */
export async function initConfig(env, { readers } = {}) {
  const { resolved, sources, warnings, problems } = await loadSecrets(env, readers ? { readers } : {});
  let config;
  try {
    config = loadConfig(env, resolved);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { config, sources, warnings };
}

/**
 * The rules with `settings.tenantId` set (when given) and a registration for the application
 * added unless the rules already register it. Returns a copy.
 */
export function withSettings(rules, { applicationId, tenantId }) {
  const copy = structuredClone(rules);
  const settings = (copy.settings ??= {});
  if (tenantId) settings.tenantId = tenantId;
  const registrations = Array.isArray(settings.registrations) ? settings.registrations : [];
  const registered = registrations.some(
    (r) => typeof r?.applicationId === "string" && r.applicationId.toLowerCase() === applicationId.toLowerCase(),
  );
  if (!registered) registrations.push({ applicationId, roles: [] });
  settings.registrations = registrations;
  return copy;
}

/** Maps a sample user with the rules: the error message when the engine rejects them. */
function checkRules(rules) {
  const sample = {
    Username: "config-check",
    UserAttributes: [
      { Name: "sub", Value: "00000000-0000-4000-8000-000000000000" },
      { Name: "email", Value: "config-check@example.com" },
    ],
  };
  try {
    connectorUser(JSON.stringify(sample), { rules, migratedDate: "2000-01-01T00:00:00.000Z" });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
