// The request flow: event → method → Authorization → body → Cognito → mapping → response.
// Every request ends in exactly one log line with a `reason`; nothing here throws. The Cognito
// calls run under the request's deadline (deadline.mjs); the login id is logged masked.
import { isAuthorized } from "./auth.mjs";
import { BodyError, parseLoginRequest } from "./body.mjs";
import { challengedVerdict, protectedMfa, recordForMapping } from "./challenge.mjs";
import { login as cognitoLogin } from "./cognito.mjs";
import { deadlineFailure, requestBudget, withDeadline } from "./deadline.mjs";
import { normalizeEvent } from "./event.mjs";
import { log as defaultLog } from "./log.mjs";
import { mapUser } from "./mapping.mjs";
import { maskLoginId } from "./mask.mjs";

const JSON_HEADERS = { "content-type": "application/json" };
/** Shorter login ids are not redacted from error messages: "a" would eat every "a". */
const MIN_REDACTED_LOGIN_ID = 3;

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
    const budgetMs = requestBudget(context, config.readTimeoutMs);
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
        if (error.loginId !== undefined) base.loginId = maskLoginId(error.loginId);
        return finish("warn", 400, error.reason, { detail: error.code }, { error: error.message });
      }
      base.loginId = maskLoginId(credentials.loginId);
      secrets.push(credentials.password);
      if (credentials.loginId.length >= MIN_REDACTED_LOGIN_ID) secrets.push(credentials.loginId);

      const leftMs = budgetMs - (performance.now() - started);
      const budget = budgetMs === Infinity ? {} : { budgetMs: Math.round(budgetMs) };
      if (leftMs <= 0) return finish("error", 503, "deadline-exceeded", { stage: "before-cognito", ...budget });
      const trace = {};
      const { loginId, password, eventInfo } = credentials;
      const result = await withDeadline(
        leftMs,
        (abortSignal) => login(client, config, loginId, password, { abortSignal, trace, eventInfo, request }),
        () => ({ failure: deadlineFailure({ stage: trace.stage, ...budget }) }),
      );
      if (result.failure) {
        const { status, level, reason, ...fields } = result.failure;
        return finish(level, status, reason, fields);
      }

      // A challenged user is mapped with every MFA method Cognito protects them with, then
      // migrated as Cognito protects them or refused (challenge.mjs).
      const { challenge } = result;
      const methods = challenge ? protectedMfa(result.user, challenge) : [];
      let body;
      try {
        body = map(challenge ? recordForMapping(result.user, methods) : result.user, config.rules);
      } catch (error) {
        return finish("error", 500, "mapping-failed", { errorMessage: error?.message ?? String(error) });
      }
      let fields = {};
      if (challenge) {
        const verdict = challengedVerdict(body, {
          challenge, methods, totpUsers: config.totpUsers, carryMfa: config.rules?.settings?.carryMfa === true,
        });
        if (verdict.failure) {
          const { status, level, reason, ...refusal } = verdict.failure;
          return finish(level, status, reason, { userId: body?.user?.id, ...refusal });
        }
        ({ body, fields } = verdict);
      }
      return finish("info", 200, "success", { userId: body?.user?.id, ...fields }, body);
    } catch (error) {
      // Unreachable by design; a crash would make FusionAuth see a 502 and lose the log line.
      return finish("error", 500, "internal-error", {
        errorName: error?.name ?? "Error", errorMessage: error?.message ?? String(error),
      });
    }
  };
}
