//! The bulk conversion: read every file → map every user → validate across users → output.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cognito::{read_export, FileSummary, Scalar};
use crate::dates;
use crate::error::Result;
use crate::fusionauth::{
    placeholder_password, write_outputs, ImportUser, LinkRequest, OutputFile, RandomSource,
};
use crate::report::{Code, Excluded, Finding, Report, Severity, Summary};
use crate::rules::{Mapper, RULES_VERSION};
use crate::validate::duplicates::resolve;
use crate::validate::user::UserFinding;

/// One mapped user, kept compact until the output is written.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) file: usize,
    pub(crate) index: u64,
    pub(crate) username: String,
    /// Lower-cased `sub`: the same Cognito user when it appears twice.
    pub(crate) sub: Option<String>,
    /// `UserLastModifiedDate` in epoch ms.
    pub(crate) modified: Option<i64>,
    pub(crate) id: String,
    /// Lower-cased email.
    pub(crate) email: Option<String>,
    /// Lower-cased username.
    pub(crate) user_key: Option<String>,
    pub(crate) login_id: Option<String>,
    /// The FusionAuth user as compact JSON, password included.
    pub(crate) json: Vec<u8>,
    pub(crate) links: Vec<LinkRequest>,
    pub(crate) findings: Vec<UserFinding>,
    pub(crate) excluded: Option<(Code, String)>,
}

impl Record {
    fn new(
        file: usize,
        index: u64,
        username: String,
        sub: Option<String>,
        modified: Option<i64>,
        user: &ImportUser,
    ) -> Self {
        let mut record = Self {
            file,
            index,
            username,
            sub,
            modified,
            id: String::new(),
            email: None,
            user_key: None,
            login_id: None,
            json: Vec::new(),
            links: Vec::new(),
            findings: Vec::new(),
            excluded: None,
        };
        record.store(user);
        record
    }

    /// Refreshes the keys and the JSON from `user`.
    pub(crate) fn store(&mut self, user: &ImportUser) {
        self.id = user.id.clone().unwrap_or_default();
        self.email = user.email.as_deref().map(str::to_lowercase);
        self.user_key = user.username.as_deref().map(str::to_lowercase);
        self.login_id = user.login_id().map(str::to_owned);
        // Serializing a struct of strings, numbers and JSON values cannot fail.
        self.json = serde_json::to_vec(user).unwrap_or_default();
    }

    /// The stored user, for the rare edit after duplicate resolution.
    pub(crate) fn user(&self) -> ImportUser {
        serde_json::from_slice(&self.json).unwrap_or_default()
    }
}

/// Runs a bulk conversion: add files one at a time, then [`finish`](Converter::finish).
///
/// Each file is read and mapped as it is added, and only the compact FusionAuth JSON of
/// each user is kept, so the caller can drop a file's bytes once it is added.
pub struct Converter<'m> {
    mapper: &'m Mapper,
    files: Vec<FileSummary>,
    file_findings: Vec<Finding>,
    records: Vec<Record>,
    unmapped_groups: BTreeMap<String, u64>,
    progress: Option<Box<dyn FnMut(u64) + 'm>>,
}

impl std::fmt::Debug for Converter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("files", &self.files)
            .field("users", &self.records.len())
            .finish_non_exhaustive()
    }
}

/// How often the progress callback is called, in users.
const PROGRESS_EVERY: u64 = 10_000;

impl<'m> Converter<'m> {
    /// A conversion with the given compiled rules.
    pub fn new(mapper: &'m Mapper) -> Self {
        Self {
            mapper,
            files: Vec::new(),
            file_findings: Vec::new(),
            records: Vec::new(),
            unmapped_groups: BTreeMap::new(),
            progress: None,
        }
    }

    /// Calls `report` with the number of users mapped so far, every 10,000 users.
    pub fn on_progress(&mut self, report: impl FnMut(u64) + 'm) {
        self.progress = Some(Box::new(report));
    }

