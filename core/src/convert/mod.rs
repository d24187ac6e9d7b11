//! The bulk conversion: read every file → map every user → validate across users → output,
//! with every mapped user in memory ([`Converter`]) or streamed through a spool
//! ([`StreamConverter`]); both read and map through one pipeline (`pipeline`).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cognito::{read_export, FileSummary};
use crate::error::Result;
use crate::output::{write_outputs, Completion, OutputFile, RandomSource};
use crate::packed_user::PackedUser;
use crate::report::{assemble, Assembly, Code, Finding, Report, Severity};
use crate::rules::Mapper;
use crate::validate::duplicates::resolve;

mod key_index;
mod pipeline;
mod streamed;

pub use streamed::{
    map_unit, map_unit_watched, Gathering, Resolved, Spool, StreamConverter, StreamOutput, Watch,
};

use pipeline::{read_and_map, Progress};
#[cfg(test)]
use pipeline::{BATCH, PROGRESS_EVERY};

/// A low guess of the bytes one user takes in an export, to reserve room for the packed users.
const BYTES_PER_USER_AT_LEAST: usize = 300;

/// Runs a bulk conversion: add files one at a time, then [`finish`](Converter::finish).
///
/// Each file is read and mapped as it is added, and only the compact FusionAuth JSON of
/// each user is kept, so the caller can drop a file's bytes once it is added. The core reads
/// no RNG: the caller hands one to [`Conversion::files`].
pub struct Converter<'m> {
    mapper: &'m Mapper,
    read: FilesRead,
    packed: Vec<PackedUser>,
    /// Users read over all files, those of a file that failed part way included: the
    /// progress count, which never goes back.
    seen: usize,
    progress: Progress<'m>,
}

impl std::fmt::Debug for Converter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("files", &self.read.files)
            .field("users", &self.packed.len())
            .finish_non_exhaustive()
    }
}

impl<'m> Converter<'m> {
    /// A conversion with the given compiled rules.
    pub fn new(mapper: &'m Mapper) -> Self {
        Self {
            mapper,
            read: FilesRead::default(),
            packed: Vec::new(),
            seen: 0,
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
        self.packed.len() as u64
    }

    /// Reads, maps and keeps the users of one export file.
    ///
    /// # Errors
    /// A read error naming the file, position, user and field; the conversion then holds
    /// none of this file's users, and its report an `unreadable-file` error that blocks the
    /// import files (a caller that goes on, like the console, still cannot write a pool with
    /// a file missing; the person removes the file to go on without it).
    pub fn add_file(&mut self, name: &str, bytes: &[u8]) -> Result<&FileSummary> {
        let file = self.read.files.len();
        let before = self.packed.len();
        let mut groups: Vec<String> = Vec::new();
        // Room for every user up front (exports run 400 to 700 bytes a user): reserving only
        // maps address space, and growing by doubling would copy every packed user on the way.
        self.packed.reserve(bytes.len() / BYTES_PER_USER_AT_LEAST);
        let result = read_and_map(
            self.mapper,
            file,
            &mut |each| read_export(name, file, bytes, each),
            self.seen,
            &mut self.progress,
            &|users, unmapped| (users, unmapped),
            &mut |(mut users, mut unmapped)| {
                self.packed.append(&mut users);
                groups.append(&mut unmapped);
            },
        );
        self.seen += self.packed.len() - before;
        if result.is_err() {
            self.packed.truncate(before);
        }
        self.read.end(name, result, groups)
    }

    /// Validates across all users, applies the duplicate policy and has the report built.
    pub fn finish(mut self) -> Conversion {
        let settings = &self.mapper.rules().settings;
        let names: Vec<String> = self.read.files.iter().map(|f| f.name.clone()).collect();
        let resolution = resolve(&mut self.packed, settings.on_duplicate, &names);

        let (report, kept) = assemble(Assembly {
            settings,
            names: &names,
            files: self.read.files,
            file_findings: self.read.findings,
            packed: self.packed,
            duplicates: resolution,
            unmapped_groups: self.read.unmapped_groups,
        });
        Conversion {
            report,
            kept,
            chunk_size: settings.chunk_size,
            completion: Completion::new(settings),
        }
    }
}

/// The warning for a file that carries a pagination token.
fn truncated_export(name: &str) -> Finding {
    Finding {
        severity: Severity::Warning,
        code: Code::TruncatedExport,
        file: name.to_owned(),
        index: None,
        username: None,
        field: Some("NextToken".into()),
        message: "the file carries a pagination token: more users exist that are not in it \
                  (load every page, or export without --max-items)"
            .into(),
    }
}

/// The error for a file that cannot be read: it names the position, user and field.
fn unreadable_file(name: &str, e: &crate::Error) -> Finding {
    let (index, username, field) = match e.kind() {
        crate::ErrorKind::Read { pos, field, .. } => {
            (pos.user_index, pos.username.clone(), field.clone())
        }
        _ => (None, None, None),
    };
    Finding {
        severity: Severity::Error,
        code: Code::UnreadableFile,
        file: name.to_owned(),
        index,
        username,
        field,
        message: format!("the file cannot be read, so its users are not in the import files: {e}"),
    }
}

/// The files read so far and what reading them found: their summaries, the findings about
/// whole files (unreadable, truncated) and the Cognito groups of their users that no rule maps.
#[derive(Debug, Default)]
struct FilesRead {
    files: Vec<FileSummary>,
    findings: Vec<Finding>,
    unmapped_groups: BTreeMap<String, u64>,
}

impl FilesRead {
    /// Records the end of file `name`: read whole (with its users' unmapped group names), or
    /// the error that stopped it, as an `unreadable-file` finding.
    fn end(
        &mut self,
        name: &str,
        result: Result<FileSummary>,
        groups: Vec<String>,
    ) -> Result<&FileSummary> {
        match result {
            Ok(summary) => {
                for g in groups {
                    *self.unmapped_groups.entry(g).or_default() += 1;
                }
                if summary.truncated {
                    self.findings.push(truncated_export(name));
                }
                self.files.push(summary);
                Ok(&self.files[self.files.len() - 1])
            }
            Err(e) => {
                self.findings.push(unreadable_file(name, &e));
                Err(e)
            }
        }
    }
}

/// The result of a bulk conversion.
#[derive(Debug, Clone)]
pub struct Conversion {
    report: Report,
    kept: Vec<PackedUser>,
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
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::rules::{DuplicatePolicy, Rules};
    use crate::ErrorKind;

