//! Assembling `report.json` at the end of a conversion: each kept user's findings placed at
//! its file and position, the excluded users, what blocks the import files, and the counts.

use std::collections::BTreeMap;

use super::{Code, DuplicateGroup, Excluded, Finding, Report, Severity, Summary};
use crate::cognito::FileSummary;
use crate::finding::shown_name;
use crate::packed_user::PackedUser;
use crate::rules::{Settings, RULES_VERSION};

/// What a conversion hands over once every user is read and the duplicate policy applied.
pub(crate) struct Assembly<'a> {
    pub(crate) settings: &'a Settings,
    /// Each file's name, by its position.
    pub(crate) names: &'a [String],
    pub(crate) files: Vec<FileSummary>,
    /// Findings about whole files (unreadable, truncated).
    pub(crate) file_findings: Vec<Finding>,
    /// Every user read, in input order.
    pub(crate) packed: Vec<PackedUser>,
    /// The duplicate groups the policy resolved.
    pub(crate) duplicates: Vec<DuplicateGroup>,
    /// Cognito group name → users in it with no FusionAuth group mapped.
    pub(crate) unmapped_groups: BTreeMap<String, u64>,
}

/// The report, and the users the import files hold (none when the report blocks them).
pub(crate) fn assemble(mut a: Assembly<'_>) -> (Report, Vec<PackedUser>) {
    let mut issues = a.file_findings;
    let mut excluded = Vec::new();
    for r in &mut a.packed {
        issues.extend(placed_findings(a.names, r));
        excluded.extend(excluded_user(a.names, r));
    }
    let mut tally = Tally::default();
    for f in &issues {
        tally.add(f.severity, f.code, &f.file);
    }
    let users_read = a.packed.len() as u64;
    let kept: Vec<PackedUser> = if tally.blocks() {
        Vec::new()
    } else {
        a.packed
            .into_iter()
            .filter(|r| r.excluded().is_none())
            .collect()
    };
    let summary = summary(Totals {
        settings: a.settings,
        files: a.files,
        users_read,
        excluded: excluded.len() as u64,
        imported: kept.len() as u64,
        links: kept.iter().map(|r| r.links().len() as u64).sum(),
        tally,
        unmapped_groups: a.unmapped_groups,
    });
    (
        Report {
            summary,
            issues,
            excluded,
            duplicates: a.duplicates,
        },
        kept,
    )
}

/// A user's findings placed at its file and position (moved out of the user). None for a
/// superseded copy: its findings would repeat those of the copy that is kept.
pub(crate) fn placed_findings(names: &[String], r: &mut PackedUser) -> Vec<Finding> {
    let superseded = is_superseded(r);
    let findings = r.take_findings();
    if superseded {
        return Vec::new();
    }
    findings
        .into_iter()
        .map(|f| Finding {
            severity: f.severity,
            code: f.code,
            file: names[r.file as usize].clone(),
            index: Some(r.index),
            username: Some(shown_name(r.username()).into_owned()),
            field: Some(f.field).filter(|f| !f.is_empty()),
            message: f.message,
        })
        .collect()
}

/// True for a copy of a Cognito user that another copy supersedes.
pub(crate) fn is_superseded(r: &PackedUser) -> bool {
    matches!(r.excluded(), Some((Code::DuplicateRecord, _)))
}

/// The user's line under `excluded`, if it is not imported.
pub(crate) fn excluded_user(names: &[String], r: &PackedUser) -> Option<Excluded> {
    r.excluded().map(|(code, reason)| Excluded {
        file: names[r.file as usize].clone(),
        index: r.index,
        username: r.username().to_owned(),
        code: *code,
        reason: reason.clone(),
    })
}

/// The findings counted per severity and code, and what an error blocks.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Tally {
    severities: BTreeMap<Severity, u64>,
    codes: BTreeMap<Code, u64>,
    /// Error findings per code.
    errors: BTreeMap<Code, u64>,
    /// The files that cannot be read, once per finding.
    unreadable: Vec<String>,
}

impl Tally {
    /// Counts one finding (`file` names the file of an `unreadable-file` error).
    pub(crate) fn add(&mut self, severity: Severity, code: Code, file: &str) {
        *self.severities.entry(severity).or_default() += 1;
        *self.codes.entry(code).or_default() += 1;
        if severity == Severity::Error {
            *self.errors.entry(code).or_default() += 1;
            if code == Code::UnreadableFile {
                self.unreadable.push(file.to_owned());
            }
        }
    }

    /// Takes back one finding counted before (a user whose findings changed).
    pub(crate) fn remove(&mut self, severity: Severity, code: Code) {
        drop_one(&mut self.codes, code);
        drop_one(&mut self.severities, severity);
        if severity == Severity::Error {
            drop_one(&mut self.errors, code);
        }
    }

    /// Adds every count of `other`.
    pub(crate) fn merge(&mut self, other: Tally) {
        for (k, n) in other.severities {
            *self.severities.entry(k).or_default() += n;
        }
        for (k, n) in other.codes {
            *self.codes.entry(k).or_default() += n;
        }
        for (k, n) in other.errors {
            *self.errors.entry(k).or_default() += n;
        }
        self.unreadable.extend(other.unreadable);
    }

