// Configuration from environment variables, checked once at init. Every problem is collected so
// one log line names all of them.
import { connectorUser, defaultRules } from "cognito-fusionauth";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_SECRET_LENGTH = 16;

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
 * The connector's settings from `env` (process.env). Throws a ConfigError naming every missing
 * or invalid variable. The returned `rules` are the mapping rules with the tenant and the
 * application registration applied, already checked by mapping a sample user.
 */
export function loadConfig(env) {
  const problems = [];
  const clientId = setting(env, "COGNITO_CLIENT_ID");
  if (!clientId) problems.push("COGNITO_CLIENT_ID is required (the Cognito app client id)");

  const region = setting(env, "COGNITO_REGION") ?? setting(env, "AWS_REGION");
  if (!region) problems.push("COGNITO_REGION is required when AWS_REGION is not set");

  // Not trimmed: the header must match byte for byte.
  const authorization = env.CONNECTOR_AUTHORIZATION;
  if (typeof authorization !== "string" || authorization === "") {
    problems.push("CONNECTOR_AUTHORIZATION is required (the Authorization header FusionAuth sends)");
  } else if (authorization.length < MIN_SECRET_LENGTH) {
    problems.push(`CONNECTOR_AUTHORIZATION must be at least ${MIN_SECRET_LENGTH} characters`);
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

  const clientSecret = setting(env, "COGNITO_CLIENT_SECRET");

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
  return { clientId, region, authorization, applicationId, tenantId, endpoint, clientSecret, rules };
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
