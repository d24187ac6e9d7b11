//! What a finding is: its code and severity, and a finding about one user before its file and
//! position are known, and how a user's name is shown in one. A leaf: the rules, the
//! validation and the report all speak it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The most characters of a name [`shown_name`] shows: twice Cognito's longest username (128).
pub(crate) const MAX_SHOWN_NAME: usize = 256;

/// A user's name (its Cognito `Username`, its FusionAuth username) as a finding, a message
/// about another user or a link shows it: whole when it has at most [`MAX_SHOWN_NAME`]
/// characters (every name Cognito makes), else its first [`MAX_SHOWN_NAME`] characters and
/// `…`. A name is repeated in each of its user's findings and links and in the messages of the
/// users sharing a value with it, so a name as long as the file would make them grow as the
/// product of the two; the user itself keeps its name whole.
pub(crate) fn shown_name(name: &str) -> Cow<'_, str> {
    match name.char_indices().nth(MAX_SHOWN_NAME) {
        None => Cow::Borrowed(name),
        Some((cut, _)) => Cow::Owned(format!("{}…", &name[..cut])),
    }
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is lost.
    Info,
    /// The user is imported, but something needs attention (a value kept in `data`, no email...).
    Warning,
    /// The import would fail or be wrong; output is blocked.
    Error,
}

impl Severity {
    /// Every severity, least serious first.
    pub const ALL: [Severity; 3] = [Self::Info, Self::Warning, Self::Error];

    /// The severity as written in reports (`info`, `warning`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// What a finding is about. Serialized as the kebab-case codes listed in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// Two users share an email (case-insensitive).
    DuplicateEmail,
    /// Two users share a username (case-insensitive).
    DuplicateUsername,
    /// Two users share a `phoneNumber` (a login identity in FusionAuth 1.59+).
    DuplicatePhone,
    /// Two users share a FusionAuth id.
    DuplicateId,
    /// The same Cognito user (same `sub`) appears more than once; one copy is kept.
    DuplicateRecord,
    /// No email: the user cannot receive the password-reset email.
    MissingEmail,
    /// The email is not a valid address; kept in `data.unmapped`.
    InvalidEmail,
    /// The birthdate is not a real `YYYY-MM-DD` date; kept in `data.unmapped`.
    InvalidBirthdate,
    /// The zoneinfo is not an IANA time zone; kept in `data.unmapped`.
    InvalidTimezone,
    /// The locale is not a language(_REGION) locale; kept in `data.unmapped`.
    InvalidLocale,
    /// The phone number is not E.164; kept in `data.unmapped`.
    InvalidPhone,
    /// The URL is not an absolute http(s) URL; kept in `data.unmapped`.
    InvalidUrl,
    /// The id source is not a UUID; a stable UUID v5 is derived instead.
    InvalidId,
    /// Another value failed its rule's transform; kept in `data.unmapped`.
    InvalidValue,
    /// `identities` could not be read.
    InvalidIdentities,
    /// A federated identity's provider has no FusionAuth mapping; no link is written.
    UnmappedProvider,
    /// A federated identity's provider (Login with Amazon) has no FusionAuth equivalent.
    UnsupportedProvider,
    /// An MFA method of the user's in Cognito is not carried over (an authenticator app, whose
    /// secret Cognito never exports; SMS or email without a verified phone or email; or
    /// `carryMfa` off): the user enrols it again in FusionAuth.
    MfaNotCarried,
    /// The user is left out of `login-ids.txt` (no reset email): federated-only, with no
    /// password to reset, or disabled.
    NoPasswordReset,
    /// The user never confirmed the account in Cognito.
    Unconfirmed,
    /// The user had to reset or change the password in Cognito.
    ResetRequired,
    /// The user is disabled in Cognito and imported inactive.
    Disabled,
    /// The user had no login id left after a duplicate was moved to `data`; not imported.
    NoLoginId,
    /// An input file holds a pagination token: more pages exist that were not loaded.
    TruncatedExport,
    /// An input file cannot be read; its users are missing, so the import files are blocked.
    UnreadableFile,
}

