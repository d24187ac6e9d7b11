// The core's connector mapping: the same engine (and so the same id and fields) as the
// bulk converter, plus data.migratedFrom / data.migratedDate.
import { connectorUser } from "cognito-fusionauth";

/**
 * The Generic Connector body `{ user }` for a GetUser response (an object with `Username` and
 * `UserAttributes`). Throws the engine's Error when the rules reject the user.
 */
export function mapUser(getUserResponse, rules, migratedDate) {
  const options = migratedDate ? { rules, migratedDate } : { rules };
  return connectorUser(JSON.stringify(getUserResponse), options);
}
