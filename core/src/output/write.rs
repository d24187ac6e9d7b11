//! Writing FusionAuth files: import chunks, login ids, link requests and the report.

use serde::Serialize;

use super::password::{placeholder_fields, scheme_fields, RandomSource};
use crate::fusionauth::{ascii_json, UserRegistration};
use crate::packed_user::PackedUser;
use crate::report::Report;
use crate::rules::Settings;

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

/// What every bulk user gets when its file is written rather than when it is mapped: the
/// run-wide fields (`tenantId`, `registrations`), which are the same for all users and so are
/// not stored a hundred thousand times, and the placeholder password.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    /// `"tenantId":…,"registrations":[…]`, or nothing.
    shared: Vec<u8>,
    /// The placeholder password's scheme and factor, from [`scheme_fields`].
    scheme: Vec<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shared<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    registrations: Vec<UserRegistration>,
}

impl Completion {
    pub(crate) fn new(settings: &Settings) -> Self {
        let shared = Shared {
            tenant_id: settings.tenant_id.as_deref(),
            registrations: settings.user_registrations(),
        };
        // Serializing strings cannot fail.
        let json = ascii_json(serde_json::to_vec(&shared).unwrap_or_default());
        let inner = json
            .get(1..json.len().saturating_sub(1))
            .unwrap_or_default();
        Self {
            shared: inner.to_vec(),
            scheme: scheme_fields(&settings.password),
        }
    }

    /// A user's stored JSON with the run-wide fields, without a password, as a JSON value
    /// (for previews and tests).
    pub(crate) fn to_value(&self, json: &[u8]) -> serde_json::Value {
        let mut out = Vec::with_capacity(json.len() + self.shared.len() + 2);
        self.write(json, None, &mut out);
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
    }

    /// Writes a user's stored JSON with the run-wide fields and, given `random`, a
    /// placeholder password added.
    pub(crate) fn write(
        &self,
        json: &[u8],
        random: Option<&mut dyn RandomSource>,
        out: &mut Vec<u8>,
    ) {
        let body = json.strip_suffix(b"}").unwrap_or(json);
        out.extend_from_slice(body);
        // Only "{" so far: the next field needs no comma.
        let mut bare = body.len() <= 1;
        if !self.shared.is_empty() {
            if !bare {
                out.push(b',');
            }
            out.extend_from_slice(&self.shared);
            bare = false;
        }
        if let Some(random) = random {
            if !bare {
                out.push(b',');
            }
            placeholder_fields(&self.scheme, random, out);
        }
        out.push(b'}');
    }
}

/// The name of import chunk `n` (from 1).
fn chunk_name(n: usize) -> String {
    format!("users-{n:04}.json")
}

/// Import chunks first, then `login-ids.txt`, `links.json` and `report.json`. Nothing but the
/// report when the report says output is blocked. Files are built as the iterator is driven.
pub(crate) fn write_outputs<'r>(
    kept: &'r [PackedUser],
    chunk_size: usize,
    report: &'r Report,
    completion: &'r Completion,
    random: &'r mut dyn RandomSource,
) -> impl Iterator<Item = OutputFile> + 'r {
    let blocked = report.summary.blocked;
    let chunks = kept
        .chunks(chunk_size.max(1))
        .enumerate()
        .filter(move |_| !blocked)
        .map(move |(i, chunk)| OutputFile {
            name: chunk_name(i + 1),
            content: import_request(chunk, completion, random),
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
    chunk: &[PackedUser],
    completion: &Completion,
    random: &mut dyn RandomSource,
) -> Vec<u8> {
    let size: usize = chunk
        .iter()
        .map(|r| r.json().len() + completion.shared.len() + PASSWORD_FIELDS_LEN)
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(b"{\"users\":[");
    for (i, r) in chunk.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        completion.write(r.json(), Some(&mut *random), &mut out);
    }
    out.extend_from_slice(b"]}\n");
    out
}

fn login_ids(kept: &[PackedUser]) -> OutputFile {
    let mut content = String::new();
    for id in kept.iter().filter_map(PackedUser::reset_login_id) {
        content.push_str(id);
        content.push('\n');
    }
    OutputFile {
        name: "login-ids.txt".into(),
        content: content.into_bytes(),
    }
}

fn links(kept: &[PackedUser]) -> OutputFile {
    let all: Vec<_> = kept.iter().flat_map(PackedUser::links).collect();
    OutputFile {
        name: "links.json".into(),
        content: pretty(&all),
    }
}

fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing reports and links (strings, numbers, maps with string keys) cannot fail.
    let mut out = ascii_json(serde_json::to_vec_pretty(value).unwrap_or_default());
    out.push(b'\n');
    out
}
