// The test pool in moto: custom attributes, an app client without a secret that allows
// USER_PASSWORD_AUTH and ADMIN_USER_PASSWORD_AUTH, and one user per state the connector must handle.
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminResetUserPasswordCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserPasswordCommand,
  AssociateSoftwareTokenCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
  VerifySoftwareTokenCommand,
} from "@aws-sdk/client-cognito-identity-provider";

export const PASSWORD = "Correct-Horse-9!";
export const TEMPORARY_PASSWORD = "Temporary-Pass-7!";

const attributes = (record) => Object.entries(record).map(([Name, Value]) => ({ Name, Value }));

/** Every standard attribute the default rules map, plus custom ones and a few they don't. */
export const ALICE_ATTRIBUTES = {
  email: "alice@example.com",
  email_verified: "true",
  given_name: "Alice",
  middle_name: "Pleasance",
  family_name: "Liddell",
  name: "Alice Pleasance Liddell",
  phone_number: "+14325551212",
  phone_number_verified: "true",
  birthdate: "1852-05-04",
  picture: "https://example.com/alice.png",
  zoneinfo: "Europe/London",
  locale: "en-GB",
  website: "https://alice.example.com",
  nickname: "Ali",
  preferred_username: "alice_l",
  gender: "female",
  address: "1 Rabbit Hole, Oxford",
  updated_at: "1700000000",
  "custom:department": "Research",
  "custom:employee_id": "42",
};

const POOL_SCHEMA = [
  { Name: "department", AttributeDataType: "String", Mutable: true },
  { Name: "employee_id", AttributeDataType: "Number", Mutable: true },
];

async function createUser(admin, poolId, username, userAttributes, { password = PASSWORD, permanent = true } = {}) {
  await admin.send(new AdminCreateUserCommand({
    UserPoolId: poolId,
    Username: username,
    UserAttributes: attributes(userAttributes),
    TemporaryPassword: TEMPORARY_PASSWORD,
    MessageAction: "SUPPRESS",
  }));
  if (permanent) {
    await admin.send(new AdminSetUserPasswordCommand({
      UserPoolId: poolId, Username: username, Password: password, Permanent: true,
    }));
  }
}

/**
 * Enrols an authenticator app for a CONFIRMED user and makes it the preferred MFA, as a person
 * would: sign in, AssociateSoftwareToken, VerifySoftwareToken (moto takes any code unless told to
 * check them), then the MFA preference.
 */
async function enrolAuthenticator(admin, poolId, clientId, username) {
  const { AuthenticationResult } = await admin.send(new InitiateAuthCommand({
    AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD },
  }));
  const token = AuthenticationResult.AccessToken;
  await admin.send(new AssociateSoftwareTokenCommand({ AccessToken: token }));
  await admin.send(new VerifySoftwareTokenCommand({ AccessToken: token, UserCode: "123456", FriendlyDeviceName: "phone" }));
  await admin.send(new AdminSetUserMFAPreferenceCommand({
    UserPoolId: poolId, Username: username, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  }));
}

/** Makes SMS the user's preferred MFA. */
async function preferSms(admin, poolId, username) {
  await admin.send(new AdminSetUserMFAPreferenceCommand({
    UserPoolId: poolId, Username: username, SMSMfaSettings: { Enabled: true, PreferredMfa: true },
  }));
}

/**
 * A pool with: alice (CONFIRMED, all attributes), frank (FORCE_CHANGE_PASSWORD), ursula
 * (UNCONFIRMED, via SignUp), dave (CONFIRMED then disabled), rita (RESET_REQUIRED), milo
 * (CONFIRMED, SMS MFA preferred, phone verified), penny (SMS MFA preferred, phone not verified),
 * tina (an authenticator app, TOTP, preferred). Resolves to `{ poolId, clientId }`.
 */
export async function createFixturePool(admin, name = "connector-test") {
  const { UserPool } = await admin.send(new CreateUserPoolCommand({
    PoolName: name,
    Schema: POOL_SCHEMA,
    MfaConfiguration: "OPTIONAL",
  }));
  const poolId = UserPool.Id;
  const { UserPoolClient } = await admin.send(new CreateUserPoolClientCommand({
    UserPoolId: poolId,
    ClientName: "fusionauth-connector",
    GenerateSecret: false,
    ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  }));
  const clientId = UserPoolClient.ClientId;

  await createUser(admin, poolId, "alice", ALICE_ATTRIBUTES);
  await createUser(admin, poolId, "frank", { email: "frank@example.com", email_verified: "true" }, { permanent: false });
  await admin.send(new SignUpCommand({
    ClientId: clientId, Username: "ursula", Password: PASSWORD,
    UserAttributes: attributes({ email: "ursula@example.com" }),
  }));
  await createUser(admin, poolId, "dave", { email: "dave@example.com", email_verified: "true" });
  await admin.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: "dave" }));
  await createUser(admin, poolId, "rita", { email: "rita@example.com", email_verified: "true" });
  await admin.send(new AdminResetUserPasswordCommand({ UserPoolId: poolId, Username: "rita" }));
  await createUser(admin, poolId, "milo", {
    email: "milo@example.com", email_verified: "true", phone_number: "+14325550000", phone_number_verified: "true",
  });
  await preferSms(admin, poolId, "milo");
  await createUser(admin, poolId, "penny", {
    email: "penny@example.com", email_verified: "true", phone_number: "+14325550001", phone_number_verified: "false",
  });
  await preferSms(admin, poolId, "penny");
  await createUser(admin, poolId, "tina", { email: "tina@example.com", email_verified: "true" });
  await enrolAuthenticator(admin, poolId, clientId, "tina");
  return { poolId, clientId };
}

/** A pool whose users sign in with their email (UsernameAttributes): Username is the sub. */
export async function createEmailPool(admin) {
  const { UserPool } = await admin.send(new CreateUserPoolCommand({
    PoolName: "connector-email-login",
    UsernameAttributes: ["email"],
  }));
  const poolId = UserPool.Id;
  const { UserPoolClient } = await admin.send(new CreateUserPoolClientCommand({
    UserPoolId: poolId, ClientName: "fusionauth-connector", ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH"],
  }));
  await createUser(admin, poolId, "emma@example.com", { email_verified: "true", given_name: "Emma" });
  return { poolId, clientId: UserPoolClient.ClientId };
}

/** user1 / Password#1, the user of the guide's API Gateway test event. */
export async function addGuideUser(admin, poolId) {
  await createUser(admin, poolId, "user1", { email: "user1@example.com", email_verified: "true" }, { password: "Password#1" });
}
