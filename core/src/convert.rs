//! The bulk conversion: read every file → map every user → validate across users → output.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cognito::{read_export, CognitoUser, FileSummary, Scalar};
use crate::dates;
use crate::error::Result;
use crate::fusionauth::{
    write_outputs, write_user, Completion, ImportUser, LinkRequest, OutputFile, RandomSource,
};
use crate::report::{Code, Excluded, Finding, Report, Severity, Summary};
use crate::rules::{lowercase, MappedUser, Mapper, RULES_VERSION};
use crate::validate::duplicates::resolve;
use crate::validate::user::UserFinding;

/// One mapped user, kept compact until the output is written: its FusionAuth JSON (without
/// the placeholder password, which is added when the file is written), the keys the checks
/// across users need, and rarely present extras behind one pointer. The JSON and the keys
/// share one allocation (a pool of a million users makes a million of these).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) file: u32,
    pub(crate) index: u64,
    /// `UserLastModifiedDate` in epoch ms.
    pub(crate) modified: Option<i64>,
    /// The parts, one after the other: see [`Part`].
    text: Box<str>,
    /// Where each part ends in `text` (it starts where the one before ends).
    ends: [u32; PARTS],
    /// Bit `p`: part `p` is present (an absent part is empty).
    present: u8,
    /// The lower-cased `sub` equals the id (and is not stored again).
    sub_is_id: bool,
    /// Listed in `login-ids.txt` (see [`MappedUser::password_reset`]).
    password_reset: bool,
    extra: Option<Box<Extra>>,
}

/// The parts of [`Record::text`], in order.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// The FusionAuth user as compact ASCII JSON, without password fields.
    Json,
    /// The Cognito `Username`.
    Username,
    /// The FusionAuth id.
    Id,
    /// The lower-cased email.
    Email,
    /// The FusionAuth username, as written.
    FaUsername,
    /// The lower-cased `sub`, when it differs from the id.
    Sub,
    /// `phoneNumber` (a login identity in FusionAuth 1.59+, unique per tenant).
    Phone,
}

const PARTS: usize = 7;

/// What few users have.
#[derive(Debug, Clone, Default)]
struct Extra {
    links: Vec<LinkRequest>,
    findings: Vec<UserFinding>,
    excluded: Option<(Code, String)>,
}

impl Record {
    fn new(
        file: u32,
        index: u64,
        cognito: &CognitoUser<'_>,
        mapped: MappedUser<'_>,
        scratch: &mut Vec<u8>,
    ) -> Self {
        let modified = match &cognito.last_modified {
            Some(Scalar::Number(n)) => dates::millis_from_seconds(*n),
            Some(Scalar::Text(t)) => dates::epoch_millis(t),
            _ => None,
        };
        let mut record = Self {
            file,
            index,
            modified,
            text: Box::default(),
            ends: [0; PARTS],
            present: 0,
            sub_is_id: false,
            password_reset: mapped.password_reset,
            extra: None,
        };
        let sub = cognito.attribute("sub").map(|s| lowercase(s.into()));
        record.pack(&mapped.user, &cognito.username, sub.as_deref(), scratch);
        if !mapped.links.is_empty() || !mapped.findings.is_empty() {
            record.extra = Some(Box::new(Extra {
                links: mapped.links,
                findings: mapped.findings,
                excluded: None,
            }));
        }
        record
    }

    /// Refreshes the keys and the JSON from `user` (the Cognito username and `sub` stay).
    pub(crate) fn store(&mut self, user: &ImportUser<'_>) {
        let username = self.username().to_owned();
        let sub = self.sub().map(str::to_owned);
        self.pack(user, &username, sub.as_deref(), &mut Vec::new());
    }