impl Code {
    /// Every code, in the order of the README's validation table.
    pub const ALL: [Code; 25] = [
        Self::DuplicateEmail,
        Self::DuplicateUsername,
        Self::DuplicatePhone,
        Self::DuplicateId,
        Self::DuplicateRecord,
        Self::MissingEmail,
        Self::InvalidEmail,
        Self::InvalidBirthdate,
        Self::InvalidTimezone,
        Self::InvalidLocale,
        Self::InvalidPhone,
        Self::InvalidUrl,
        Self::InvalidId,
        Self::InvalidValue,
        Self::InvalidIdentities,
        Self::UnmappedProvider,
        Self::UnsupportedProvider,
        Self::MfaNotCarried,
        Self::NoPasswordReset,
        Self::Unconfirmed,
        Self::ResetRequired,
        Self::Disabled,
        Self::NoLoginId,
        Self::TruncatedExport,
        Self::UnreadableFile,
    ];

    /// The code as written in reports (`duplicate-email`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DuplicateEmail => "duplicate-email",
            Self::DuplicateUsername => "duplicate-username",
            Self::DuplicatePhone => "duplicate-phone",
            Self::DuplicateId => "duplicate-id",
            Self::DuplicateRecord => "duplicate-record",
            Self::MissingEmail => "missing-email",
            Self::InvalidEmail => "invalid-email",
            Self::InvalidBirthdate => "invalid-birthdate",
            Self::InvalidTimezone => "invalid-timezone",
            Self::InvalidLocale => "invalid-locale",
            Self::InvalidPhone => "invalid-phone",
            Self::InvalidUrl => "invalid-url",
            Self::InvalidId => "invalid-id",
            Self::InvalidValue => "invalid-value",
            Self::InvalidIdentities => "invalid-identities",
            Self::UnmappedProvider => "unmapped-provider",
            Self::UnsupportedProvider => "unsupported-provider",
            Self::MfaNotCarried => "mfa-not-carried",
            Self::NoPasswordReset => "no-password-reset",
            Self::Unconfirmed => "unconfirmed",
            Self::ResetRequired => "reset-required",
            Self::Disabled => "disabled",
            Self::NoLoginId => "no-login-id",
            Self::TruncatedExport => "truncated-export",
            Self::UnreadableFile => "unreadable-file",
        }
    }
}

/// A finding about one user, before the file and index are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFinding {
    /// How serious it is.
    pub severity: Severity,
    /// What it is about.
    pub code: Code,
    /// The Cognito attribute or field concerned.
    pub field: String,
    /// What happened.
    pub message: String,
}

impl UserFinding {
    pub(crate) fn new(
        severity: Severity,
        code: Code,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_shown_whole_up_to_its_limit_and_cut_after() {
        let most = "é".repeat(MAX_SHOWN_NAME);
        assert!(matches!(shown_name(&most), Cow::Borrowed(n) if n == most));
        assert_eq!(shown_name("ann"), "ann");
        let longer = format!("{most}xyz");
        assert_eq!(shown_name(&longer), format!("{most}…"));
        assert_eq!(
            shown_name(&"n".repeat(500_000)).chars().count(),
            MAX_SHOWN_NAME + 1
        );
    }

    #[test]
    fn every_code_is_written_as_serde_writes_it() {
        for code in Code::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
        }
        assert_eq!(Code::DuplicateEmail.as_str(), "duplicate-email");
        assert_eq!(Code::MfaNotCarried.as_str(), "mfa-not-carried");
        assert_eq!(
            serde_json::to_string(&Severity::Warning).unwrap(),
            "\"warning\""
        );
    }

    #[test]
    fn all_holds_every_code_once() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code), "{code:?} twice");
            // A new variant not in ALL fails to compile here.
            match code {
                Code::DuplicateEmail => {}
                Code::DuplicateUsername => {}
                Code::DuplicatePhone => {}
                Code::DuplicateId => {}
                Code::DuplicateRecord => {}
                Code::MissingEmail => {}
                Code::InvalidEmail => {}
                Code::InvalidBirthdate => {}
                Code::InvalidTimezone => {}
                Code::InvalidLocale => {}
                Code::InvalidPhone => {}
                Code::InvalidUrl => {}
                Code::InvalidId => {}
                Code::InvalidValue => {}
                Code::InvalidIdentities => {}
                Code::UnmappedProvider => {}
                Code::UnsupportedProvider => {}
                Code::MfaNotCarried => {}
                Code::NoPasswordReset => {}
                Code::Unconfirmed => {}
                Code::ResetRequired => {}
                Code::Disabled => {}
                Code::NoLoginId => {}
                Code::TruncatedExport => {}
                Code::UnreadableFile => {}
            }
        }
    }
}
