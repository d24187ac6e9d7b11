//! What the page shows of a report: every count, and the first findings behind each code,
//! gathered as the findings are written.
//!
//! A million-user report can hold a million findings; the page lists the first
//! [`LIST_LIMIT`] of each kind and points to `report.json` for the rest.

use std::cmp::Reverse;

use cognito_fusionauth::report::{DuplicateGroup, Excluded, Summary};
use cognito_fusionauth::{Code, Finding, Report, Severity};
use serde::{Deserialize, Serialize};

/// The most findings, duplicate groups or excluded users listed per kind.
pub const LIST_LIMIT: usize = 100;

/// A report, trimmed for display.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Digest {
    /// The report's summary, whole.
    pub summary: Summary,
    /// One entry per finding code: errors first, duplicate emails first among equals.
    pub codes: Vec<CodeDigest>,
    /// The first duplicate groups, email groups first.
    pub duplicates: Vec<DuplicateGroup>,
    /// How many duplicate groups there are in all.
    pub duplicate_groups: u64,
    /// The first excluded users.
    pub excluded: Vec<Excluded>,
}

/// The findings of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDigest {
    /// The code.
    pub code: Code,
    /// The most serious severity among its findings.
    pub severity: Severity,
    /// How many findings have it.
    pub count: u64,
    /// The first of them, in input order.
    pub findings: Vec<Finding>,
}

impl Digest {
    /// The digest of `report` before its findings: the summary, the first duplicate groups
    /// (email groups first) and excluded users. The findings come one at a time
    /// ([`add`](Self::add)), as a streamed conversion writes them.
    pub fn start(report: &Report) -> Self {
        let mut duplicates: Vec<&DuplicateGroup> = report.duplicates.iter().collect();
        duplicates.sort_by_key(|g| g.code != Code::DuplicateEmail);
        Self {
            summary: report.summary.clone(),
            codes: Vec::new(),
            duplicates: duplicates.into_iter().take(LIST_LIMIT).cloned().collect(),
            duplicate_groups: report.duplicates.len() as u64,
            excluded: report.excluded.iter().take(LIST_LIMIT).cloned().collect(),
        }
    }

    /// The digest of a whole report (findings included, as the in-memory conversion's).
    pub fn of(report: &Report) -> Self {
        let mut digest = Self::start(report);
        report.issues.iter().for_each(|f| digest.add(f));
        digest.finish()
    }

    /// Counts the next finding, and lists it when it is among the first of its code.
    pub fn add(&mut self, finding: &Finding) {
        let i = match self.codes.iter().position(|c| c.code == finding.code) {
            Some(i) => i,
            None => {
                self.codes.push(CodeDigest {
                    code: finding.code,
                    severity: finding.severity,
                    count: 0,
                    findings: Vec::new(),
                });
                self.codes.len() - 1
            }
        };
        let entry = &mut self.codes[i];
        entry.count += 1;
        entry.severity = entry.severity.max(finding.severity);
        if entry.findings.len() < LIST_LIMIT {
            entry.findings.push(finding.clone());
        }
    }

    /// After the last finding: the codes in display order (errors first, duplicate emails
    /// first among equals, then by count).
    pub fn finish(mut self) -> Self {
        self.codes.sort_by_key(|c| {
            (
                Reverse(c.severity),
                c.code != Code::DuplicateEmail,
                Reverse(c.count),
                c.code,
            )
        });
        self
    }

    /// Users read but neither imported nor excluded: zero unless output is blocked.
    pub fn held_back(&self) -> u64 {
        self.summary.held_back
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognito_fusionauth::report::UserRef;

    fn finding(code: Code, severity: Severity, index: u64) -> Finding {
        Finding {
            severity,
            code,
            file: "f.json".into(),
            index: Some(index),
            username: Some(format!("user{index}")),
            field: None,
            message: "m".into(),
        }
    }

    #[test]
    fn errors_come_first_and_duplicate_emails_lead_them() {
        let report = Report {
            issues: vec![
                finding(Code::MissingEmail, Severity::Warning, 0),
                finding(Code::DuplicateUsername, Severity::Error, 1),
                finding(Code::DuplicateUsername, Severity::Error, 2),
                finding(Code::DuplicateEmail, Severity::Error, 3),
                finding(Code::Disabled, Severity::Info, 4),
            ],
            ..Report::default()
        };
        let digest = Digest::of(&report);
        let order: Vec<(Code, u64)> = digest.codes.iter().map(|c| (c.code, c.count)).collect();
        assert_eq!(
            order,
            [
                (Code::DuplicateEmail, 1),
                (Code::DuplicateUsername, 2),
                (Code::MissingEmail, 1),
                (Code::Disabled, 1)
            ]
        );
    }

    #[test]
    fn long_lists_are_cut_but_counted() {
        let report = Report {
            issues: (0..250)
                .map(|i| finding(Code::MissingEmail, Severity::Warning, i))
                .collect(),
            duplicates: (0..150)
                .map(|i| DuplicateGroup {
                    code: if i < 120 {
                        Code::DuplicateUsername
                    } else {
                        Code::DuplicateEmail
                    },
                    value: format!("v{i}"),
                    users: vec![UserRef {
                        file: "f".into(),
                        index: i,
                        username: "u".into(),
                    }],
                })
                .collect(),
            ..Report::default()
        };
        let digest = Digest::of(&report);
        assert_eq!(digest.codes[0].count, 250);
        assert_eq!(digest.codes[0].findings.len(), LIST_LIMIT);
        assert_eq!(digest.duplicate_groups, 150);
        assert_eq!(digest.duplicates.len(), LIST_LIMIT);
        assert_eq!(digest.duplicates[0].code, Code::DuplicateEmail);
    }
}
