//! The output files written as the users come, one user at a time in output order, in
//! pieces: what a conversion too large for memory writes (see `convert::streamed`). The bytes
//! are those [`write_outputs`](super::write_outputs) writes for the same users and report.

use serde::Serialize;

use super::password::RandomSource;
use super::write::{chunk_name, pretty, Completion};
use crate::fusionauth::ascii_json;
use crate::packed_user::PackedUser;
use crate::report::{placed_findings, Finding, Report};

/// Part of an output file: appended to the file `name`, which is whole once a piece says it is
/// `complete`. Files complete in the order [`Conversion::files`](crate::Conversion::files)
/// yields them: the import chunks, `login-ids.txt`, `links.json`, `report.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputPiece {
    /// The file name (`users-0001.json`, `report.json`, ...).
    pub name: String,
    /// The bytes that follow the file's earlier pieces.
    pub bytes: Vec<u8>,
    /// The last piece of the file.
    pub complete: bool,
}

/// Buffered bytes of a growing file are handed out past this size.
const PIECE: usize = 1 << 20;

/// The key that introduces the findings in `report.json`, as serde_json pretty-prints it for
/// an empty list (strings cannot hold a raw newline, so only the key matches).
const ISSUES: &[u8] = b"\n  \"issues\": []";

/// One growing file that is not an import chunk.
#[derive(Debug)]
struct Growing {
    name: String,
    bytes: Vec<u8>,
    /// Entries written (to place the commas of a JSON list).
    entries: u64,
}

impl Growing {
    fn new(name: impl Into<String>, start: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            bytes: start,
            entries: 0,
        }
    }

    /// Hands out what is buffered when it is large (or, with `complete`, all of it).
    fn flush(&mut self, complete: bool, emit: &mut dyn FnMut(OutputPiece)) {
        if complete || self.bytes.len() >= PIECE {
            emit(OutputPiece {
                name: self.name.clone(),
                bytes: std::mem::take(&mut self.bytes),
                complete,
            });
        }
    }

    /// Adds `value` as the next element of a pretty JSON list whose elements are indented by
    /// `indent`, as serde_json's pretty printer places them.
    fn element(&mut self, value: &impl Serialize, indent: &[u8]) {
        self.bytes
            .extend_from_slice(if self.entries == 0 { b"\n" } else { b",\n" });
        self.entries += 1;
        let text = pretty(value);
        let text = text.strip_suffix(b"\n").unwrap_or(&text);
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                self.bytes.push(b'\n');
            }
            self.bytes.extend_from_slice(indent);
            self.bytes.extend_from_slice(line);
        }
    }
}

/// What sees each finding as it is written.
pub(crate) type Watch<'a> = Box<dyn FnMut(&Finding) + 'a>;

/// Writes the output files from users handed one at a time, in output order (excluded users
/// included: their findings go to the report).
pub(crate) struct StreamWriter<'a> {
    names: Vec<String>,
    chunk_size: usize,
    completion: Completion,
    /// Where placeholder passwords come from; none when only the report is written (as
    /// when the report blocks the import files).
    random: Option<Box<dyn RandomSource + 'a>>,
    /// The import chunk being written, and how many came before it.
    chunk: Growing,
    chunks: usize,
    login_ids: Growing,
    links: Growing,
    report: Growing,
    /// `report.json` after its findings.
    report_tail: Vec<u8>,
    /// Sees each finding as it is written (a console's digest of the report).
    watch: Option<Watch<'a>>,
}

