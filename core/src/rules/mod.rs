//! Mapping rules: the editable, versioned JSON that says where each Cognito value goes.
//!
//! A [`Rules`] value is what the CLI's `--rules` file, the console's rule table and the WASM
//! `rules` option all hold. [`Rules::compile`] checks it once and gives the [`Mapper`] that
//! turns one [`CognitoUser`](crate::CognitoUser) into a FusionAuth user.

mod defaults;
mod engine;
mod links;
mod mfa;
mod target;
mod transform;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fields::is_uuid;

pub use engine::{MappedUser, Mapper, TOP_LEVEL_SOURCES};
pub use target::Target;
pub(crate) use transform::lowercase;
pub use transform::{Transform, MAX_VALUE_DEPTH};

/// The rules format version this build reads and writes.
pub const RULES_VERSION: u32 = 1;
/// The default number of users per import file.
pub const DEFAULT_CHUNK_SIZE: usize = 10_000;
/// The largest chunk FusionAuth's docs call reasonable for one import request.
pub const MAX_CHUNK_SIZE: usize = 100_000;
/// The most segments a rule's `data.` target may have.
pub const MAX_DATA_PATH: usize = 32;

/// A complete rules file: settings plus attribute rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    /// Format version; must be [`RULES_VERSION`].
    pub version: u32,
    /// Run-wide settings.
    #[serde(default)]
    pub settings: Settings,
    /// Attribute rules, applied in order.
    pub attributes: Vec<AttributeRule>,
}

/// Run-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// FusionAuth tenant id set on every user (omit when the import call sends the tenant header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The Cognito user pool id; it seeds the stable ids of users whose `sub` is not a UUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// Applications every imported user is registered to.
    pub registrations: Vec<Registration>,
    /// Cognito group name → FusionAuth group id.
    pub groups: BTreeMap<String, String>,
    /// Cognito identity providers → FusionAuth identity provider ids.
    pub identity_providers: IdentityProviders,
    /// Users per import file (1 to [`MAX_CHUNK_SIZE`]).
    pub chunk_size: usize,
    /// What to do with duplicate emails, usernames and ids.
    pub on_duplicate: DuplicatePolicy,
    /// How the random placeholder password is declared.
    pub password: PasswordScheme,
    /// Carry SMS and email MFA into `twoFactor.methods` (off by default: FusionAuth sends the
    /// codes only with a messenger or email server configured, and on some plans a licence).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub carry_mfa: bool,
    /// List disabled users in `login-ids.txt` (and so send them reset emails) too.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reset_disabled_users: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            tenant_id: None,
            user_pool_id: None,
            registrations: Vec::new(),
            groups: BTreeMap::new(),
            identity_providers: IdentityProviders::default(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            on_duplicate: DuplicatePolicy::Error,
            password: PasswordScheme::default(),
            carry_mfa: false,
            reset_disabled_users: false,
        }
    }
}

impl Settings {
    /// The registrations every user gets, in FusionAuth's form.
    pub fn user_registrations(&self) -> Vec<crate::fusionauth::UserRegistration> {
        self.registrations
            .iter()
            .map(|r| crate::fusionauth::UserRegistration {
                application_id: r.application_id.clone(),
                roles: r.roles.clone(),
            })
            .collect()
    }
}

/// One FusionAuth application registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registration {
    /// The application's id.
    pub application_id: String,
    /// Role names (not ids) in that application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

/// Cognito identity provider → FusionAuth identity provider id. A match by the pool's
/// `providerName` wins over a match by `providerType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct IdentityProviders {
    /// By the provider name configured in the pool (e.g. `MyOIDC`).
    pub by_name: BTreeMap<String, String>,
    /// By Cognito provider type (`Google`, `Facebook`, `SignInWithApple`, `SAML`, `OIDC`, ...).
    pub by_type: BTreeMap<String, String>,
}

