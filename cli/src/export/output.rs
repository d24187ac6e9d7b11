//! The output file, written as a stream so memory stays flat however large the pool:
//! `{"Users":[`, one user per line, `]}`. It is written to `<FILE>.partial` (mode 0600: it
//! holds personal data; created with `O_EXCL` and `O_NOFOLLOW`, reopened on resume with
//! `O_NOFOLLOW`, so a symlink there is never written through), synced after every page, and
//! renamed over FILE only when the listing is complete.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::private::{create_new_private, make_private, no_follow, sync_parent};
use serde::{Deserialize, Serialize};

/// The document's opening, on a line of its own.
const HEADER: &[u8] = b"{\"Users\":[\n";
/// The document's end, after the last user's line.
const FOOTER: &[u8] = b"\n]}\n";

/// `<file><suffix>`, beside `file`.
pub(crate) fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The partial file being written.
#[derive(Debug)]
pub(crate) struct Output {
    path: PathBuf,
    file: BufWriter<File>,
    /// Bytes written so far (flushed or not).
    bytes: u64,
    /// Users written so far.
    users: u64,
    /// One user's JSON, reused from user to user.
    line: Vec<u8>,
}

impl Output {
    /// Starts a new partial file at `path`, replacing a regular file of this user there (see
    /// [`create_new_private`]).
    ///
    /// # Errors
    ///
    /// When something else has the name (a symlink), or the file cannot be created or written.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let mut file = BufWriter::new(create_new_private(path)?);
        file.write_all(HEADER)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Output {
            path: path.to_owned(),
            file,
            bytes: HEADER.len() as u64,
            users: 0,
            line: Vec::new(),
        })
    }

    /// Reopens the partial file at `path` where a checkpoint left it: `bytes` long with `users`
    /// users. Whatever follows (a page cut short) is dropped.
    ///
    /// # Errors
    ///
    /// When the file is missing, shorter than the checkpoint says, or not cut at a user's end.
    pub(crate) fn resume(path: &Path, bytes: u64, users: u64) -> Result<Self> {
        // O_NOFOLLOW: a symlink planted at the name fails to open instead of being written
        // through.
        let mut file = no_follow(OpenOptions::new().read(true).write(true))
            .open(path)
            .with_context(|| format!("cannot open {} to resume", path.display()))?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            bail!(
                "{} is not a regular file; delete it and its checkpoint and export again",
                path.display()
            );
        }
        make_private(&file, path)?;
        let len = meta.len();
        if len < bytes {
            bail!(
                "{} has {len} bytes but the checkpoint counts {bytes}: it was changed or lost \
                 data; delete it and its checkpoint and export again",
                path.display()
            );
        }
        let mut head = vec![0; HEADER.len()];
        file.read_exact(&mut head)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut last = [0u8];
        file.seek(SeekFrom::Start(bytes.saturating_sub(1)))?;
        file.read_exact(&mut last)?;
        let expected_last = if users == 0 { b'\n' } else { b'}' };
        if head != HEADER || bytes < HEADER.len() as u64 || last[0] != expected_last {
            bail!(
                "{} does not match its checkpoint; delete both and export again",
                path.display()
            );
        }
        file.set_len(bytes)
            .with_context(|| format!("cannot truncate {}", path.display()))?;
        file.seek(SeekFrom::End(0))?;
        Ok(Output {
            path: path.to_owned(),
            file: BufWriter::new(file),
            bytes,
            users,
            line: Vec::new(),
        })
    }

    /// Appends one user.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub(crate) fn write_user(&mut self, user: &impl Serialize) -> Result<()> {
        self.line.clear();
        if self.users > 0 {
            self.line.extend_from_slice(b",\n");
        }
        serde_json::to_writer(&mut self.line, user)?;
        self.file
            .write_all(&self.line)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.bytes += self.line.len() as u64;
        self.users += 1;
        Ok(())
    }

    /// Writes what was written to the disk (it survives the process being killed and a power
    /// loss) and returns the file's length, for the checkpoint: a synced checkpoint never
    /// counts bytes the disk does not have.
    ///
    /// # Errors
    ///
    /// When the file cannot be written or synced.
    pub(crate) fn flush(&mut self) -> Result<u64> {
        self.file
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.file
            .get_ref()
            .sync_data()
            .with_context(|| format!("cannot sync {}", self.path.display()))?;
        Ok(self.bytes)
    }

    /// Ends the document, syncs it to disk and renames it to `out`.
    ///
    /// # Errors
    ///
    /// When the file cannot be written, synced or renamed.
    pub(crate) fn finish(mut self, out: &Path) -> Result<()> {
        self.file
            .write_all(FOOTER)
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        let file = self
            .file
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        file.sync_all()
            .with_context(|| format!("cannot sync {}", self.path.display()))?;
        drop(file);
        std::fs::rename(&self.path, out).with_context(|| {
            format!("cannot rename {} to {}", self.path.display(), out.display())
        })?;
        // The rename itself is durable once the folder is synced.
        sync_parent(out)
    }
}

