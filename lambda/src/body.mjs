// The Generic Connector request body: FusionAuth's LoginRequest
// ({applicationId, loginId, password, eventInfo, ...}). Only loginId and password are used.

/** Bodies beyond this are not login requests (a LoginRequest is well under 2 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

export class BodyError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "BodyError";
    this.code = code;
  }
}

/** `{ loginId, password }` from the body text; throws a BodyError (code = log reason detail). */
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
  if (typeof password !== "string" || password === "") {
    throw new BodyError("missing-password", "password must be a non-empty string");
  }
  return { loginId, password };
}
