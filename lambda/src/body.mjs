// The Generic Connector request body: FusionAuth's LoginRequest
// ({applicationId, loginId, password, eventInfo, ...}). The connector uses loginId, password and
// the person's address and user agent from eventInfo (for Cognito's threat protection).
import { isIP } from "node:net";

/** Bodies beyond this are not login requests (a LoginRequest is well under 2 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * Longer login ids are refused before Cognito is called. Real ones are shorter: a Cognito
 * username has at most 128 characters, an email address at most 254 (RFC 5321).
 */
export const MAX_LOGIN_ID_LENGTH = 256;
/** Longer passwords are refused too: Cognito's own limit is 256 characters. */
export const MAX_PASSWORD_LENGTH = 1024;
/** A longer user agent is not passed on to Cognito (real ones are a few hundred characters). */
export const MAX_USER_AGENT_LENGTH = 1024;

/**
 * A body the connector refuses. `code` is the log line's `detail`, `reason` its `reason`
 * (`malformed-body`, or `input-too-long` for a loginId or password over its cap) and `loginId`
 * the login id when the body had a usable one.
 */
export class BodyError extends Error {
  constructor(code, message, { reason = "malformed-body", loginId } = {}) {
    super(message);
    this.name = "BodyError";
    this.code = code;
    this.reason = reason;
    if (loginId !== undefined) this.loginId = loginId;
  }
}

/**
 * `{ loginId, password, eventInfo }` from the body text; throws a BodyError (see there).
 * `eventInfo` holds what of FusionAuth's eventInfo is usable, never more: `ipAddress` (an IPv4
 * or IPv6 address; the deprecated top-level `ipAddress` when eventInfo has none) and
 * `userAgent`. Anything else there, or a value that is not usable, is left out, never refused.
 */
export function parseLoginRequest(text) {
  if (typeof text !== "string" || text.trim() === "") throw new BodyError("empty-body", "the body is empty");
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) {
    throw new BodyError("body-too-large", `the body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  let request;
  try {
    request = JSON.parse(text);
  } catch {
    // The parser's message may quote the body, password included: not repeated here.
    throw new BodyError("invalid-json", "the body is not valid JSON");
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    throw new BodyError("not-an-object", "the body is not a JSON object");
  }
  const { loginId, password } = request;
  if (typeof loginId !== "string" || loginId.trim() === "") {
    throw new BodyError("missing-login-id", "loginId must be a non-empty string");
  }
  if (loginId.length > MAX_LOGIN_ID_LENGTH) {
    throw new BodyError("login-id-too-long", `loginId is longer than ${MAX_LOGIN_ID_LENGTH} characters`,
      { reason: "input-too-long", loginId });
  }
  if (typeof password !== "string" || password === "") {
    throw new BodyError("missing-password", "password must be a non-empty string", { loginId });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new BodyError("password-too-long", `password is longer than ${MAX_PASSWORD_LENGTH} characters`,
      { reason: "input-too-long", loginId });
  }
  return { loginId, password, eventInfo: eventInfoOf(request) };
}

/** The person's IP address and user agent as FusionAuth saw them, when usable. */
function eventInfoOf(request) {
  const info = request.eventInfo !== null && typeof request.eventInfo === "object" ? request.eventInfo : {};
  const out = {};
  const ip = [info.ipAddress, request.ipAddress].find((v) => typeof v === "string" && isIP(v.trim()) !== 0);
  if (ip !== undefined) out.ipAddress = ip.trim();
  const agent = typeof info.userAgent === "string" ? info.userAgent.trim() : "";
  if (agent !== "" && agent.length <= MAX_USER_AGENT_LENGTH) out.userAgent = agent;
  return out;
}
