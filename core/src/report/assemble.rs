//! Assembling `report.json` at the end of a conversion: each kept user's findings placed at
//! its file and position, the excluded users, what blocks the import files, and the counts.

use std::collections::BTreeMap;

use super::{Code, DuplicateGroup, Excluded, Finding, Report, Severity, Summary};
use crate::cognito::FileSummary;
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
        let superseded = matches!(r.excluded(), Some((Code::DuplicateRecord, _)));
        let findings = r.take_findings();
        // A superseded copy's own findings would repeat those of the copy that is kept.
        if !superseded {
            issues.extend(findings.into_iter().map(|f| Finding {
                severity: f.severity,
                code: f.code,
                file: a.names[r.file as usize].clone(),
                index: Some(r.index),
                username: Some(r.username().to_owned()),
                field: Some(f.field).filter(|f| !f.is_empty()),
                message: f.message,
            }));
        }
        if let Some((code, reason)) = r.excluded() {
            excluded.push(Excluded {
                file: a.names[r.file as usize].clone(),
                index: r.index,
                username: r.username().to_owned(),
                code: *code,
                reason: reason.clone(),
            });
        }
    }
    let errors: Vec<&Finding> = issues
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let blocked_reason = (!errors.is_empty()).then(|| {
            let mut codes: BTreeMap<Code, u64> = BTreeMap::new();
            for f in &errors {
                *codes.entry(f.code).or_default() += 1;
            }
            let list: Vec<String> = codes.iter().map(|(c, n)| format!("{n} {}", c.as_str())).collect();
            let unreadable: Vec<&str> = errors
                .iter()
                .filter(|f| f.code == Code::UnreadableFile)
                .map(|f| f.file.as_str())
                .collect();
            if unreadable.len() == errors.len() {
                format!(
                    "{} file(s) cannot be read ({}): fix or remove them; their users would be missing",
                    unreadable.len(),
                    unreadable.join(", ")
                )
            } else {
                format!(
                    "{} error finding(s) ({}) under the `{}` duplicate policy: fix the export, or choose \
                     keep-newest, keep-first or move-to-data",
                    errors.len(),
                    list.join(", "),
                    a.settings.on_duplicate.name()
                )
            }
        });
    let mut summary = Summary {
        rules_version: RULES_VERSION,
        duplicate_policy: a.settings.on_duplicate.name().to_owned(),
        blocked: blocked_reason.is_some(),
        blocked_reason,
        files: a.files,
        users_read: a.packed.len() as u64,
        excluded: excluded.len() as u64,
        chunk_size: a.settings.chunk_size,
        unmapped_groups: a.unmapped_groups,
        groups: a
            .settings
            .groups
            .iter()
            .map(|(name, id)| (id.clone(), name.clone()))
            .collect(),
        ..Summary::default()
    };
    for f in &issues {
        *summary.severities.entry(f.severity).or_default() += 1;
        *summary.codes.entry(f.code).or_default() += 1;
    }
    let kept: Vec<PackedUser> = if summary.blocked {
        Vec::new()
    } else {
        a.packed
            .into_iter()
            .filter(|r| r.excluded().is_none())
            .collect()
    };
    summary.imported = kept.len() as u64;
    summary.chunks = kept.len().div_ceil(a.settings.chunk_size) as u64;
    summary.links = kept.iter().map(|r| r.links().len() as u64).sum();
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