impl<'a> StreamWriter<'a> {
    /// A writer for a run whose report is `report` without its findings (the users bring
    /// them), with `names` the input files by position.
    pub(crate) fn new(
        names: Vec<String>,
        report: &Report,
        completion: Completion,
        random: Option<Box<dyn RandomSource + 'a>>,
    ) -> Self {
        let head = ascii_json(serde_json::to_vec_pretty(report).unwrap_or_default());
        // Split at the (empty) findings list: `…"issues": [` | `]…`.
        let at = head
            .windows(ISSUES.len())
            .position(|w| w == ISSUES)
            .map_or(head.len(), |i| i + ISSUES.len() - 1);
        let mut report_tail = head[at.min(head.len())..].to_vec();
        report_tail.push(b'\n');
        Self {
            names,
            chunk_size: report.summary.chunk_size.max(1),
            completion,
            random: random.filter(|_| !report.summary.blocked),
            chunk: Growing::new(chunk_name(1), Vec::new()),
            chunks: 0,
            login_ids: Growing::new("login-ids.txt", Vec::new()),
            links: Growing::new("links.json", b"[".to_vec()),
            report: Growing::new("report.json", head[..at.min(head.len())].to_vec()),
            report_tail,
            watch: None,
        }
    }

    /// Hands `watch` each finding from now on, as it is written.
    pub(crate) fn watch(&mut self, watch: Watch<'a>) {
        self.watch = Some(watch);
    }

    /// Adds a finding about a whole file (they come before the users' findings).
    pub(crate) fn finding(&mut self, finding: &Finding, emit: &mut dyn FnMut(OutputPiece)) {
        self.add_finding(finding);
        self.report.flush(false, emit);
    }

    fn add_finding(&mut self, finding: &Finding) {
        self.report.element(finding, b"    ");
        if let Some(watch) = self.watch.as_deref_mut() {
            watch(finding);
        }
    }

    /// Takes the next user: its findings go to the report and, unless it is excluded or the
    /// output blocked, itself to the import files.
    pub(crate) fn user(&mut self, mut r: PackedUser, emit: &mut dyn FnMut(OutputPiece)) {
        for finding in placed_findings(&self.names, &mut r) {
            self.add_finding(&finding);
        }
        self.report.flush(false, emit);
        let Some(random) = self.random.as_deref_mut() else {
            return;
        };
        if r.excluded().is_some() {
            return;
        }
        if let Some(id) = r.reset_login_id() {
            self.login_ids.bytes.extend_from_slice(id.as_bytes());
            self.login_ids.bytes.push(b'\n');
            self.login_ids.flush(false, emit);
        }
        for link in r.links() {
            self.links.element(link, b"  ");
        }
        self.links.flush(false, emit);
        // `{"users":[…]}` as `import_request` writes it, a user at a time.
        let chunk = &mut self.chunk;
        chunk.bytes.extend_from_slice(if chunk.entries == 0 {
            b"{\"users\":["
        } else {
            b","
        });
        chunk.entries += 1;
        self.completion
            .write(r.json(), Some(random), &mut chunk.bytes);
        if chunk.entries as usize == self.chunk_size {
            self.end_chunk(emit);
        } else {
            chunk.flush(false, emit);
        }
    }

    /// Completes the import chunk being written and starts the next.
    fn end_chunk(&mut self, emit: &mut dyn FnMut(OutputPiece)) {
        self.chunks += 1;
        self.chunk.bytes.extend_from_slice(b"]}\n");
        self.chunk.flush(true, emit);
        self.chunk = Growing::new(chunk_name(self.chunks + 1), Vec::new());
    }

    /// Completes every file after the last user.
    pub(crate) fn finish(mut self, emit: &mut dyn FnMut(OutputPiece)) {
        if self.random.is_some() {
            if self.chunk.entries > 0 {
                self.end_chunk(emit);
            }
            self.login_ids.flush(true, emit);
            let close: &[u8] = if self.links.entries == 0 {
                b"]\n"
            } else {
                b"\n]\n"
            };
            self.links.bytes.extend_from_slice(close);
            self.links.flush(true, emit);
        }
        if self.report.entries > 0 {
            self.report.bytes.extend_from_slice(b"\n  ");
        }
        self.report.bytes.extend_from_slice(&self.report_tail);
        self.report.flush(true, emit);
    }
}
