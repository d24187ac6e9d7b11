//! Writing FusionAuth files: import chunks, login ids, link requests and the report.

use super::{append_placeholder, RandomSource};
use crate::convert::Record;
use crate::report::Report;
use crate::rules::PasswordScheme;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The file name (`users-0001.json`, `report.json`, ...).
    pub name: String,
    /// The file's bytes (UTF-8).
    pub content: Vec<u8>,
}

/// About the length of the placeholder password fields, to size each file's buffer once.
const PASSWORD_FIELDS_LEN: usize = 150;

/// The name of import chunk `n` (from 1).
fn chunk_name(n: usize) -> String {
    format!("users-{n:04}.json")
}

/// Import chunks first, then `login-ids.txt`, `links.json` and `report.json`. Nothing but the
/// report when the report says output is blocked. Files are built as the iterator is driven.
pub(crate) fn write_outputs<'r>(
    kept: &'r [Record],
    chunk_size: usize,
    report: &'r Report,
    scheme: &'r PasswordScheme,
    random: &'r mut dyn RandomSource,
) -> impl Iterator<Item = OutputFile> + 'r {
    let blocked = report.summary.blocked;
    let chunks = kept
        .chunks(chunk_size.max(1))
        .enumerate()
        .filter(move |_| !blocked)
        .map(move |(i, chunk)| OutputFile {
            name: chunk_name(i + 1),
            content: import_request(chunk, scheme, random),
        });
    let rest = (!blocked)
        .then(|| [login_ids(kept), links(kept)])
        .into_iter()
        .flatten();
    let report_file = std::iter::once_with(move || OutputFile {
        name: "report.json".into(),
        content: pretty(report),
    });
    chunks.chain(rest).chain(report_file)
}

/// `{"users":[...]}` from the users' stored JSON, without re-serializing them, each with its
/// placeholder password.
fn import_request(
    chunk: &[Record],
    scheme: &PasswordScheme,
    random: &mut dyn RandomSource,
) -> Vec<u8> {
    let size: usize = chunk
        .iter()
        .map(|r| r.json.len() + PASSWORD_FIELDS_LEN)
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(b"{\"users\":[");
    for (i, r) in chunk.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        append_placeholder(&r.json, scheme, random, &mut out);
    }
    out.extend_from_slice(b"]}\n");
    out
}

fn login_ids(kept: &[Record]) -> OutputFile {
    let mut content = String::new();
    for id in kept.iter().filter_map(Record::login_id) {
        content.push_str(id);
        content.push('\n');
    }
    OutputFile {
        name: "login-ids.txt".into(),
        content: content.into_bytes(),
    }
}

fn links(kept: &[Record]) -> OutputFile {
    let all: Vec<_> = kept.iter().flat_map(Record::links).collect();
    OutputFile {
        name: "links.json".into(),
        content: pretty(&all),
    }
}

fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing reports and links (strings, numbers, maps with string keys) cannot fail.
    let mut out = serde_json::to_vec_pretty(value).unwrap_or_default();
    out.push(b'\n');
    out
}