    /// True when an error finding blocks the import files.
    pub(crate) fn blocks(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Why the import files are blocked, if they are.
    fn blocked_reason(&self, settings: &Settings) -> Option<String> {
        let errors: u64 = self.errors.values().sum();
        if errors == 0 {
            return None;
        }
        if self.unreadable.len() as u64 == errors {
            return Some(format!(
                "{} file(s) cannot be read ({}): fix or remove them; their users would be missing",
                self.unreadable.len(),
                self.unreadable.join(", ")
            ));
        }
        let list: Vec<String> = self
            .errors
            .iter()
            .map(|(c, n)| format!("{n} {}", c.as_str()))
            .collect();
        Some(format!(
            "{errors} error finding(s) ({}) under the `{}` duplicate policy: fix the export, or choose \
             keep-newest, keep-first or move-to-data",
            list.join(", "),
            settings.on_duplicate.name()
        ))
    }
}

fn drop_one<K: Ord>(map: &mut BTreeMap<K, u64>, key: K) {
    if let Some(n) = map.get_mut(&key) {
        *n -= 1;
        if *n == 0 {
            map.remove(&key);
        }
    }
}

/// What the summary counts, once every user is placed.
pub(crate) struct Totals<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) files: Vec<FileSummary>,
    pub(crate) users_read: u64,
    pub(crate) excluded: u64,
    /// Users in the import files (0 when blocked).
    pub(crate) imported: u64,
    /// Link requests of the imported users.
    pub(crate) links: u64,
    pub(crate) tally: Tally,
    pub(crate) unmapped_groups: BTreeMap<String, u64>,
}

/// The report's summary.
pub(crate) fn summary(t: Totals<'_>) -> Summary {
    let blocked_reason = t.tally.blocked_reason(t.settings);
    let blocked_reason_set = blocked_reason.is_some();
    Summary {
        rules_version: RULES_VERSION,
        duplicate_policy: t.settings.on_duplicate.name().to_owned(),
        blocked: blocked_reason.is_some(),
        blocked_reason,
        files: t.files,
        users_read: t.users_read,
        imported: t.imported,
        excluded: t.excluded,
        held_back: if blocked_reason_set {
            t.users_read.saturating_sub(t.excluded + t.imported)
        } else {
            0
        },
        chunks: t.imported.div_ceil(t.settings.chunk_size as u64),
        chunk_size: t.settings.chunk_size,
        links: t.links,
        severities: t.tally.severities,
        codes: t.tally.codes,
        unmapped_groups: t.unmapped_groups,
        groups: t
            .settings
            .groups
            .iter()
            .map(|(name, id)| (id.clone(), name.clone()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::CognitoUser;
    use crate::finding::UserFinding;
    use crate::rules::Rules;
    use crate::validate::user::checked;

    fn packed(file: u32, index: u64, name: &str) -> PackedUser {
        let cognito = CognitoUser {
            username: name.to_owned().into(),
            attributes: vec![("email".into(), format!("{name}@example.com").into())],
            ..CognitoUser::default()
        };
        let mapper = Rules::defaults().compile().unwrap();
        let mapped = checked(&mapper, &cognito);
        PackedUser::new(file, index, &cognito, mapped, &mut Vec::new())
    }

    fn assembly<'a>(
        settings: &'a Settings,
        names: &'a [String],
        packed: Vec<PackedUser>,
    ) -> Assembly<'a> {
        Assembly {
            settings,
            names,
            files: Vec::new(),
            file_findings: Vec::new(),
            packed,
            duplicates: Vec::new(),
            unmapped_groups: BTreeMap::new(),
        }
    }

    #[test]
    fn findings_land_at_their_file_and_position_and_excluded_users_are_listed() {
        let settings = Rules::defaults().settings;
        let names = ["a.json".to_owned(), "b.json".to_owned()];
        let mut ann = packed(1, 4, "ann");
        ann.add_finding(UserFinding::new(
            Severity::Info,
            Code::Disabled,
            "Enabled",
            "off",
        ));
        let mut bob = packed(0, 0, "bob");
        bob.exclude(Code::DuplicateEmail, "ann kept".into());
        let (report, kept) = assemble(assembly(&settings, &names, vec![ann, bob]));
        let disabled = report
            .issues
            .iter()
            .find(|f| f.code == Code::Disabled)
            .unwrap();
        assert_eq!(
            (
                disabled.file.as_str(),
                disabled.index,
                disabled.username.as_deref()
            ),
            ("b.json", Some(4), Some("ann"))
        );
        assert_eq!(report.excluded.len(), 1);
        assert_eq!(report.excluded[0].file, "a.json");
        assert_eq!(kept.len(), 1);
        let s = &report.summary;
        assert_eq!(
            (s.users_read, s.imported, s.excluded, s.chunks),
            (2, 1, 1, 1)
        );
        assert!(!s.blocked);
        assert_eq!(s.codes[&Code::Disabled], 1);
    }

    #[test]
    fn an_error_blocks_the_import_files_and_says_why() {
        let settings = Rules::defaults().settings;
        let names = ["a.json".to_owned()];
        let mut ann = packed(0, 0, "ann");
        ann.add_finding(UserFinding::new(
            Severity::Error,
            Code::DuplicateEmail,
            "email",
            "shared",
        ));
        let (report, kept) = assemble(assembly(&settings, &names, vec![ann]));
        assert!(kept.is_empty());
        let reason = report.summary.blocked_reason.unwrap();
        assert!(
            reason.contains("1 duplicate-email") && reason.contains("`error` duplicate policy"),
            "{reason}"
        );

        let mut unreadable = assembly(&settings, &names, Vec::new());
        unreadable.file_findings.push(Finding {
            severity: Severity::Error,
            code: Code::UnreadableFile,
            file: "a.json".into(),
            index: None,
            username: None,
            field: None,
            message: "cut off".into(),
        });
        let (report, _) = assemble(unreadable);
        assert!(report
            .summary
            .blocked_reason
            .unwrap()
            .starts_with("1 file(s) cannot be read (a.json)"));
    }
}