    /// Writes the JSON of `user` through `scratch` (the mapping threads reuse one) and packs it
    /// with the keys into `text`, one allocation of the exact size.
    fn pack(
        &mut self,
        user: &ImportUser<'_>,
        username: &str,
        sub: Option<&str>,
        scratch: &mut Vec<u8>,
    ) {
        scratch.clear();
        write_user(user, scratch);
        let id = user.id.as_deref().unwrap_or_default();
        let email = user.email.as_deref().map(|e| lowercase(e.into()));
        self.sub_is_id = sub == Some(id);
        // write_user writes ASCII only; were it ever not UTF-8, the user would still be written
        // (with replacement characters), never left empty.
        let json = String::from_utf8_lossy(scratch);
        let parts = [
            Some(json.as_ref()),
            Some(username),
            Some(id),
            email.as_deref(),
            user.username.as_deref(),
            sub.filter(|_| !self.sub_is_id),
            user.phone_number.as_deref(),
        ];
        let mut text = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        self.present = 0;
        for (p, part) in parts.iter().enumerate() {
            if let Some(part) = part {
                text.push_str(part);
                self.present |= 1 << p;
            }
            self.ends[p] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        self.text = text.into_boxed_str();
    }

    /// Part `p` of `text`, if present.
    fn part(&self, p: Part) -> Option<&str> {
        let p = p as usize;
        let start = p.checked_sub(1).map_or(0, |before| self.ends[before]) as usize;
        (self.present & (1 << p) != 0)
            .then(|| self.text.get(start..self.ends[p] as usize))
            .flatten()
    }

    /// The user's FusionAuth JSON, without password fields.
    pub(crate) fn json(&self) -> &[u8] {
        self.part(Part::Json).unwrap_or_default().as_bytes()
    }

    /// The Cognito `Username`.
    pub(crate) fn username(&self) -> &str {
        self.part(Part::Username).unwrap_or_default()
    }

    /// The FusionAuth id.
    pub(crate) fn id(&self) -> &str {
        self.part(Part::Id).unwrap_or_default()
    }

    /// The lower-cased email.
    pub(crate) fn email(&self) -> Option<&str> {
        self.part(Part::Email)
    }

    /// The FusionAuth username, as written.
    pub(crate) fn fa_username(&self) -> Option<&str> {
        self.part(Part::FaUsername)
    }

    /// `phoneNumber`, as written.
    pub(crate) fn phone(&self) -> Option<&str> {
        self.part(Part::Phone)
    }

    /// The stored user, for the rare edit after duplicate resolution.
    ///
    /// # Errors
    /// The stored JSON does not read back as a user (a broken record is never edited as if it
    /// were an empty one).
    pub(crate) fn user(&self) -> std::result::Result<ImportUser<'static>, String> {
        serde_json::from_slice(self.json()).map_err(|e| e.to_string())
    }

    /// The lower-cased `sub`, which identifies the same Cognito user across files.
    pub(crate) fn sub(&self) -> Option<&str> {
        if self.sub_is_id {
            Some(self.id())
        } else {
            self.part(Part::Sub)
        }
    }

    /// Email, else username, else phone number.
    pub(crate) fn login_id(&self) -> Option<&str> {
        self.email().or(self.fa_username()).or(self.phone())
    }

    /// The login id `login-ids.txt` lists, when the user can use a password reset.
    pub(crate) fn reset_login_id(&self) -> Option<&str> {
        self.login_id().filter(|_| self.password_reset)
    }

    pub(crate) fn links(&self) -> &[LinkRequest] {
        self.extra.as_ref().map_or(&[], |e| &e.links)
    }

    /// The user's findings, moved out (the report takes them once, at the end).
    fn take_findings(&mut self) -> Vec<UserFinding> {
        self.extra
            .as_mut()
            .map(|e| std::mem::take(&mut e.findings))
            .unwrap_or_default()
    }

    pub(crate) fn add_finding(&mut self, finding: UserFinding) {
        self.extra
            .get_or_insert_with(Box::default)
            .findings
            .push(finding);
    }

    pub(crate) fn excluded(&self) -> Option<&(Code, String)> {
        self.extra.as_ref().and_then(|e| e.excluded.as_ref())
    }

    pub(crate) fn exclude(&mut self, code: Code, reason: String) {
        self.extra.get_or_insert_with(Box::default).excluded = Some((code, reason));
    }
}

/// Runs a bulk conversion: add files one at a time, then [`finish`](Converter::finish).
///
/// Each file is read and mapped as it is added, and only the compact FusionAuth JSON of
/// each user is kept, so the caller can drop a file's bytes once it is added. The core reads
/// no RNG: the caller hands one to [`Conversion::files`].
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

/// A low guess of the bytes one user takes in an export, to reserve room for the records.
const BYTES_PER_USER_AT_LEAST: usize = 300;

/// Users handed from the reader to the mapper at a time.
const BATCH: usize = 512;

/// Users read but not yet mapped, with their index in the file.
type Batch<'a> = Vec<(CognitoUser<'a>, u64)>;

/// Maps a batch of users into records, collecting their unmapped group names.
fn map_batch(
    mapper: &Mapper,
    file: u32,
    batch: Batch<'_>,
    records: &mut Vec<Record>,
    groups: &mut Vec<String>,
) {
    let mut scratch = Vec::with_capacity(4096);
    for (user, index) in batch {
        let mut mapped = mapper.map(&user);
        groups.append(&mut mapped.unmapped_groups);
        records.push(Record::new(file, index, &user, mapped, &mut scratch));
    }
}

