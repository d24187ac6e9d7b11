//! `push/report.json`: the outcome of each step, every user not imported with the reason and
//! FusionAuth's error, and the counts that reconcile the run.

use serde::{Deserialize, Serialize};

/// A user the run did not import, or whose import did not verify, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIssue {
    /// The FusionAuth id.
    pub id: String,
    /// The import file.
    pub file: String,
    /// The user's place in it, from 0.
    pub index: usize,
    /// The Cognito username, when the file has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// What happened.
    pub reason: String,
    /// FusionAuth's answer, when it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    /// `preflight`, `groups`, `import`, `links`, `resets`, `verify`, `undo`.
    pub step: String,
    /// `done`, `stopped` or `skipped`.
    pub status: String,
    /// Why it stopped or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The counts of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    /// Users in the Cognito export (`report.json` of the conversion).
    pub users_read: u64,
    /// Users `convert` excluded (listed in its report).
    pub excluded_at_convert: u64,
    /// Users in the import files.
    pub planned: u64,
    /// Users found absent and free at pre-flight: to import.
    pub new: u64,
    /// Users already in FusionAuth with the same id before the run sent them: skipped.
    pub skipped: u64,
    /// Users whose email or username belongs to another FusionAuth user: not imported.
    pub conflicts: u64,
    /// Users FusionAuth refused: not imported.
    pub refused: u64,
    /// Users in FusionAuth because of this run (this and earlier attempts).
    pub imported: u64,
    /// Of those, imported by this invocation.
    pub imported_now: u64,
    /// Import requests sent by this invocation.
    pub import_requests: u64,
    /// Groups created by this invocation.
    pub groups_created: u64,
    /// Links in `links.json` for imported users.
    pub links: u64,
    /// Links created by this invocation.
    pub links_created: u64,
    /// Links found already in place.
    pub links_existing: u64,
    /// Links whose provider user id belongs to another FusionAuth user.
    pub link_conflicts: u64,
    /// Links that could not be created.
    pub link_failures: u64,
    /// Reset emails accepted by FusionAuth.
    pub resets_sent: u64,
    /// Reset requests whose answer was lost (not sent again).
    pub resets_unconfirmed: u64,
    /// Reset requests FusionAuth answered otherwise (404, 422, ...).
    pub resets_failed: u64,
    /// Users the run imported that `login-ids.txt` leaves out (federated-only or disabled:
    /// no reset email).
    pub resets_not_listed: u64,
    /// Users checked field by field and found as written.
    pub verified: u64,
    /// Users in FusionAuth that differ from the file.
    pub mismatched: u64,
    /// Users that should be in FusionAuth and are not.
    pub missing: u64,
    /// Users deleted by `undo`.
    pub deleted: u64,
    /// Groups deleted by `undo`.
    pub groups_deleted: u64,
    /// True when `usersRead = imported + skipped + refused + conflicts + excludedAtConvert`
    /// and every imported user verified.
    pub reconciled: bool,
}

/// A link that is not in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkIssue {
    /// The FusionAuth user.
    pub user_id: String,
    /// The identity provider.
    pub identity_provider_id: String,
    /// What happened.
    pub reason: String,
}

/// A field of an imported user that differs from the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mismatch {
    /// The FusionAuth user.
    pub id: String,
    /// The field (`email`, `registrations`, `links`, ...).
    pub field: String,
    /// What differs.
    pub detail: String,
}

/// A reset email that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetIssue {
    /// The FusionAuth user.
    pub id: String,
    /// The outcome.
    pub outcome: super::ResetOutcome,
    /// FusionAuth's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where a step's time went, as the transport measured it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepTiming {
    /// The step.
    pub step: String,
    /// Requests sent.
    pub requests: u64,
    /// Microseconds spent in this tool (reading files, building requests, reading answers).
    pub own_micros: u64,
    /// Microseconds spent waiting for FusionAuth's answers (network included).
    pub fusionauth_micros: u64,
}

