// The password check against Cognito, in one of two flows:
// - without COGNITO_USER_POOL_ID: InitiateAuth (USER_PASSWORD_AUTH), then GetUser with the
//   access token. Neither call needs an IAM permission (the app client id and the user's own
//   token authorise them), and a challenge instead of tokens is a 404;
// - with it: AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH, with the person's address and user
//   agent as ContextData), then AdminGetUser. Both are IAM calls on that one pool. A challenge
//   that proves the password (challenge.mjs) is followed by AdminGetUser too, so challenged users
//   migrate.
import { createHmac } from "node:crypto";
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  CognitoIdentityProviderClient,
  GetUserCommand,
  InitiateAuthCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { challengeReason, isKnownChallenge, provesPassword } from "./challenge.mjs";
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

/**
 * The ContextData of AdminInitiateAuth for Cognito's threat protection: the person's IP address
 * and user agent (FusionAuth's eventInfo), and this endpoint's host and path. Undefined without
 * an address (Cognito requires one there).
 */
export function contextData(eventInfo, request = {}) {
  if (!eventInfo?.ipAddress) return undefined;
  return {
    IpAddress: eventInfo.ipAddress,
    ServerName: request.host ?? "",
    ServerPath: request.path ?? "/",
    HttpHeaders: eventInfo.userAgent ? [{ headerName: "User-Agent", headerValue: eventInfo.userAgent }] : [],
  };
}

/**
 * Checks the password and fetches the profile, in the flow `config` selects (see above).
 * Resolves to `{ user }` (the GetUser or AdminGetUser response without the SDK's $metadata),
 * with `challenge: { name, parameters }` when Cognito answered with a challenge that proves the
 * password, or to `{ failure: { status, reason, level, ... } }`; never throws for a Cognito or
 * network error. `abortSignal` (the request's deadline) is handed to every call; `trace.stage`
 * names the call in flight, for the log line of a request cut short. `eventInfo` and `request`
 * (the normalised event) feed the admin flow's ContextData.
 */
export async function login(client, config, loginId, password, { abortSignal, trace = {}, eventInfo, request } = {}) {
  const parameters = { USERNAME: loginId, PASSWORD: password };
  if (config.clientSecret) parameters.SECRET_HASH = secretHash(loginId, config.clientId, config.clientSecret);
  const options = abortSignal ? { abortSignal } : {};
  /** Sends one command; `{ result }` or `{ failure }`. */
  const call = async (stage, command) => {
    trace.stage = stage;
    try {
      const { $metadata, ...result } = await client.send(command, options);
      return { result };
    } catch (error) {
      return { failure: abortSignal?.aborted ? deadlineFailure({ stage }) : classifyError(error, stage) };
    }
  };
  return config.userPoolId
    ? adminLogin(call, config, loginId, parameters, contextData(eventInfo, request))
    : clientLogin(call, config, parameters);
}

/** InitiateAuth, then GetUser; any challenge is a 404. */
async function clientLogin(call, config, parameters) {
  const auth = await call("InitiateAuth", new InitiateAuthCommand({
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: config.clientId, AuthParameters: parameters,
  }));
  if (auth.failure) return auth;
  const accessToken = auth.result.AuthenticationResult?.AccessToken;
  if (!accessToken) {
    // The password may be right, but Cognito wants more (a new password, an MFA code). Without
    // tokens there is no GetUser, and without COGNITO_USER_POOL_ID no AdminGetUser: a 404.
    const challenge = typeof auth.result.ChallengeName === "string" ? auth.result.ChallengeName : "none";
    return { failure: { status: 404, reason: challengeReason(challenge), level: "info", challenge } };
  }
  const profile = await call("GetUser", new GetUserCommand({ AccessToken: accessToken }));
  return profile.failure ? profile : { user: profile.result };
}

/**
 * AdminInitiateAuth, then AdminGetUser for tokens and for a challenge that proves the password.
 * A challenge that does not is a 404 (`challenge-required`, at warn level for an unknown name).
 * The record's state is checked again, as Cognito would have refused the login (moto does not
 * always): disabled, UNCONFIRMED and RESET_REQUIRED users are 404s.
 */
async function adminLogin(call, config, loginId, parameters, context) {
  const auth = await call("AdminInitiateAuth", new AdminInitiateAuthCommand({
    UserPoolId: config.userPoolId,
    ClientId: config.clientId,
    AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
    AuthParameters: parameters,
    ...(context ? { ContextData: context } : {}),
  }));
  if (auth.failure) return auth;
  let challenge;
  if (!auth.result.AuthenticationResult?.AccessToken) {
    const name = typeof auth.result.ChallengeName === "string" ? auth.result.ChallengeName : "none";
    if (!provesPassword(name)) {
      return { failure: { status: 404, reason: "challenge-required", level: isKnownChallenge(name) ? "info" : "warn", challenge: name } };
    }
    const raw = auth.result.ChallengeParameters;
    challenge = { name, parameters: raw !== null && typeof raw === "object" ? raw : {} };
  }
  // A challenge names the user as Cognito knows them; the login id may be an alias.
  const named = [challenge?.parameters.USER_ID_FOR_SRP, challenge?.parameters.USERNAME].find((v) => typeof v === "string" && v !== "");
  const profile = await call("AdminGetUser", new AdminGetUserCommand({ UserPoolId: config.userPoolId, Username: named ?? loginId }));
  if (profile.failure) return profile;
  const refused = recordRefusal(profile.result);
  if (refused) return { failure: { status: 404, level: "info", stage: "AdminGetUser", ...refused, ...(challenge ? { challenge: challenge.name } : {}) } };
  return challenge ? { user: profile.result, challenge } : { user: profile.result };
}

/** States in which Cognito refuses a password login, by AdminGetUser's UserStatus. */
const REFUSED_STATUS = { UNCONFIRMED: "user-not-confirmed", RESET_REQUIRED: "password-reset-required" };

/** `{ reason, userStatus? }` when an AdminGetUser record is of a user Cognito would not sign in. */
function recordRefusal(record) {
  if (record.Enabled === false) return { reason: "user-disabled" };
  const status = record.UserStatus;
  return Object.hasOwn(REFUSED_STATUS, status) ? { reason: REFUSED_STATUS[status], userStatus: status } : undefined;
}

const USER_REASONS = {
  UserNotFoundException: "user-not-found",
  UserNotConfirmedException: "user-not-confirmed",
  PasswordResetRequiredException: "password-reset-required",
  UserLambdaValidationException: "lambda-trigger-rejected",
};
const THROTTLED = new Set(["TooManyRequestsException", "LimitExceededException", "ThrottlingException"]);
const MISCONFIGURED = new Set([
  "AccessDeniedException", "ResourceNotFoundException", "InvalidParameterException", "InvalidUserPoolConfigurationException",
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