/// Reads a file's users in batches, handing each full batch, then the rest, to `deliver`.
/// Progress counts from `before`, the users read in earlier files.
fn read_in_batches<'a>(
    name: &str,
    file: usize,
    bytes: &'a [u8],
    before: usize,
    progress: &mut Option<Box<dyn FnMut(u64) + '_>>,
    deliver: &mut dyn FnMut(Batch<'a>),
) -> Result<FileSummary> {
    let mut batch = Vec::with_capacity(BATCH);
    let mut read = 0;
    let result = read_export(name, file, bytes, &mut |user, origin| {
        batch.push((user, origin.index));
        if batch.len() == BATCH {
            deliver(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            read += BATCH;
            report_progress(progress, before, read);
        }
    });
    deliver(batch);
    result
}

/// Every [`PROGRESS_EVERY`] users of a file, the users read so far over all files.
fn report_progress(progress: &mut Option<Box<dyn FnMut(u64) + '_>>, before: usize, read: usize) {
    if let Some(p) = progress.as_mut() {
        if read as u64 % PROGRESS_EVERY < BATCH as u64 {
            p((before + read) as u64);
        }
    }
}

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

    /// Calls `report` with the number of users read so far over all files (it never goes
    /// back), every 10,000 users of a file.
    pub fn on_progress(&mut self, report: impl FnMut(u64) + 'm) {
        self.progress = Some(Box::new(report));
    }

    /// Users read so far over all files (the files that could not be read count none).
    pub fn users_read(&self) -> u64 {
        self.records.len() as u64
    }

    /// Reads, maps and keeps the users of one export file.
    ///
    /// # Errors
    /// A read error naming the file, position, user and field; the conversion then holds
    /// none of this file's users, and its report an `unreadable-file` error that blocks the
    /// import files (a caller that goes on, like the console, still cannot write a pool with
    /// a file missing; the person removes the file to go on without it).
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) -> Result<&FileSummary> {
        let file = self.files.len();
        let before = self.records.len();
        let mut groups: Vec<String> = Vec::new();
        // Room for every user up front (exports run 400 to 700 bytes a user): reserving only
        // maps address space, and growing by doubling would copy every record on the way.
        self.records.reserve(bytes.len() / BYTES_PER_USER_AT_LEAST);
        let result = self.read_and_map(name, file, bytes, &mut groups);
        match result {
            Ok(summary) => {
                for g in groups {
                    *self.unmapped_groups.entry(g).or_default() += 1;
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
                let (index, username, field) = match e.kind() {
                    crate::ErrorKind::Read { pos, field, .. } => {
                        (pos.user_index, pos.username.clone(), field.clone())
                    }
                    _ => (None, None, None),
                };
                self.file_findings.push(Finding {
                    severity: Severity::Error,
                    code: Code::UnreadableFile,
                    file: name.to_owned(),
                    index,
                    username,
                    field,
                    message: format!(
                        "the file cannot be read, so its users are not in the import files: {e}"
                    ),
                });
                Err(e)
            }
        }
    }

    /// Reads users and maps them in batches, on this thread.
    #[cfg(not(feature = "parallel"))]
    fn read_and_map(
        &mut self,
        name: &str,
        file: usize,
        bytes: &[u8],
        groups: &mut Vec<String>,
    ) -> Result<FileSummary> {
        let Self {
            mapper,
            records,
            progress,
            ..
        } = self;
        let before = records.len();
        read_in_batches(name, file, bytes, before, progress, &mut |batch| {
            map_batch(mapper, file as u32, batch, records, groups);
        })
    }

    /// Reads users on this thread while worker threads map them (one per core): mapping
    /// costs about twice what reading does, so the cores stay busy. Batch `n` goes to worker
    /// `n % workers`, and the results are put back in batch order.
    #[cfg(feature = "parallel")]
    fn read_and_map(
        &mut self,
        name: &str,
        file: usize,
        bytes: &[u8],
        groups: &mut Vec<String>,
    ) -> Result<FileSummary> {
        let Self {
            mapper,
            records,
            progress,
            ..
        } = self;
        let mapper: &Mapper = mapper;
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8));
        std::thread::scope(|scope| {
            let mut senders = Vec::with_capacity(workers);
            let mut handles = Vec::with_capacity(workers);
            for _ in 0..workers {
                let (send, receive) = std::sync::mpsc::sync_channel::<Batch<'_>>(4);
                senders.push(send);
                handles.push(scope.spawn(move || {
                    let mut done: Vec<(Vec<Record>, Vec<String>)> = Vec::new();
                    for batch in receive {
                        let mut out = (Vec::with_capacity(batch.len()), Vec::new());
                        map_batch(mapper, file as u32, batch, &mut out.0, &mut out.1);
                        done.push(out);
                    }
                    done
                }));
            }
            let mut sent = 0;
            let before = records.len();
            let result = read_in_batches(name, file, bytes, before, progress, &mut |batch| {
                // A worker only stops early if it panicked, which join reports below.
                let _ = senders[sent % workers].send(batch);
                sent += 1;
            });
            drop(senders);
            let mut results = Vec::with_capacity(workers);
            for handle in handles {
                match handle.join() {
                    Ok(done) => results.push(done.into_iter()),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            // Batch n is the (n / workers)-th result of worker n % workers.
            'merge: for n in 0.. {
                match results[n % workers].next() {
                    Some((mapped, mut unmapped)) => {
                        records.extend(mapped);
                        groups.append(&mut unmapped);
                    }
                    None => break 'merge,
                }
            }
            result
        })
    }

    /// Validates across all users, applies the duplicate policy and builds the report.
    pub fn finish(mut self) -> Conversion {
        let settings = &self.mapper.rules().settings;
        let names: Vec<String> = self.files.iter().map(|f| f.name.clone()).collect();
        let resolution = resolve(&mut self.records, settings.on_duplicate, &names);

        let mut issues = self.file_findings;
        let mut excluded = Vec::new();
        for r in &mut self.records {
            let superseded = matches!(r.excluded(), Some((Code::DuplicateRecord, _)));
            let findings = r.take_findings();
            // A superseded copy's own findings would repeat those of the copy that is kept.
            if !superseded {
                issues.extend(findings.into_iter().map(|f| Finding {
                    severity: f.severity,
                    code: f.code,
                    file: names[r.file as usize].clone(),
                    index: Some(r.index),
                    username: Some(r.username().to_owned()),
                    field: Some(f.field).filter(|f| !f.is_empty()),
                    message: f.message,
                }));
            }
            if let Some((code, reason)) = r.excluded() {
                excluded.push(Excluded {
                    file: names[r.file as usize].clone(),
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
                    settings.on_duplicate.name()
                )
            }
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
            groups: settings
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
        let kept: Vec<Record> = if summary.blocked {
            Vec::new()
        } else {
            self.records
                .into_iter()
                .filter(|r| r.excluded().is_none())
                .collect()
        };
        summary.imported = kept.len() as u64;
        summary.chunks = kept.len().div_ceil(settings.chunk_size) as u64;
        summary.links = kept.iter().map(|r| r.links().len() as u64).sum();
        Conversion {
            report: Report {
                summary,
                issues,
                excluded,
                duplicates: resolution,
            },
            kept,
            chunk_size: settings.chunk_size,
            completion: Completion::new(settings),
        }
    }
}

/// The result of a bulk conversion.
#[derive(Debug, Clone)]
pub struct Conversion {
    report: Report,
    kept: Vec<Record>,
    chunk_size: usize,
    completion: Completion,
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
    /// `links.json` and `report.json` (only `report.json` when blocked). Each imported user
    /// gets a placeholder password from `random` as its file is built.
    pub fn files<'s>(
        &'s self,
        random: &'s mut dyn RandomSource,
    ) -> impl Iterator<Item = OutputFile> + 's {
        write_outputs(
            &self.kept,
            self.chunk_size,
            &self.report,
            &self.completion,
            random,
        )
    }

    /// The imported FusionAuth users in output order, as JSON values without the placeholder
    /// password (for previews and tests).
    pub fn users(&self) -> impl Iterator<Item = Value> + '_ {
        self.kept.iter().map(|r| self.completion.to_value(r.json()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn record() -> Record {
        let cognito = CognitoUser {
            username: "jane".into(),
            attributes: vec![
                ("sub".into(), "4320de44-2322-4620-999b-5e2e1c8df013".into()),
                ("email".into(), "Jane@Example.com".into()),
                ("phone_number".into(), "+15555550100".into()),
            ],
            ..CognitoUser::default()
        };
        let mapper = Rules::defaults().compile().unwrap();
        let mapped = mapper.map(&cognito);
        Record::new(0, 3, &cognito, mapped, &mut Vec::new())
    }

    #[test]
    fn a_record_packs_its_keys_and_reads_its_user_back() {
        let r = record();
        assert_eq!(r.username(), "jane");
        assert_eq!(r.id(), "4320de44-2322-4620-999b-5e2e1c8df013");
        assert_eq!(r.email(), Some("jane@example.com"));
        assert_eq!(r.sub(), Some(r.id()));
        assert_eq!(r.login_id(), Some("jane@example.com"));
        let user = r.user().unwrap();
        assert_eq!(user.email.as_deref(), Some("Jane@Example.com"));
    }

    #[test]
    fn a_broken_record_is_an_error_not_an_empty_user() {
        let mut r = record();
        let broken = "{\"id\":";
        r.text = broken.into();
        r.ends = [broken.len() as u32; PARTS];
        assert!(r.user().is_err());
    }
}
