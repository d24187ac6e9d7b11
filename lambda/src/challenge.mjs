// What a Cognito challenge proves, and what it asks of the migrated user.
//
// The connector only starts password flows (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH), and
// Cognito issues these challenges there only once the password is right (a wrong one is
// NotAuthorizedException): NEW_PASSWORD_REQUIRED, and the second factors SMS_MFA, EMAIL_OTP,
// SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE and MFA_SETUP. Nothing else proves the password: the choice
// of a first factor (SELECT_CHALLENGE), one-time codes as a first factor (SMS_OTP), custom
// challenges, SRP and device challenges, and names this code does not know.
//
// A challenged user is migrated as Cognito protects them, or refused: the forced password change
// is kept (passwordChangeRequired), SMS and email MFA must arrive in twoFactor.methods, and an
// authenticator app (TOTP), whose secret cannot leave Cognito, is refused unless TOTP_USERS=migrate.

/** The MFA methods a user can have in Cognito and FusionAuth's name for each, when it has one. */
const MFA_METHODS = { SMS_MFA: "sms", EMAIL_OTP: "email", SOFTWARE_TOKEN_MFA: undefined };

/** Challenges that prove the password, and what each asks for. */
const PROOF = {
  NEW_PASSWORD_REQUIRED: "new-password",
  SMS_MFA: "mfa",
  EMAIL_OTP: "mfa",
  SOFTWARE_TOKEN_MFA: "mfa",
  SELECT_MFA_TYPE: "mfa",
  MFA_SETUP: "mfa",
};

/** Challenges known not to prove the password (any other name is unknown). */
const NOT_PROOF = new Set([
  "SELECT_CHALLENGE", "SMS_OTP", "CUSTOM_CHALLENGE", "PASSWORD_VERIFIER", "PASSWORD", "PASSWORD_SRP",
  "DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER", "ADMIN_NO_SRP_AUTH", "WEB_AUTHN",
]);

/** Whether a challenge (by name) proves the password in a password flow. */
export function provesPassword(challengeName) {
  return Object.hasOwn(PROOF, challengeName);
}

/** Whether the challenge name is one Cognito documents (proving the password or not). */
export function isKnownChallenge(challengeName) {
  return provesPassword(challengeName) || NOT_PROOF.has(challengeName);
}

/**
 * The log reason for a challenge the connector does not migrate: without COGNITO_USER_POOL_ID,
 * every challenge; with it, those that do not prove the password (`challenge-required`).
 */
export function challengeReason(challengeName) {
  const kind = PROOF[challengeName];
  if (kind === "new-password") return "new-password-required";
  if (kind === "mfa") return "mfa-required";
  return "challenge-required";
}

/** The known MFA method names in a list, once each, in Cognito's order of MFA_METHODS. */
const knownMethods = (names) => Object.keys(MFA_METHODS).filter((m) => names.includes(m));

/**
 * The MFA methods the challenge shows Cognito protects the user with: the challenged method, or
 * for SELECT_MFA_TYPE every one the user may choose (MFAS_CAN_CHOOSE, a JSON array in a string).
 * MFA_SETUP and NEW_PASSWORD_REQUIRED show none.
 */
export function challengeMfa(challengeName, parameters = {}) {
  if (challengeName === "SELECT_MFA_TYPE") {
    try {
      const choices = JSON.parse(parameters?.MFAS_CAN_CHOOSE ?? "[]");
      return Array.isArray(choices) ? knownMethods(choices) : [];
    } catch {
      return [];
    }
  }
  return knownMethods([challengeName]);
}

/**
 * The MFA methods in an AdminGetUser record: UserMFASettingList, PreferredMfaSetting and the
 * deprecated MFAOptions (SMS, or EMAIL), read as the core reads them.
 */
export function recordMfa(record) {
  const names = [];
  if (Array.isArray(record?.UserMFASettingList)) names.push(...record.UserMFASettingList);
  if (typeof record?.PreferredMfaSetting === "string") names.push(record.PreferredMfaSetting);
  if (Array.isArray(record?.MFAOptions)) {
    for (const option of record.MFAOptions) names.push(option?.DeliveryMedium === "EMAIL" ? "EMAIL_OTP" : "SMS_MFA");
  }
  return knownMethods(names);
}