    /// A list-users page of `n` users named `{prefix}{i}`, with no email.
    fn page(prefix: &str, n: usize) -> Vec<u8> {
        let users: Vec<String> = (0..n)
            .map(|i| format!("{{\"Username\":\"{prefix}{i}\"}}"))
            .collect();
        format!("{{\"Users\":[{}]}}", users.join(",")).into_bytes()
    }

    /// The first count of users read at which progress is reported.
    fn first_report() -> usize {
        (PROGRESS_EVERY as usize).div_ceil(BATCH) * BATCH
    }

    #[test]
    fn each_file_is_read_mapped_and_counted_as_it_is_added() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let json = br#"{"Users":[
            {"Username":"ann","Attributes":[{"Name":"email","Value":"ann@example.com"}]},
            {"Username":"bob","Attributes":[{"Name":"email","Value":"bob@example.com"}]}]}"#;
        let summary = converter.add_file("a.json", json).unwrap();
        assert_eq!(
            (summary.name.as_str(), summary.shape, summary.users),
            ("a.json", crate::Shape::ListUsers, 2)
        );
        assert_eq!(converter.users_read(), 2);
        let csv = b"cognito:username,email\ncid,cid@example.com\n";
        let summary = converter.add_file("b.csv", csv).unwrap();
        assert_eq!((summary.shape, summary.users), (crate::Shape::Csv, 1));
        assert_eq!(converter.users_read(), 3);

        let conversion = converter.finish();
        assert!(!conversion.blocked());
        let s = &conversion.report().summary;
        assert_eq!((s.users_read, s.imported), (3, 3));
        let names: Vec<&str> = s.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.json", "b.csv"]);
        let emails: Vec<Value> = conversion.users().map(|u| u["email"].clone()).collect();
        assert_eq!(
            emails,
            ["ann@example.com", "bob@example.com", "cid@example.com"]
        );
    }

    #[test]
    fn progress_counts_the_users_of_earlier_files_too() {
        let n = first_report();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let sink = Rc::clone(&seen);
        converter.on_progress(move |read| sink.borrow_mut().push(read));
        // The first file ends with a partial batch, which counts in the second file's reports.
        converter.add_file("a.json", &page("a", n + 7)).unwrap();
        assert_eq!(*seen.borrow(), [n as u64]);
        converter.add_file("b.json", &page("b", n)).unwrap();
        assert_eq!(*seen.borrow(), [n as u64, (2 * n + 7) as u64]);
        assert_eq!(converter.users_read(), (2 * n + 7) as u64);
    }

    #[test]
    fn a_small_file_reports_no_progress() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let sink = Rc::clone(&seen);
        converter.on_progress(move |read| sink.borrow_mut().push(read));
        converter
            .add_file("a.json", &page("a", first_report() - 1))
            .unwrap();
        assert!(seen.borrow().is_empty(), "{:?}", seen.borrow());
    }

    #[test]
    fn progress_never_goes_back_after_a_file_that_fails_part_way() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let counts = Rc::new(RefCell::new(Vec::new()));
        let sink = Rc::clone(&counts);
        converter.on_progress(move |n| sink.borrow_mut().push(n));
        // Past two reports, then a bad value stops the file.
        let n = 2 * first_report() + BATCH;
        let mut bad = page("x", n);
        bad.truncate(bad.len() - 2);
        bad.extend_from_slice(br#",{"Username":"bad","Enabled":[1]}]}"#);
        assert!(converter.add_file("bad.json", &bad).is_err());
        assert_eq!(converter.users_read(), 0, "none of its users is kept");
        converter
            .add_file("good.json", &page("g", first_report()))
            .unwrap();
        let counts = counts.borrow();
        assert!(counts.len() >= 2, "{counts:?}");
        assert!(
            counts.windows(2).all(|w| w[0] <= w[1]),
            "went back: {counts:?}"
        );
    }

    #[test]
    fn an_unreadable_file_keeps_none_of_its_users_and_blocks_the_import_files() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let good = br#"{"Users":[{"Username":"ann","Groups":["staff"],
            "Attributes":[{"Name":"email","Value":"ann@example.com"}]}]}"#;
        converter.add_file("a.json", good).unwrap();
        // Two users are read (and mapped) before the bad value of the second stops the file.
        let bad = br#"{"Users":[{"Username":"x1","Groups":["ghosts"]},
            {"Username":"x2","Groups":["ghosts"],"Enabled":[1]}]}"#;
        let err = converter.add_file("bad.json", bad).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Read { .. }), "{err:?}");
        assert_eq!(converter.users_read(), 1);
        // A file after it is read as usual (its users name their own file).
        converter.add_file("c.json", &page("c", 1)).unwrap();
        assert_eq!(converter.users_read(), 2);

        let conversion = converter.finish();
        let report = conversion.report();
        let unreadable: Vec<&Finding> = report
            .issues
            .iter()
            .filter(|f| f.code == Code::UnreadableFile)
            .collect();
        assert_eq!(unreadable.len(), 1);
        let f = unreadable[0];
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(
            (
                f.file.as_str(),
                f.index,
                f.username.as_deref(),
                f.field.as_deref()
            ),
            ("bad.json", Some(1), Some("x2"), Some("Enabled"))
        );
        // None of its users is counted, reported or named in the unmapped groups.
        assert!(report
            .issues
            .iter()
            .all(|f| f.file != "bad.json" || f.code == Code::UnreadableFile));
        assert!(report
            .issues
            .iter()
            .any(|f| f.code == Code::MissingEmail && f.file == "c.json"));
        let s = &report.summary;
        assert_eq!(s.users_read, 2);
        let names: Vec<&str> = s.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a.json", "c.json"]);
        assert_eq!(
            s.unmapped_groups.keys().collect::<Vec<_>>(),
            [&"staff".to_owned()]
        );
        assert!(conversion.blocked());
        assert_eq!(conversion.users().count(), 0);
        let mut random = |buf: &mut [u8]| buf.fill(0);
        let files: Vec<String> = conversion.files(&mut random).map(|f| f.name).collect();
        assert_eq!(files, ["report.json"]);
    }

    #[test]
    fn finish_applies_the_duplicate_policy_and_the_chunk_size_across_files() {
        let mut rules = Rules::defaults();
        rules.settings.on_duplicate = DuplicatePolicy::KeepFirst;
        rules.settings.chunk_size = 1;
        let mapper = rules.compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let a = br#"{"Users":[{"Username":"ann","Attributes":[{"Name":"email","Value":"ann@example.com"}]},
            {"Username":"bob","Attributes":[{"Name":"email","Value":"bob@example.com"}]}]}"#;
        let b = br#"{"Users":[{"Username":"ann2","Attributes":[{"Name":"email","Value":"ANN@example.com"}]}]}"#;
        converter.add_file("a.json", a).unwrap();
        converter.add_file("b.json", b).unwrap();
        let conversion = converter.finish();
        assert!(!conversion.blocked());
        let report = conversion.report();
        assert_eq!(report.summary.duplicate_policy, "keep-first");
        assert_eq!(report.excluded.len(), 1);
        let excluded = &report.excluded[0];
        assert_eq!(
            (
                excluded.file.as_str(),
                excluded.username.as_str(),
                excluded.code
            ),
            ("b.json", "ann2", Code::DuplicateEmail)
        );
        assert_eq!(report.duplicates[0].value, "ann@example.com");
        let mut random = |buf: &mut [u8]| buf.fill(0);
        let files: Vec<String> = conversion.files(&mut random).map(|f| f.name).collect();
        assert_eq!(
            files,
            [
                "users-0001.json",
                "users-0002.json",
                "login-ids.txt",
                "links.json",
                "report.json"
            ]
        );
    }

    #[test]
    fn a_pagination_token_is_a_truncated_export_warning() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        let page = br#"{"Users":[{"Username":"ann","Attributes":[{"Name":"email","Value":"ann@example.com"}]}],
            "NextToken":"more"}"#;
        assert!(converter.add_file("a.json", page).unwrap().truncated);
        let conversion = converter.finish();
        assert!(!conversion.blocked());
        let f = &conversion.report().issues[0];
        assert_eq!(
            (f.severity, f.code, f.file.as_str(), f.field.as_deref()),
            (
                Severity::Warning,
                Code::TruncatedExport,
                "a.json",
                Some("NextToken")
            )
        );
    }
}