/// `push/report.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    /// `push`, `verify` or `undo`.
    pub command: String,
    /// True for `push --dry-run`: nothing was written to FusionAuth.
    pub dry_run: bool,
    /// FusionAuth's version (`/api/system/version`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fusionauth_version: Option<String>,
    /// The tenant pushed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Why the run could not go on (exit status 2); rerun to resume once fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// What pre-flight found wrong with the target.
    pub problems: Vec<String>,
    /// What pre-flight advises.
    pub warnings: Vec<String>,
    /// Each step's outcome.
    pub steps: Vec<StepReport>,
    /// The counts.
    pub counts: Counts,
    /// Groups the run created (or will, in a dry run).
    pub groups_created: Vec<String>,
    /// Users already in FusionAuth with the same id: not sent.
    pub skipped: Vec<UserIssue>,
    /// Users whose email or username another FusionAuth user holds: not sent.
    pub conflicts: Vec<UserIssue>,
    /// Users FusionAuth refused, with its error.
    pub refused: Vec<UserIssue>,
    /// Links not in place.
    pub link_issues: Vec<LinkIssue>,
    /// Reset emails not accepted.
    pub reset_issues: Vec<ResetIssue>,
    /// Imported users that differ from the file.
    pub mismatches: Vec<Mismatch>,
    /// Users that should be in FusionAuth and are not.
    pub missing: Vec<UserIssue>,
    /// Time per step (filled by the transport).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timings: Vec<StepTiming>,
}

/// How a run ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Everything planned is in FusionAuth (and verified, where verification ran).
    Complete,
    /// The run finished, but users were refused, conflicted, or failed verification (reset
    /// emails that were not accepted are listed but do not count: the users are in).
    Incomplete,
    /// The run could not go on.
    Stopped,
}

impl PushReport {
    /// How the run ended.
    pub fn status(&self) -> RunStatus {
        if self.stopped.is_some() {
            RunStatus::Stopped
        } else if !self.conflicts.is_empty()
            || !self.refused.is_empty()
            || !self.missing.is_empty()
            || !self.mismatches.is_empty()
            || !self.link_issues.is_empty()
            || self
                .reset_issues
                .iter()
                .any(|r| r.outcome != super::ResetOutcome::Unconfirmed)
        {
            RunStatus::Incomplete
        } else {
            RunStatus::Complete
        }
    }

    /// What a dry run would do, for people: one line per count.
    pub fn plan_lines(&self) -> Vec<String> {
        let c = &self.counts;
        vec![
            format!(
                "plan: {} users in the files ({} read from Cognito, {} excluded at convert)",
                c.planned, c.users_read, c.excluded_at_convert
            ),
            format!("  to import:        {}", c.new),
            format!(
                "  already present:  {} (skipped, no reset email)",
                self.skipped.len()
            ),
            format!(
                "  conflicts:        {} (email or username held by another user; not imported)",
                self.conflicts.len()
            ),
            format!("  groups to create: {}", self.groups_created.len()),
            format!("  links:            {}", c.links),
        ]
    }

    /// How a run ended, for people: users, then links and resets, then verification.
    pub fn outcome_lines(&self) -> Vec<String> {
        let c = &self.counts;
        vec![
            format!(
                "{} users in the files: {} in FusionAuth from this run ({} imported now, {} requests), {} skipped, {} conflicts, {} refused",
                c.planned, c.imported, c.imported_now, c.import_requests, c.skipped, c.conflicts, c.refused
            ),
            format!(
                "links: {} created, {} already there, {} conflicts, {} failed; resets: {} sent, {} unconfirmed, {} not sent, {} not listed in login-ids.txt",
                c.links_created, c.links_existing, c.link_conflicts, c.link_failures, c.resets_sent, c.resets_unconfirmed, c.resets_failed, c.resets_not_listed
            ),
            format!(
                "verified {}, mismatched {}, missing {}; deleted {} users, {} groups; reconciled: {}",
                c.verified, c.mismatched, c.missing, c.deleted, c.groups_deleted, c.reconciled
            ),
        ]
    }

    pub(crate) fn step(&mut self, step: &str, status: &str, detail: Option<String>) {
        self.steps.retain(|s| s.step != step);
        self.steps.push(StepReport {
            step: step.to_owned(),
            status: status.to_owned(),
            detail,
        });
    }
}
