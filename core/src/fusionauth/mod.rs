//! FusionAuth's side: the import user, link requests, and the files a conversion writes.
//!
//! Field names and types follow `ImportRequest`, `User`, `UserRegistration`, `GroupMember` and
//! `IdentityProviderLinkRequest` of `@fusionauth/typescript-client` 1.69.

mod ascii;
mod links;
mod password;
mod write;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use ascii::{ascii_json, escape_non_ascii};
pub use links::{links_for, LinkProblem};
pub use password::RandomSource;
pub(crate) use password::{placeholder_fields, scheme_fields};
pub use write::OutputFile;
pub(crate) use write::{write_outputs, Completion};

/// One user of an Import API request (`users[x]`), or of a Connector response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)] // the fields are FusionAuth's, documented there
pub struct ImportUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_email: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_languages: Vec<String>,
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
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_scheme: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
}

impl ImportUser {
    /// The identifier the user logs in with and resets the password by: email, else username,
    /// else phone number.
    pub fn login_id(&self) -> Option<&str> {
        self.email
            .as_deref()
            .or(self.username.as_deref())
            .or(self.phone_number.as_deref())
    }

    /// `data.cognito`, created when missing (a non-object value there is replaced).
    pub(crate) fn cognito_data(&mut self) -> &mut Map<String, Value> {
        let slot = self
            .data
            .entry("cognito")
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        match slot {
            Value::Object(map) => map,
            _ => unreachable!("made an object just above"),
        }
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