/// A set of `sub`s, small for the usual UUIDs (16 bytes each).
#[derive(Debug, Default)]
pub(crate) struct Subs {
    uuids: HashSet<u128>,
    others: HashSet<String>,
}

impl Subs {
    /// Adds `sub`.
    pub(crate) fn insert(&mut self, sub: &str) {
        match uuid_bits(sub) {
            Some(bits) => self.uuids.insert(bits),
            None => self.others.insert(sub.to_owned()),
        };
    }

    /// Whether `sub` is in the set.
    pub(crate) fn contains(&self, sub: &str) -> bool {
        match uuid_bits(sub) {
            Some(bits) => self.uuids.contains(&bits),
            None => self.others.contains(sub),
        }
    }

    /// How many `sub`s the set holds.
    pub(crate) fn len(&self) -> usize {
        self.uuids.len() + self.others.len()
    }
}

/// The 128 bits of a lowercase hyphenated UUID, the form Cognito writes `sub` in.
fn uuid_bits(text: &str) -> Option<u128> {
    let b = text.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let mut bits = 0u128;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            continue;
        }
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        bits = bits << 4 | u128::from(digit);
    }
    Some(bits)
}

/// One user line of the partial file, as far as `sub` goes.
#[derive(Deserialize)]
struct UserLine {
    #[serde(rename = "Attributes", default)]
    attributes: Vec<AttributeLine>,
}

/// One attribute of a user line.
#[derive(Deserialize)]
struct AttributeLine {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value", default)]
    value: Option<String>,
}

