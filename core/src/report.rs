//! The validation report: findings, excluded users and the summary (`report.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cognito::FileSummary;

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
    /// The code as written in reports (`duplicate-email`, ...).
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One finding about one user (or one file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What it is about.
    pub code: Code,
    /// The input file.
    pub file: String,
    /// The user's index in that file (from 0); absent for file-level findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// The user's Cognito `Username`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The Cognito attribute or field concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What happened and what was done about it.
    pub message: String,
}

/// A user that is not in the import files, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Excluded {
    /// The input file.
    pub file: String,
    /// The user's index in that file (from 0).
    pub index: u64,
    /// The user's Cognito `Username`.
    pub username: String,
    /// The finding code that excluded it.
    pub code: Code,
    /// Why, naming the user that was kept instead where there is one.
    pub reason: String,
}

/// A user named in a duplicate group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    /// The input file.
    pub file: String,
    /// The user's index in that file.
    pub index: u64,
    /// The user's Cognito `Username`.
    pub username: String,
}

/// Users that share one email, username or id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateGroup {
    /// `duplicate-email`, `duplicate-username`, `duplicate-phone` or `duplicate-id`.
    pub code: Code,
    /// The shared value, lower-cased.
    pub value: String,
    /// The users sharing it; the first is the one kept under `keep-*` and `move-to-data`.
    pub users: Vec<UserRef>,
}

/// Counts for the whole run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The rules format version used.
    pub rules_version: u32,
    /// The duplicate policy applied.
    pub duplicate_policy: String,
    /// True when errors blocked the output: only the report is written.
    pub blocked: bool,
    /// Why output was blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_reason: Option<String>,
    /// Each input file: its detected shape and user count.
    pub files: Vec<FileSummary>,
    /// Users read over all files.
    pub users_read: u64,
    /// Users written to the import files (0 when blocked).
    pub imported: u64,
    /// Users listed under `excluded`.
    pub excluded: u64,
    /// Import files written.
    pub chunks: u64,
    /// Users per import file.
    pub chunk_size: usize,
    /// Link requests written.
    pub links: u64,
    /// Findings per severity.
    pub severities: BTreeMap<Severity, u64>,
    /// Findings per code.
    pub codes: BTreeMap<Code, u64>,
    /// Cognito groups with no FusionAuth group mapped, with member counts (kept in
    /// `data.cognito.groups`).
    pub unmapped_groups: BTreeMap<String, u64>,
    /// FusionAuth group id → Cognito group name, for the groups the rules map (so that
    /// `push --create-groups` can create them under their names).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, String>,
}

/// `report.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Counts.
    pub summary: Summary,
    /// Every finding, in input order.
    pub issues: Vec<Finding>,
    /// Users not imported, with the reason.
    pub excluded: Vec<Excluded>,
    /// Groups of users sharing an email, username or id.
    pub duplicates: Vec<DuplicateGroup>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_in_kebab_case() {
        assert_eq!(Code::DuplicateEmail.as_str(), "duplicate-email");
        assert_eq!(Code::MfaNotCarried.as_str(), "mfa-not-carried");
        assert_eq!(
            serde_json::to_string(&Severity::Warning).unwrap(),
            "\"warning\""
        );
    }
}
