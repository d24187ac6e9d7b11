// One request shape for the three ways an HTTPS call reaches the function:
// - API Gateway REST API (payload 1.0): httpMethod, path, headers (+ multiValueHeaders);
// - API Gateway HTTP API (payload 2.0) and Lambda Function URLs: version "2.0",
//   requestContext.http.method, rawPath, lower-case headers (repeated ones joined by commas).
// Either may carry a base64 body (isBase64Encoded).

export class EventError extends Error {
  constructor(message) {
    super(message);
    this.name = "EventError";
  }
}

/**
 * `{ method, path, host, headers, body, source }` for an API Gateway v1/v2 or Function URL
 * event. Header names are lower-cased; `host` is the name the request was sent to (its Host
 * header, else the event's domain name; "" when neither is known); `body` is the decoded text
 * ("" when absent). Throws an EventError when the event is not an HTTP event at all.
 */
export function normalizeEvent(event) {
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new EventError("the event is not an object");
  }
  const http = event.requestContext?.http;
  let method;
  let path;
  let source;
  if (event.version === "2.0" || (http && typeof http === "object")) {
    method = http?.method;
    path = event.rawPath ?? http?.path;
    source = isFunctionUrl(event) ? "function-url" : "http-api";
  } else {
    method = event.httpMethod;
    path = event.path;
    source = "rest-api";
  }
  if (typeof method !== "string" || method === "") {
    throw new EventError("the event has no HTTP method (not an API Gateway or Function URL event)");
  }
  const headers = lowerCaseHeaders(event.headers, event.multiValueHeaders);
  const domain = event.requestContext?.domainName;
  return {
    method: method.toUpperCase(),
    path: typeof path === "string" ? path : "/",
    host: headers.host ?? (typeof domain === "string" ? domain : ""),
    headers,
    body: decodeBody(event.body, event.isBase64Encoded),
    source,
  };
}

function isFunctionUrl(event) {
  const domain = event.requestContext?.domainName;
  return typeof domain === "string" && domain.includes(".lambda-url.");
}

/** Header names lower-cased. With both maps (REST API), `headers` wins: it holds the last value. */
export function lowerCaseHeaders(headers, multiValueHeaders) {
  const out = {};
  if (multiValueHeaders && typeof multiValueHeaders === "object") {
    for (const [name, values] of Object.entries(multiValueHeaders)) {
      if (Array.isArray(values) && values.length > 0 && typeof values.at(-1) === "string") {
        out[name.toLowerCase()] = values.at(-1);
      }
    }
  }
  if (headers && typeof headers === "object") {
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === "string") out[name.toLowerCase()] = value;
    }
  }
  return out;
}

/** The body as text: base64-decoded when the event says so. */
export function decodeBody(body, isBase64Encoded) {
  if (body === undefined || body === null) return "";
  if (typeof body !== "string") throw new EventError("the event body is not a string");
  if (isBase64Encoded === true || isBase64Encoded === "true") {
    return Buffer.from(body, "base64").toString("utf8");
  }
  return body;
}
