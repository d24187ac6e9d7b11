// The request flow: event → method → Authorization → body → Cognito → mapping → response.
// Every request ends in exactly one log line with a `reason`; nothing here throws.
import { isAuthorized } from "./auth.mjs";
import { BodyError, parseLoginRequest } from "./body.mjs";
import { login as cognitoLogin } from "./cognito.mjs";
import { normalizeEvent } from "./event.mjs";
import { log as defaultLog } from "./log.mjs";
import { mapUser } from "./mapping.mjs";

const JSON_HEADERS = { "content-type": "application/json" };
/** Login ids are logged (operators need them); a pathological one is cut. */
const MAX_LOGGED_LOGIN_ID = 256;

function respond(statusCode, body, headers = {}) {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

/** Replaces every occurrence of the given secrets in `text` (defence in depth for error messages). */
export function redact(text, secrets) {
  let out = String(text);
  for (const secret of secrets) {
    if (typeof secret === "string" && secret.length > 0) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/**
 * The Lambda handler for `config` (see config.mjs) and an SDK client. `login` and `map` are
 * replaceable for tests; `log` receives the one line per request.
 */
export function createHandler({ config, client, log = defaultLog, login = cognitoLogin, map = mapUser }) {
  return async function handler(event, context) {
    const started = performance.now();
    const base = { msg: "connector request" };
    if (typeof context?.awsRequestId === "string") base.requestId = context.awsRequestId;
    const secrets = [config.authorization];

    const finish = (level, status, reason, fields, body, headers) => {
      const line = { ...base, status, reason, ...fields, ms: Math.round((performance.now() - started) * 10) / 10 };
      if (typeof line.errorMessage === "string") line.errorMessage = redact(line.errorMessage, secrets);
      (log[level] ?? log.info)(line);
      return respond(status, body, headers);
    };

    try {
      let request;
      try {
        request = normalizeEvent(event);
      } catch (error) {
        return finish("warn", 400, "malformed-event", { detail: error.message }, { error: "not an HTTP event" });
      }
      base.source = request.source;

      if (request.method !== "POST") {
        return finish("warn", 405, "method-not-allowed", { method: request.method },
          { error: "only POST is allowed" }, { allow: "POST" });
      }

      const header = request.headers.authorization;
      if (!isAuthorized(header, config.authorization)) {
        return finish("warn", 401, "unauthorized",
          { detail: header === undefined ? "missing-authorization" : "wrong-authorization" },
          { error: "unauthorized" });
      }

      let credentials;
      try {
        credentials = parseLoginRequest(request.body);
      } catch (error) {
        if (!(error instanceof BodyError)) throw error;
        return finish("warn", 400, "malformed-body", { detail: error.code }, { error: error.message });
      }
      base.loginId = credentials.loginId.slice(0, MAX_LOGGED_LOGIN_ID);
      secrets.push(credentials.password);

      const result = await login(client, config, credentials.loginId, credentials.password);
      if (result.failure) {
        const { status, level, reason, ...fields } = result.failure;
        return finish(level, status, reason, fields);
      }

      let body;
      try {
        body = map(result.user, config.rules);
      } catch (error) {
        return finish("error", 500, "mapping-failed", { errorMessage: error?.message ?? String(error) });
      }
      return finish("info", 200, "success", { userId: body?.user?.id }, body);
    } catch (error) {
      // Unreachable by design; a crash would make FusionAuth see a 502 and lose the log line.
      return finish("error", 500, "internal-error", {
        errorName: error?.name ?? "Error", errorMessage: error?.message ?? String(error),
      });
    }
  };
}
