//! FusionAuth's user as the rules produce it and every later stage reads it: the import user
//! (with its data, registrations, memberships and MFA methods), link requests, and its JSON. A
//! leaf of the data path: it depends on no stage.
//! Field names and types follow `ImportRequest`, `User`, `UserRegistration`, `GroupMember` and
//! `IdentityProviderLinkRequest` of `@fusionauth/typescript-client` 1.69.

mod ascii;
mod data;
mod user_json;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

pub(crate) use ascii::ascii_json;
pub use data::{Data, DataValue};
pub(crate) use user_json::write_user;

/// One user of an Import API request (`users[x]`), or of a Connector response. Text borrows
/// from the export and the rules where it can (`'a`); [`into_owned`](Self::into_owned) frees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // the fields are FusionAuth's, documented there
pub struct ImportUser<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_email: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_languages: Vec<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_change_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registrations: Vec<UserRegistration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<GroupMember>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<TwoFactor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Data::is_empty")]
    pub data: Data<'a>,
}

impl<'a> ImportUser<'a> {
    /// The identifier the user logs in with and resets the password by: email, else username,
    /// else phone number.
    pub fn login_id(&self) -> Option<&str> {
        self.email
            .as_deref()
            .or(self.username.as_deref())
            .or(self.phone_number.as_deref())
    }

    /// `data.cognito`, created when missing (a value there that is not an object is replaced).
    pub(crate) fn cognito_data(&mut self) -> &mut Data<'a> {
        data_object(&mut self.data, "cognito")
    }

    /// The same user, owning all its text.
    pub fn into_owned(self) -> ImportUser<'static> {
        let owned = |text: Option<Cow<'_, str>>| text.map(|t| Cow::Owned(t.into_owned()));
        ImportUser {
            id: owned(self.id),
            tenant_id: owned(self.tenant_id),
            username: owned(self.username),
            email: owned(self.email),
            phone_number: owned(self.phone_number),
            mobile_phone: owned(self.mobile_phone),
            first_name: owned(self.first_name),
            middle_name: owned(self.middle_name),
            last_name: owned(self.last_name),
            full_name: owned(self.full_name),
            birth_date: owned(self.birth_date),
            image_url: owned(self.image_url),
            timezone: owned(self.timezone),
            parent_email: owned(self.parent_email),
            preferred_languages: self
                .preferred_languages
                .into_iter()
                .map(|l| Cow::Owned(l.into_owned()))
                .collect(),
            active: self.active,
            verified: self.verified,
            password_change_required: self.password_change_required,
            insert_instant: self.insert_instant,
            verified_instant: self.verified_instant,
            expiry: self.expiry,
            registrations: self.registrations,
            memberships: self.memberships,
            two_factor: self.two_factor,
            password: self.password,
            encryption_scheme: self.encryption_scheme,
            factor: self.factor,
            salt: self.salt,
            data: data::owned_data(self.data),
        }
    }
}

/// The key under `user.data` where `push` writes its run's marker (see the delivery module).
pub const RUN_MARKER: &str = "cognitoFusionauthRun";

/// Top-level keys of `user.data` the converter or `push` writes itself (and `email`, which
/// FusionAuth would take as the login email): an attribute never lands there.
pub(crate) const RESERVED_DATA_KEYS: [&str; 7] = [
    "cognito",
    "unmapped",
    "importSource",
    "migratedFrom",
    "migratedDate",
    "email",
    RUN_MARKER,
];

/// Where [`keep_in_unmapped`] looks next for a free `name (n)` key, per name, for one user.
///
/// Keys of `data.unmapped` are only ever added while a user is mapped, so once `name (2)` …
/// `name (n - 1)` are taken they stay taken: the search for the next free key starts at `n`
/// instead of at 2 each time, and a user with k values of one repeated attribute costs k
/// look-ups, not k²/2. Held by the caller for the length of one user's mapping.
#[derive(Debug, Default)]
pub(crate) struct UnmappedSuffixes<'a> {
    /// The least `n` not yet known to be taken, per name (absent: 2).
    next: rustc_hash::FxHashMap<&'a str, u64>,
}

/// Keeps `value` in `data.unmapped` under `name`, or under `name (2)`, `name (3)`, … (the
/// first of them that is free) when that key is taken: a value kept there is never
/// overwritten. `suffixes` remembers how far the search went (see [`UnmappedSuffixes`]).
pub(crate) fn keep_in_unmapped<'a>(
    data: &mut Data<'a>,
    suffixes: &mut UnmappedSuffixes<'a>,
    name: &'a str,
    value: DataValue<'a>,
) {
    let unmapped = data_object(data, "unmapped");
    if !unmapped.contains_key(name) {
        unmapped.insert(Cow::Borrowed(name), value);
        return;
    }
    let next = suffixes.next.entry(name).or_insert(2);
    let mut key = format!("{name} ({next})");
    while unmapped.contains_key(key.as_str()) {
        *next += 1;
        key = format!("{name} ({next})");
    }
    *next += 1;
    unmapped.insert(Cow::Owned(key), value);
}

/// The object under `key` in `data`, created when missing (a value there that is not an
/// object is replaced).
pub(crate) fn data_object<'d, 'a>(data: &'d mut Data<'a>, key: &'static str) -> &'d mut Data<'a> {
    let slot = data
        .entry(Cow::Borrowed(key))
        .or_insert_with(|| DataValue::Object(Data::new()));
    if !matches!(slot, DataValue::Object(_)) {
        *slot = DataValue::Object(Data::new());
    }
    match slot {
        DataValue::Object(map) => map,
        _ => unreachable!("made an object just above"),
    }
}

/// `users[x].registrations[y]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRegistration {
    /// The application's id.
    pub application_id: String,
    /// Role names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// `users[x].twoFactor`: the MFA methods the user arrives with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactor {
    /// The methods, at most one per kind.
    pub methods: Vec<TwoFactorMethod>,
}

/// `users[x].twoFactor.methods[y]`: SMS to a phone or a code by email (FusionAuth's
/// authenticator method needs a secret, which Cognito never exports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "camelCase")]
pub enum TwoFactorMethod {
    /// `{"method": "sms", "mobilePhone": …}`.
    #[serde(rename_all = "camelCase")]
    Sms {
        /// The phone the codes go to.
        mobile_phone: String,
    },
    /// `{"method": "email", "email": …}`.
    Email {
        /// The address the codes go to.
        email: String,
    },
}

/// `users[x].memberships[y]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// The FusionAuth group's id.
    pub group_id: String,
}

/// The body of `POST /api/identity-provider/link`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    /// The link.
    pub identity_provider_link: IdentityProviderLink,
}

/// `IdentityProviderLink`: which FusionAuth user a provider's user id belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProviderLink {
    /// A name shown in FusionAuth until the user's next login through the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The FusionAuth identity provider.
    pub identity_provider_id: String,
    /// The user's id at the provider (Cognito's `identities[].userId`).
    pub identity_provider_user_id: String,
    /// The FusionAuth user.
    pub user_id: String,
}