/// FusionAuth's fixed identity provider ids for the Cognito provider types that have one.
pub const BUILT_IN_PROVIDERS: [(&str, &str); 3] = [
    ("Google", "82339786-3dff-42a6-aac6-1f1ceecb6c46"),
    ("Facebook", "56abdcc7-8bd9-4321-9621-4e9bbebae494"),
    ("SignInWithApple", "13d2a5db-7ef9-4d62-b909-0df58612e775"),
];

impl Default for IdentityProviders {
    fn default() -> Self {
        Self {
            by_name: BTreeMap::new(),
            by_type: BUILT_IN_PROVIDERS
                .iter()
                .map(|(t, id)| ((*t).to_owned(), (*id).to_owned()))
                .collect(),
        }
    }
}

/// What to do when two users share an email, a username or an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DuplicatePolicy {
    /// Report them as errors and write nothing but the report.
    #[default]
    Error,
    /// Keep the most recently modified user, exclude the others.
    KeepNewest,
    /// Keep the first user in input order, exclude the others.
    KeepFirst,
    /// Keep everybody; the value moves into `data.cognito` on all but the newest user.
    MoveToData,
}

impl DuplicatePolicy {
    /// Every policy, the default first: the command line's `--on-duplicate` values, the
    /// console's choices and the TypeScript type all come from this list.
    pub const ALL: [DuplicatePolicy; 4] = [
        Self::Error,
        Self::KeepNewest,
        Self::KeepFirst,
        Self::MoveToData,
    ];

    /// The policy's name as written in rules files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::KeepNewest => "keep-newest",
            Self::KeepFirst => "keep-first",
            Self::MoveToData => "move-to-data",
        }
    }

    /// The policy named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What the policy does, in a few words for people.
    pub fn description(self) -> &'static str {
        match self {
            Self::Error => "Block the import (report only)",
            Self::KeepNewest => "Keep the newest, exclude the others",
            Self::KeepFirst => "Keep the first, exclude the others",
            Self::MoveToData => "Keep all, move the value to data",
        }
    }
}

/// The `encryptionScheme` and `factor` declared for the random placeholder password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordScheme {
    /// A FusionAuth built-in scheme name.
    pub encryption_scheme: String,
    /// The scheme's work factor.
    pub factor: u32,
}

impl Default for PasswordScheme {
    fn default() -> Self {
        Self {
            encryption_scheme: "salted-pbkdf2-hmac-sha256".into(),
            factor: 24_000,
        }
    }
}

/// FusionAuth's built-in password hash schemes.
pub const ENCRYPTION_SCHEMES: [&str; 9] = [
    "salted-md5",
    "salted-sha256",
    "salted-hmac-sha256",
    "salted-pbkdf2-hmac-sha256",
    "salted-pbkdf2-hmac-sha256-512",
    "salted-pbkdf2-hmac-sha512-512",
    "bcrypt",
    "phpass-md5",
    "phpass-sha512",
];

/// One attribute rule: a source, a target and a transform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttributeRule {
    /// A Cognito attribute name (`email`, `custom:plan`) or top-level field (`Username`,
    /// `UserCreateDate`, `UserLastModifiedDate`, `Enabled`, `UserStatus`, `Groups`, `MFA`).
    /// Absent only for `constant` rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A FusionAuth user field (`email`, `firstName`, ...) or `data.<path>`.
    pub target: String,
    /// How the value is converted.
    #[serde(default)]
    pub transform: Transform,
    /// The value of a `constant` rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The value used when the user has no such source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Skip the rule when the value equals this other source's value (e.g. `Username`
    /// equal to `sub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless_equals: Option<String>,
}

impl Rules {
    /// The default rules (see the README for what they do).
    pub fn defaults() -> Self {
        defaults::rules()
    }