    /// Reads, maps and keeps the users of one export file. Bulk users get a placeholder
    /// password from `random`.
    ///
    /// # Errors
    /// A read error naming the file, position, user and field; the conversion then holds
    /// nothing of this file and can go on with others.
    pub fn add_file(
        &mut self,
        name: &str,
        bytes: &[u8],
        random: &mut dyn RandomSource,
    ) -> Result<&FileSummary> {
        let file = self.files.len();
        let before = self.records.len();
        let mapper = self.mapper;
        let scheme = &mapper.rules().settings.password;
        let records = &mut self.records;
        let groups = &mut self.unmapped_groups;
        let progress = &mut self.progress;
        let mut group_counts: Vec<String> = Vec::new();
        let result = read_export(name, file, bytes, &mut |user, origin| {
            let mut mapped = mapper.map(&user);
            placeholder_password(&mut mapped.user, scheme, random);
            let sub = user.attribute("sub").map(str::to_lowercase);
            let modified = match &user.last_modified {
                Some(Scalar::Number(n)) => dates::millis_from_seconds(*n),
                Some(Scalar::Text(t)) => dates::epoch_millis(t),
                _ => None,
            };
            let mut record = Record::new(
                file,
                origin.index,
                user.username.to_string(),
                sub,
                modified,
                &mapped.user,
            );
            record.links = mapped.links;
            record.findings = mapped.findings;
            group_counts.extend(mapped.unmapped_groups);
            records.push(record);
            if let Some(p) = progress.as_mut() {
                if records.len() as u64 % PROGRESS_EVERY == 0 {
                    p(records.len() as u64);
                }
            }
        });
        match result {
            Ok(summary) => {
                for g in group_counts {
                    *groups.entry(g).or_default() += 1;
                }
                if summary.truncated {
                    self.file_findings.push(Finding {
                        severity: Severity::Warning,
                        code: Code::TruncatedExport,
                        file: name.to_owned(),
                        index: None,
                        username: None,
                        field: Some("NextToken".into()),
                        message: "the file carries a pagination token: more users exist that are not in it \
                                  (load every page, or export without --max-items)"
                            .into(),
                    });
                }
                self.files.push(summary);
                Ok(&self.files[file])
            }
            Err(e) => {
                self.records.truncate(before);
                Err(e)
            }
        }
    }

    /// Validates across all users, applies the duplicate policy and builds the report.
    pub fn finish(mut self) -> Conversion {
        let settings = &self.mapper.rules().settings;
        let names: Vec<String> = self.files.iter().map(|f| f.name.clone()).collect();
        let resolution = resolve(&mut self.records, settings.on_duplicate, &names);

        let mut issues = self.file_findings;
        let mut excluded = Vec::new();
        for r in &self.records {
            let superseded = matches!(r.excluded, Some((Code::DuplicateRecord, _)));
            // A superseded copy's own findings would repeat those of the copy that is kept.
            if !superseded {
                issues.extend(r.findings.iter().map(|f| Finding {
                    severity: f.severity,
                    code: f.code,
                    file: names[r.file].clone(),
                    index: Some(r.index),
                    username: Some(r.username.clone()),
                    field: Some(f.field.clone()).filter(|f| !f.is_empty()),
                    message: f.message.clone(),
                }));
            }
            if let Some((code, reason)) = &r.excluded {
                excluded.push(Excluded {
                    file: names[r.file].clone(),
                    index: r.index,
                    username: r.username.clone(),
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
            format!(
                "{} error finding(s) ({}) under the `{}` duplicate policy: fix the export, or choose \
                 keep-newest, keep-first or move-to-data",
                errors.len(),
                list.join(", "),
                settings.on_duplicate.name()
            )
        });
        let mut summary = Summary {
            rules_version: RULES_VERSION,
            duplicate_policy: settings.on_duplicate.name().to_owned(),
            blocked: blocked_reason.is_some(),
            blocked_reason,
            files: self.files,
            users_read: self.records.len() as u64,
            excluded: excluded.len() as u64,
            chunk_size: settings.chunk_size,
            unmapped_groups: self.unmapped_groups,
            ..Summary::default()
        };
        for f in &issues {
            *summary.severities.entry(f.severity).or_default() += 1;
            *summary.codes.entry(f.code).or_default() += 1;
        }
        let kept: Vec<Record> = if summary.blocked {
            Vec::new()
        } else {
            self.records
                .into_iter()
                .filter(|r| r.excluded.is_none())
                .collect()
        };
        summary.imported = kept.len() as u64;
        summary.chunks = kept.len().div_ceil(settings.chunk_size) as u64;
        summary.links = kept.iter().map(|r| r.links.len() as u64).sum();
        Conversion {
            report: Report {
                summary,
                issues,
                excluded,
                duplicates: resolution,
            },
            kept,
            chunk_size: settings.chunk_size,
        }
    }
}

/// The result of a bulk conversion.
#[derive(Debug, Clone)]
pub struct Conversion {
    report: Report,
    kept: Vec<Record>,
    chunk_size: usize,
}

impl Conversion {
    /// The validation report (`report.json`).
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// True when error findings block the output: only `report.json` may be written.
    pub fn blocked(&self) -> bool {
        self.report.summary.blocked
    }

    /// The output files, built one at a time: `users-0001.json`…, `login-ids.txt`,
    /// `links.json` and `report.json` (only `report.json` when blocked).
    pub fn files(&self) -> impl Iterator<Item = OutputFile> + '_ {
        write_outputs(&self.kept, self.chunk_size, &self.report)
    }

    /// The imported FusionAuth users in output order, as JSON values (for previews and tests).
    pub fn users(&self) -> impl Iterator<Item = Value> + '_ {
        self.kept
            .iter()
            .map(|r| serde_json::from_slice(&r.json).unwrap_or(Value::Null))
    }
}
