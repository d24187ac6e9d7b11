// The Import API and Link API types of @fusionauth/typescript-client 1.69.0
// (src/FusionAuthClient.ts @23afcd2), copied verbatim. Only change: EventInfo.location,
// whose `Location` type is not reproduced here, is typed as an open record.
export type UUID = string;



export interface ImportRequest extends BaseEventRequest {
  encryptionScheme?: string;
  factor?: number;
  users?: Array<User>;
  validateDbConstraints?: boolean;
}

export interface BaseEventRequest {
  eventInfo?: EventInfo;
}

export interface EventInfo {
  data?: Record<string, any>;
  deviceDescription?: string;
  deviceName?: string;
  deviceType?: string;
  ipAddress?: string;
  location?: Record<string, any>;
  os?: string;
  userAgent?: string;
}

export interface User extends SecureIdentity {
  active?: boolean;
  birthDate?: string;
  cleanSpeakId?: UUID;
  data?: Record<string, any>;
  email?: string;
  expiry?: number;
  firstName?: string;
  fullName?: string;
  imageUrl?: string;
  insertInstant?: number;
  lastName?: string;
  lastUpdateInstant?: number;
  legacyIdentifier?: string;
  memberships?: Array<GroupMember>;
  middleName?: string;
  mobilePhone?: string;
  parentEmail?: string;
  phoneNumber?: string;
  preferredLanguages?: Array<string>;
  registrations?: Array<UserRegistration>;
  tenantId?: UUID;
  timezone?: string;
  twoFactor?: UserTwoFactorConfiguration;
}

export interface SecureIdentity {
  breachedPasswordLastCheckedInstant?: number;
  breachedPasswordStatus?: BreachedPasswordStatus;
  connectorId?: UUID;
  encryptionScheme?: string;
  factor?: number;
  id?: UUID;
  identities?: Array<UserIdentity>;
  lastLoginInstant?: number;
  password?: string;
  passwordChangeReason?: ChangePasswordReason;
  passwordChangeRequired?: boolean;
  passwordLastUpdateInstant?: number;
  salt?: string;
  uniqueUsername?: string;
  username?: string;
  usernameStatus?: ContentStatus;
  verified?: boolean;
  verifiedInstant?: number;
}

export interface UserIdentity {
  displayValue?: string;
  insertInstant?: number;
  lastLoginInstant?: number;
  lastUpdateInstant?: number;
  moderationStatus?: ContentStatus;
  primary?: boolean;
  type?: IdentityType;
  value?: string;
  verified?: boolean;
  verifiedInstant?: number;
  verifiedReason?: IdentityVerifiedReason;
}

export interface IdentityType {
  name?: string;
}

export enum IdentityVerifiedReason {
  Skipped = "Skipped",
  Trusted = "Trusted",
  Unverifiable = "Unverifiable",
  Implicit = "Implicit",
  Pending = "Pending",
  Completed = "Completed",
  Disabled = "Disabled",
  Administrative = "Administrative",
  Import = "Import"
}

export interface UserRegistration {
  applicationId?: UUID;
  authenticationToken?: string;
  cleanSpeakId?: UUID;
  data?: Record<string, any>;
  id?: UUID;
  insertInstant?: number;
  lastLoginInstant?: number;
  lastUpdateInstant?: number;
  preferredLanguages?: Array<string>;
  roles?: Array<string>;
  timezone?: string;
  tokens?: Record<string, string>;
  username?: string;
  usernameStatus?: ContentStatus;
  verified?: boolean;
  verifiedInstant?: number;
}

export interface GroupMember {
  data?: Record<string, any>;
  groupId?: UUID;
  id?: UUID;
  insertInstant?: number;
  userId?: UUID;
}

export interface UserTwoFactorConfiguration {
  methods?: Array<TwoFactorMethod>;
  recoveryCodes?: Array<string>;
}

export interface TwoFactorMethod {
  authenticator?: AuthenticatorConfiguration;
  email?: string;
  id?: string;
  lastUsed?: boolean;
  method?: string;
  mobilePhone?: string;
  name?: string;
  secret?: string;
}

export interface AuthenticatorConfiguration {
  algorithm?: TOTPAlgorithm;
  codeLength?: number;
  timeStep?: number;
}

export enum TOTPAlgorithm {
  HmacSHA1 = "HmacSHA1",
  HmacSHA256 = "HmacSHA256",
  HmacSHA512 = "HmacSHA512"
}

export enum ContentStatus {
  ACTIVE = "ACTIVE",
  PENDING = "PENDING",
  REJECTED = "REJECTED"
}

export enum ChangePasswordReason {
  Administrative = "Administrative",
  Breached = "Breached",
  Expired = "Expired",
  Validation = "Validation"
}

export enum BreachedPasswordStatus {
  None = "None",
  ExactMatch = "ExactMatch",
  SubAddressMatch = "SubAddressMatch",
  PasswordOnly = "PasswordOnly",
  CommonPassword = "CommonPassword"
}

export interface Errors {
  fieldErrors?: Record<string, Array<Error>>;
  generalErrors?: Array<Error>;
}

export interface Error {
  code?: string;
  data?: Record<string, any>;
  message?: string;
}

export interface IdentityProviderLinkRequest extends BaseEventRequest {
  identityProviderLink?: IdentityProviderLink;
  pendingIdPLinkId?: string;
}

export interface IdentityProviderLink {
  data?: Record<string, any>;
  displayName?: string;
  identityProviderId?: UUID;
  identityProviderName?: string;
  identityProviderType?: IdentityProviderType;
  identityProviderUserId?: string;
  insertInstant?: number;
  lastLoginInstant?: number;
  tenantId?: UUID;
  token?: string;
  userId?: UUID;
}

export enum IdentityProviderType {
  Apple = "Apple",
  EpicGames = "EpicGames",
  ExternalJWT = "ExternalJWT",
  Facebook = "Facebook",
  Google = "Google",
  HYPR = "HYPR",
  LinkedIn = "LinkedIn",
  Nintendo = "Nintendo",
  OpenIDConnect = "OpenIDConnect",
  SAMLv2 = "SAMLv2",
  SAMLv2IdPInitiated = "SAMLv2IdPInitiated",
  SonyPSN = "SonyPSN",
  Steam = "Steam",
  Twitch = "Twitch",
  Twitter = "Twitter",
  Xbox = "Xbox"
}