/// The `sub`s of the users in the first `bytes` bytes of the partial file at `path`.
///
/// # Errors
///
/// When the file cannot be read or a user line is not JSON.
pub(crate) fn known_subs(path: &Path, bytes: u64) -> Result<Subs> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut reader = BufReader::new(file.take(bytes));
    let mut subs = Subs::default();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(subs);
        }
        number += 1;
        let json = line.trim_end().trim_end_matches(',');
        if number == 1 || json.is_empty() {
            continue;
        }
        let user: UserLine = serde_json::from_str(json)
            .with_context(|| format!("{} line {number} is not a user", path.display()))?;
        if let Some(sub) = user
            .attributes
            .into_iter()
            .find(|a| a.name == "sub")
            .and_then(|a| a.value)
        {
            subs.insert(&sub);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn user(n: u32) -> Value {
        json!({"Username": format!("u{n}"), "Attributes": [
            {"Name": "sub", "Value": format!("00000000-0000-4000-8000-{n:012}")},
            {"Name": "email", "Value": format!("u{n}@example.com")}
        ]})
    }

    #[test]
    fn a_finished_file_is_one_json_document() {
        let dir = tempfile::tempdir().unwrap();
        let (partial, out) = (dir.path().join("u.json.partial"), dir.path().join("u.json"));
        let mut output = Output::create(&partial).unwrap();
        for n in 0..3 {
            output.write_user(&user(n)).unwrap();
        }
        output.finish(&out).unwrap();
        assert!(!partial.exists());
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc, json!({"Users": [user(0), user(1), user(2)]}));
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(text.lines().count(), 5, "one line per user:\n{text}");
    }

    #[test]
    fn an_empty_pool_gives_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("u.json");
        Output::create(&sibling(&out, ".partial"))
            .unwrap()
            .finish(&out)
            .unwrap();
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc, json!({"Users": []}));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_even_over_an_existing_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (partial, out) = (dir.path().join("p"), dir.path().join("o"));
        std::fs::write(&partial, "old").unwrap();
        std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o644)).unwrap();
        Output::create(&partial).unwrap().finish(&out).unwrap();
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn resuming_drops_a_page_cut_short_and_continues() {
        let dir = tempfile::tempdir().unwrap();
        let (partial, out) = (dir.path().join("p"), dir.path().join("o"));
        let mut output = Output::create(&partial).unwrap();
        output.write_user(&user(0)).unwrap();
        output.write_user(&user(1)).unwrap();
        let bytes = output.flush().unwrap();
        output.write_user(&user(2)).unwrap();
        output.flush().unwrap();
        drop(output);
        // A killed process may also leave half a user.
        let mut f = OpenOptions::new().append(true).open(&partial).unwrap();
        f.write_all(b",\n{\"Username\": \"u9").unwrap();
        drop(f);

        let mut output = Output::resume(&partial, bytes, 2).unwrap();
        output.write_user(&user(3)).unwrap();
        output.finish(&out).unwrap();
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc, json!({"Users": [user(0), user(1), user(3)]}));
    }

    #[test]
    fn resuming_an_empty_file_at_the_header_works() {
        let dir = tempfile::tempdir().unwrap();
        let (partial, out) = (dir.path().join("p"), dir.path().join("o"));
        let bytes = Output::create(&partial).unwrap().flush().unwrap();
        let mut output = Output::resume(&partial, bytes, 0).unwrap();
        output.write_user(&user(5)).unwrap();
        output.finish(&out).unwrap();
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc, json!({"Users": [user(5)]}));
    }

    #[test]
    fn resuming_a_file_shorter_than_its_checkpoint_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        let mut output = Output::create(&partial).unwrap();
        output.write_user(&user(0)).unwrap();
        let bytes = output.flush().unwrap();
        drop(output);
        let err = Output::resume(&partial, bytes + 10, 1).unwrap_err();
        assert!(err.to_string().contains("the checkpoint counts"), "{err}");
        let err = Output::resume(&partial, bytes - 1, 1).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
    }

    #[test]
    fn known_subs_reads_every_written_user_back() {
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("p");
        let mut output = Output::create(&partial).unwrap();
        for n in 0..4 {
            output.write_user(&user(n)).unwrap();
        }
        output
            .write_user(
                &json!({"Username": "x", "Attributes": [{"Name": "sub", "Value": "not-a-uuid"}]}),
            )
            .unwrap();
        let bytes = output.flush().unwrap();
        let subs = known_subs(&partial, bytes).unwrap();
        assert_eq!(subs.len(), 5);
        assert!(subs.contains("00000000-0000-4000-8000-000000000003"));
        assert!(subs.contains("not-a-uuid"));
        assert!(!subs.contains("00000000-0000-4000-8000-000000000004"));
    }

    #[test]
    fn uuids_are_kept_as_128_bits_and_other_subs_as_text() {
        assert_eq!(
            uuid_bits("0123abcd-0000-4000-8000-00000000000f"),
            Some(0x0123abcd_0000_4000_8000_00000000000f)
        );
        assert_eq!(uuid_bits("0123ABCD-0000-4000-8000-00000000000F"), None);
        assert_eq!(uuid_bits("0123abcd00004000800000000000000f"), None);
        let mut subs = Subs::default();
        subs.insert("0123ABCD-0000-4000-8000-00000000000F");
        assert!(!subs.contains("0123abcd-0000-4000-8000-00000000000f"));
    }
}
