// Events as the three HTTPS front doors deliver them (shapes from the API Gateway and Lambda
// developer guides), trimmed to what matters plus enough noise to look real.

import { readFileSync } from "node:fs";

/** The API Gateway test event from FusionAuth's Cognito migration guide, verbatim. */
export const GUIDE_EVENT = JSON.parse(readFileSync(new URL("../test/fixtures/guide-lambda-test-event.json", import.meta.url), "utf8"));

const encode = (body, base64) => (base64 ? Buffer.from(body, "utf8").toString("base64") : body);

/** API Gateway REST API, payload format 1.0 (header names as the client sent them). */
export function restEvent({ body, headers = {}, method = "POST", base64 = false, path = "/connector" }) {
  const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: { "Content-Type": "application/json", "User-Agent": "Java/17", ...headers },
    multiValueHeaders: { "Content-Type": ["application/json"], "User-Agent": ["Java/17"], ...multiValueHeaders },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: path, httpMethod: method, path: `/prod${path}`, stage: "prod",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", identity: { sourceIp: "203.0.113.7" },
    },
    body: body === undefined ? null : encode(body, base64),
    isBase64Encoded: base64,
  };
}

const lower = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

function v2Event({ body, headers, method, base64, path, domainName, routeKey }) {
  return {
    version: "2.0",
    routeKey,
    rawPath: path,
    rawQueryString: "",
    headers: { "content-type": "application/json", "user-agent": "Java/17", ...lower(headers) },
    requestContext: {
      accountId: "123456789012", apiId: domainName.split(".")[0], domainName, domainPrefix: domainName.split(".")[0],
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Java/17" },
      requestId: "JKJaXmPLvHcESHA=", routeKey, stage: "$default", time: "26/Nov/2026:13:00:00 +0000", timeEpoch: 1795698000000,
    },
    ...(body === undefined ? {} : { body: encode(body, base64) }),
    isBase64Encoded: base64,
  };
}

/** API Gateway HTTP API, payload format 2.0 (header names lower-cased by API Gateway). */
export function httpApiEvent({ body, headers = {}, method = "POST", base64 = false, path = "/" }) {
  return v2Event({
    body, headers, method, base64, path, domainName: "r3pmxmplak.execute-api.us-east-1.amazonaws.com", routeKey: `${method} ${path}`,
  });
}

/** Lambda Function URL (payload 2.0; text bodies of some content types arrive base64-encoded). */
export function functionUrlEvent({ body, headers = {}, method = "POST", base64 = true, path = "/" }) {
  return v2Event({
    body, headers, method, base64, path, domainName: "abcdefghijklmnop.lambda-url.us-east-1.on.aws", routeKey: "$default",
  });
}

export const loginBody = (loginId, password, extra = {}) => JSON.stringify({
  applicationId: "85a03867-dccf-4882-adde-1a79aeec50df",
  eventInfo: { deviceName: "Chrome on Linux", deviceType: "BROWSER", ipAddress: "203.0.113.7", userAgent: "Mozilla/5.0" },
  loginId,
  newDevice: false,
  noJWT: false,
  password,
  ...extra,
});