    /// Parses a rules file.
    ///
    /// # Errors
    /// A rules error naming the JSON position when the text is not a rules file.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            Error::rules(
                format!("line {} column {}", e.line(), e.column()),
                strip_at(&e),
            )
        })
    }

    /// Checks the rules and prepares them for mapping.
    ///
    /// # Errors
    /// A rules error naming the offending setting or rule.
    pub fn compile(&self) -> Result<Mapper> {
        if self.version != RULES_VERSION {
            return Err(Error::rules(
                "version",
                format!(
                    "this build reads rules version {RULES_VERSION}, not {}",
                    self.version
                ),
            ));
        }
        let s = &self.settings;
        check_uuid("settings.tenantId", s.tenant_id.as_deref())?;
        for (i, r) in s.registrations.iter().enumerate() {
            check_uuid(
                &format!("settings.registrations[{i}].applicationId"),
                Some(&r.application_id),
            )?;
            if s.registrations[..i]
                .iter()
                .any(|o| o.application_id == r.application_id)
            {
                return Err(Error::rules(
                    format!("settings.registrations[{i}].applicationId"),
                    "the application is registered twice",
                ));
            }
        }
        for (name, id) in &s.groups {
            check_uuid(&format!("settings.groups.{name}"), Some(id))?;
        }
        for (kind, map) in [
            ("byName", &s.identity_providers.by_name),
            ("byType", &s.identity_providers.by_type),
        ] {
            for (name, id) in map {
                check_uuid(
                    &format!("settings.identityProviders.{kind}.{name}"),
                    Some(id),
                )?;
            }
        }
        if !(1..=MAX_CHUNK_SIZE).contains(&s.chunk_size) {
            return Err(Error::rules(
                "settings.chunkSize",
                format!(
                    "must be between 1 and {MAX_CHUNK_SIZE}, not {}",
                    s.chunk_size
                ),
            ));
        }
        if !ENCRYPTION_SCHEMES.contains(&s.password.encryption_scheme.as_str()) {
            return Err(Error::rules(
                "settings.password.encryptionScheme",
                format!(
                    "{:?} is not a FusionAuth built-in scheme ({})",
                    s.password.encryption_scheme,
                    ENCRYPTION_SCHEMES.join(", ")
                ),
            ));
        }
        Mapper::new(self.clone())
    }
}

fn check_uuid(path: &str, value: Option<&str>) -> Result<()> {
    match value {
        Some(v) if !is_uuid(v) => Err(Error::rules(
            path,
            format!("{v:?} is not a lower-case UUID (8-4-4-4-12 hex digits)"),
        )),
        _ => Ok(()),
    }
}

fn strip_at(e: &serde_json::Error) -> String {
    let mut text = e.to_string();
    if let Some(i) = text.rfind(" at line ") {
        text.truncate(i);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_json() {
        let rules = Rules::defaults();
        let text = serde_json::to_string_pretty(&rules).unwrap();
        assert_eq!(Rules::from_json(&text).unwrap(), rules);
        rules.compile().unwrap();
    }

    #[test]
    fn bad_settings_name_their_path() {
        let mut rules = Rules::defaults();
        rules.settings.chunk_size = 100_001;
        assert!(rules
            .compile()
            .unwrap_err()
            .to_string()
            .contains("settings.chunkSize"));
        let mut rules = Rules::defaults();
        rules
            .settings
            .groups
            .insert("admins".into(), "not-a-uuid".into());
        assert!(rules
            .compile()
            .unwrap_err()
            .to_string()
            .contains("settings.groups.admins"));
        let mut rules = Rules::defaults();
        rules.settings.password.encryption_scheme = "rot13".into();
        assert!(rules.compile().is_err());
        let mut rules = Rules::defaults();
        rules.version = 2;
        assert!(rules.compile().unwrap_err().to_string().contains("version"));
    }

    #[test]
    fn unknown_keys_and_bad_json_are_rejected_with_a_position() {
        let err = Rules::from_json("{\"version\":1,\"attributes\":[],\"extra\":1}").unwrap_err();
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
        let err = Rules::from_json("{\n\"version\":1,").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
