//! The validation report: findings, excluded users and the summary (`report.json`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cognito::FileSummary;
pub use crate::finding::{Code, Severity};

mod assemble;

pub(crate) use assemble::{
    assemble, excluded_user, is_superseded, placed_findings, summary, Assembly, Tally, Totals,
};

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

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    /// Users neither imported nor excluded because errors blocked the output: they go in once
    /// the errors are resolved (`usersRead = imported + excluded + heldBack` always). Written
    /// only when blocked.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held_back: u64,
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
