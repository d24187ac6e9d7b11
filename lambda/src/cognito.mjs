// The password check against Cognito: InitiateAuth (USER_PASSWORD_AUTH), then GetUser with the
// access token. Nothing here needs IAM permissions (the role has no Cognito permission): both
// calls are authorised by the app client id and the user's own token.
import { createHmac } from "node:crypto";
import {
  CognitoIdentityProviderClient,
  GetUserCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { deadlineFailure } from "./deadline.mjs";

/**
 * Short timeouts: FusionAuth gives up after its read timeout (a few seconds at most) anyway.
 * throwOnRequestTimeout: without it the SDK only logs a warning and keeps waiting.
 */
export const CLIENT_TIMEOUTS = { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true };

/** The SDK client for the configured region (and endpoint, for tests or VPC endpoints). */
export function createCognitoClient(config) {
  return new CognitoIdentityProviderClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 2,
    requestHandler: CLIENT_TIMEOUTS,
  });
}

/** SECRET_HASH = Base64(HMAC-SHA256(clientSecret, username + clientId)). */
export function secretHash(username, clientId, clientSecret) {
  return createHmac("sha256", clientSecret).update(username + clientId).digest("base64");
}

const MFA_CHALLENGES = new Set([
  "SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP", "SMS_OTP", "MFA_SETUP", "SELECT_MFA_TYPE", "EMAIL_MFA",
]);

/** The log reason for a challenge InitiateAuth answered instead of tokens. */
export function challengeReason(challengeName) {
  if (challengeName === "NEW_PASSWORD_REQUIRED") return "new-password-required";
  if (MFA_CHALLENGES.has(challengeName)) return "mfa-required";
  return "challenge-required";
}

/**
 * Checks the password and fetches the profile. Resolves to `{ user }` (the GetUser response
 * without the SDK's $metadata) or `{ failure: { status, reason, level, ... } }`; never throws
 * for a Cognito or network error. `abortSignal` (the request's deadline) is handed to both
 * calls; `trace.stage` names the call in flight, for the log line of a request cut short.
 */
export async function login(client, config, loginId, password, { abortSignal, trace = {} } = {}) {
  const parameters = { USERNAME: loginId, PASSWORD: password };
  if (config.clientSecret) parameters.SECRET_HASH = secretHash(loginId, config.clientId, config.clientSecret);
  const options = abortSignal ? { abortSignal } : {};
  const failed = (error, stage) => (abortSignal?.aborted
    ? deadlineFailure({ stage })
    : classifyError(error, stage));

  let auth;
  try {
    trace.stage = "InitiateAuth";
    auth = await client.send(new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: config.clientId,
      AuthParameters: parameters,
    }), options);
  } catch (error) {
    return { failure: failed(error, "InitiateAuth") };
  }

  const accessToken = auth.AuthenticationResult?.AccessToken;
  if (!accessToken) {
    // The password was right, but Cognito wants more (a new password, an MFA code). Without
    // tokens there is no GetUser, and the role may not call AdminGetUser: FusionAuth gets a 404.
    const challenge = typeof auth.ChallengeName === "string" ? auth.ChallengeName : "none";
    return { failure: { status: 404, reason: challengeReason(challenge), level: "info", challenge } };
  }

  try {
    trace.stage = "GetUser";
    const { $metadata, ...user } = await client.send(new GetUserCommand({ AccessToken: accessToken }), options);
    return { user };
  } catch (error) {
    return { failure: failed(error, "GetUser") };
  }
}

const USER_REASONS = {
  UserNotFoundException: "user-not-found",
  UserNotConfirmedException: "user-not-confirmed",
  PasswordResetRequiredException: "password-reset-required",
  UserLambdaValidationException: "lambda-trigger-rejected",
};
const THROTTLED = new Set(["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]);
const MISCONFIGURED = new Set([
  "ResourceNotFoundException", "InvalidParameterException", "InvalidUserPoolConfigurationException",
  "InvalidLambdaResponseException", "UnexpectedLambdaException", "InvalidSmsRoleAccessPolicyException",
  "InvalidSmsRoleTrustRelationshipException", "InvalidEmailRoleAccessPolicyException",
]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/**
 * `{ status, reason, level, stage, errorName, errorMessage }` for an error a Cognito call threw.
 * User-level refusals are 404 (what FusionAuth expects); throttling and outages 503 and
 * configuration mistakes 500, both logged as errors. FusionAuth treats every non-200 as a 404.
 */
export function classifyError(error, stage) {
  const errorName = typeof error?.name === "string" ? error.name : "Error";
  const errorMessage = typeof error?.message === "string" ? error.message : String(error);
  const base = { stage, errorName, errorMessage };

  if (errorName === "NotAuthorizedException") {
    if (/secret hash/i.test(errorMessage)) return { status: 500, reason: "cognito-misconfigured", level: "error", ...base };
    if (/disabled/i.test(errorMessage)) return { status: 404, reason: "user-disabled", level: "info", ...base };
    if (stage === "GetUser") return { status: 404, reason: "get-user-rejected", level: "warn", ...base };
    return { status: 404, reason: "incorrect-username-or-password", level: "info", ...base };
  }
  if (USER_REASONS[errorName]) return { status: 404, reason: USER_REASONS[errorName], level: "info", ...base };
  if (THROTTLED.has(errorName)) return { status: 503, reason: "cognito-throttled", level: "error", ...base };
  if (MISCONFIGURED.has(errorName)) return { status: 500, reason: "cognito-misconfigured", level: "error", ...base };
  const httpStatus = error?.$metadata?.httpStatusCode;
  if (error?.$fault === "server" || (typeof httpStatus === "number" && httpStatus >= 500)
    || NETWORK_CODES.has(error?.code) || errorName === "TimeoutError" || errorName === "AbortError"
    || (error?.$metadata !== undefined && httpStatus === undefined)) {
    return { status: 503, reason: "cognito-unavailable", level: "error", ...base };
  }
  return { status: 500, reason: "cognito-error", level: "error", ...base };
}