/**
 * The record the mapping reads for a challenged user: the AdminGetUser record, with the methods
 * the challenge showed added to its UserMFASettingList when it lacks them (a pool that requires
 * MFA challenges a user with a phone number by SMS without listing it), so the rules carry every
 * method Cognito protects the user with. `methods` are the user's methods (protectedMfa).
 */
export function recordForMapping(record, methods) {
  const listed = Array.isArray(record.UserMFASettingList) ? record.UserMFASettingList : [];
  const missing = methods.filter((m) => !listed.includes(m));
  return missing.length === 0 ? record : { ...record, UserMFASettingList: [...listed, ...missing] };
}

/** Every MFA method Cognito protects a challenged user with: the record's and the challenge's. */
export function protectedMfa(record, challenge) {
  return knownMethods([...recordMfa(record), ...challengeMfa(challenge.name, challenge.parameters)]);
}

/**
 * The verdict on a challenged user once mapped: `{ body, fields }` (the Connector body, with
 * `passwordChangeRequired` for NEW_PASSWORD_REQUIRED, and the fields for the log line) or
 * `{ failure }` (a 404 with its reason) when migrating would drop MFA Cognito enforces.
 * `methods` are the user's MFA methods (protectedMfa); `totpUsers` is "refuse" or "migrate";
 * `carryMfa` whether the rules carry MFA (for the refusal's detail).
 */
export function challengedVerdict(body, { challenge, methods, totpUsers, carryMfa }) {
  const fields = { challenge: challenge.name };
  if (methods.length > 0) fields.mfa = methods;
  const carried = (body.user?.twoFactor?.methods ?? []).map((m) => m?.method);
  const dropped = methods.filter((m) => MFA_METHODS[m] !== undefined && !carried.includes(MFA_METHODS[m]));
  if (dropped.length > 0) {
    const detail = carryMfa
      ? "the rules carried no method for it: SMS_MFA needs a verified phone_number, EMAIL_OTP a verified email"
      : "settings.carryMfa is off in the rules";
    return { failure: { status: 404, reason: "mfa-not-carried", level: "info", ...fields, notCarried: dropped, detail } };
  }
  if (methods.includes("SOFTWARE_TOKEN_MFA")) {
    if (totpUsers !== "migrate") {
      return {
        failure: {
          status: 404, reason: "mfa-authenticator-app", level: "info", ...fields,
          detail: "an authenticator app (TOTP) secret cannot leave Cognito; TOTP_USERS=migrate migrates such users without it",
        },
      };
    }
    fields.notCarried = ["SOFTWARE_TOKEN_MFA"];
    fields.detail = "authenticator app (TOTP) not carried (TOTP_USERS=migrate): the user enrols again in FusionAuth";
  }
  const user = { ...body.user };
  if (challenge.name === "NEW_PASSWORD_REQUIRED") {
    user.passwordChangeRequired = true;
    fields.passwordChangeRequired = true;
  }
  if (carried.length > 0) fields.twoFactor = carried;
  return { body: { ...body, user }, fields };
}

/**
 * What the connector does with challenged users under `config`, for the init log line: without
 * COGNITO_USER_POOL_ID, which users it refuses and how to migrate them; with it, what becomes of
 * forced password changes, SMS and email MFA (the rules' settings.carryMfa) and authenticator apps.
 */
export function challengePolicy(config) {
  if (!config.userPoolId) {
    return {
      migrated: false,
      refused: "users Cognito answers with a challenge (SMS, email or authenticator-app MFA, MFA setup, "
        + "NEW_PASSWORD_REQUIRED for a temporary password) get a 404",
      enable: "set COGNITO_USER_POOL_ID (the stack's CognitoUserPoolId), which lets the role call "
        + "cognito-idp:AdminInitiateAuth and cognito-idp:AdminGetUser on that pool",
    };
  }
  return {
    migrated: true,
    newPasswordRequired: "migrated with passwordChangeRequired",
    smsAndEmailMfa: config.rules?.settings?.carryMfa === true
      ? "migrated with the method in twoFactor.methods"
      : "refused: settings.carryMfa is off in the rules",
    authenticatorApp: config.totpUsers === "migrate"
      ? "migrated without a method (TOTP_USERS=migrate)"
      : "refused (TOTP_USERS=migrate migrates them without a method)",
  };
}
