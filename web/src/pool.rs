//! The loaded exports, held by the worker: each file as it was chosen (a `Blob` outside WASM
//! memory), what reading it found, and a search index of usernames and emails.
//!
//! Files are read once when loaded, a slice at a time — by the conversion the load starts,
//! which reports their shape and errors and indexes their users as it converts them — and
//! again by every later conversion and record shown; no file is ever whole in WASM memory,
//! so a pool of any size loads.

use std::cell::Cell;

use cognito_fusionauth::cognito::{Origin, Unit};
use cognito_fusionauth::{CognitoUser, FileSummary, SlicedExport};

use crate::held::Held;
use crate::protocol::{LoadedFile, UserHit, SEARCH_LIMIT};
use crate::search::{Entry, Mark, SearchIndex};

/// The exports loaded so far.
#[derive(Debug)]
pub struct Pool<B> {
    inputs: Vec<Input<B>>,
    index: SearchIndex,
}

impl<B> Default for Pool<B> {
    fn default() -> Self {
        Self {
            inputs: Vec::new(),
            index: SearchIndex::default(),
        }
    }
}

/// One loaded file.
#[derive(Debug)]
pub struct Input<B> {
    /// Its bytes.
    pub held: B,
    /// What reading it found.
    pub loaded: LoadedFile,
}

impl<B: Held> Pool<B> {
    /// Reads and indexes one file; a file that cannot be read is kept with its error, which
    /// its conversions report (blocking the import files). `progress` gets the users read so far.
    pub fn add(&mut self, name: String, held: B, progress: &mut dyn FnMut(u64)) -> &LoadedFile {
        let file = self.inputs.len();
        let mark = self.index.start_file();
        let index = &mut self.index;
        let read = read_users(&name, file, &held, &mut |user, origin| {
            index.push(&user.username, user.attribute("email"));
            if origin.index % PROGRESS_EVERY == 0 {
                progress(origin.index);
            }
            true
        })
        .and_then(|summary| summary.ok_or_else(|| format!("{name}: the reading stopped early")));
        self.end_file(mark, name, held, read)
    }

    /// Starts adding a file whose users another reads (a conversion's mapping workers):
    /// they come through [`index`](Self::index), then the file through
    /// [`end_file`](Self::end_file).
    pub fn start_file(&mut self) -> Mark {
        self.index.start_file()
    }

    /// Indexes the next users of the file being added, as [`SearchIndex::pack`] packed them.
    pub fn index(&mut self, packed: &[u8]) {
        self.index.push_packed(packed);
    }

    /// Adds the file started at `mark` with what reading it found: its users are kept in the
    /// index if it could be read, taken back otherwise.
    pub fn end_file(
        &mut self,
        mark: Mark,
        name: String,
        held: B,
        read: Result<FileSummary, String>,
    ) -> &LoadedFile {
        self.index.end_file(mark, read.is_ok());
        let loaded = LoadedFile {
            name,
            bytes: held.size_bytes(),
            read,
        };
        self.inputs.push(Input { held, loaded });
        &self.inputs[self.inputs.len() - 1].loaded
    }

    /// One user's Cognito record as pretty JSON, read again from its file (up to the user).
    ///
    /// # Errors
    /// When there is no such user, or the file cannot be read again.
    pub fn record(&self, file: usize, index: u64) -> Result<(UserHit, String), String> {
        let missing = || format!("there is no user {index} in file {file}");
        let input = self.inputs.get(file).ok_or_else(missing)?;
        let entry = self
            .index
            .entries()
            .find(|e| e.file == file && e.index == index)
            .ok_or_else(missing)?;
        let mut json = None;
        // Reading the file again costs less memory than keeping a copy of every record.
        let _ = read_users(
            &input.loaded.name,
            file,
            &input.held,
            &mut |user, origin| {
                if origin.index == index {
                    json = serde_json::to_string_pretty(user).ok();
                }
                json.is_none()
            },
        );
        let json = json.ok_or_else(missing)?;
        Ok((self.hit(&entry), json))
    }
}

impl<B> Pool<B> {
    /// Every file, in load order.
    pub fn files(&self) -> Vec<LoadedFile> {
        self.inputs.iter().map(|i| i.loaded.clone()).collect()
    }

    /// The files with their bytes, in load order.
    pub fn inputs(&self) -> &[Input<B>] {
        &self.inputs
    }

    /// Users in the files that could be read.
    pub fn users(&self) -> u64 {
        self.index.users()
    }

    /// Users whose username or email contains `query`, ignoring ASCII case; the first users
    /// of the pool when `query` is blank.
    pub fn search(&self, query: &str) -> Vec<UserHit> {
        let query = query.trim().as_bytes();
        self.index
            .entries()
            .filter(|e| {
                contains_ignore_case(e.username.as_bytes(), query)
                    || e.email
                        .is_some_and(|m| contains_ignore_case(m.as_bytes(), query))
            })
            .take(SEARCH_LIMIT)
            .map(|e| self.hit(&e))
            .collect()
    }

    fn hit(&self, e: &Entry<'_>) -> UserHit {
        UserHit {
            file: e.file,
            file_name: self.inputs[e.file].loaded.name.clone(),
            index: e.index,
            username: e.username.to_owned(),
            email: e.email.map(str::to_owned),
        }
    }
}

/// Reads file `name` (the `file`-th) a slice at a time into `each` (the user and its place),
/// which says whether to go on: the file's summary (none when stopped early), or its first
/// error naming the file, position and user.
fn read_users<B: Held>(
    name: &str,
    file: usize,
    held: &B,
    each: &mut dyn FnMut(&CognitoUser<'_>, Origin) -> bool,
) -> Result<Option<FileSummary>, String> {
    let mut export = SlicedExport::new(name, file);
    let going = Cell::new(true);
    let mut reader = |unit: &Unit<'_>| {
        unit.read(&mut |user, origin| {
            if going.get() {
                going.set(each(&user, origin));
            }
        })
    };
    // A read error names the file itself; the browser's does not.
    let mut named = false;
    held.slices(&mut |slice| {
        export.feed(slice, &mut reader).map_err(|e| {
            named = true;
            e.to_string()
        })?;
        Ok(going.get())
    })
    .map_err(|e| {
        if named {
            e
        } else {
            format!("{name}: cannot be read: {e}")
        }
    })?;
    if !going.get() {
        return Ok(None);
    }
    export
        .finish(&mut reader)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// How often loading reports progress, in users.
const PROGRESS_EVERY: u64 = 10_000;

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use cognito_fusionauth::Shape;

    const PAGE: &str = r#"{"Users":[
        {"Username":"ann","Attributes":[{"Name":"email","Value":"Ann@Example.com"}]},
        {"Username":"bob","Attributes":[{"Name":"email","Value":"bob@example.com"}]},
        {"Username":"carol"}]}"#;

    /// A `list-users` page of `n` users `user0`…, with `email(i)` and a padding attribute, a few
    /// megabytes: larger than a test slice.
    pub(crate) fn padded_page(n: u64, email: impl Fn(u64) -> String) -> Vec<u8> {
        let users: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"Username":"user{i}","Enabled":true,"UserStatus":"CONFIRMED","Attributes":[{{"Name":"email","Value":"{}"}},{{"Name":"custom:pad","Value":"{}"}}]}}"#,
                    email(i),
                    "x".repeat(120)
                )
            })
            .collect();
        format!("{{\"Users\":[{}]}}", users.join(",\n")).into_bytes()
    }

    fn pool() -> Pool<Vec<u8>> {
        let mut pool = Pool::default();
        pool.add("page.json".into(), PAGE.into(), &mut |_| {});
        pool.add("broken.json".into(), b"{\"Users\": [".to_vec(), &mut |_| {});
        pool
    }

    #[test]
    fn files_report_their_shape_or_their_error() {
        let files = pool().files();
        assert_eq!(files[0].read.as_ref().unwrap().shape, Shape::ListUsers);
        assert_eq!(files[0].users(), 3);
        let error = files[1].read.as_ref().unwrap_err();
        assert!(error.contains("broken.json"), "{error}");
        assert_eq!(pool().users(), 3);
    }

    #[test]
    fn search_matches_usernames_and_emails_in_any_case() {
        let pool = pool();
        let names =
            |q: &str| -> Vec<String> { pool.search(q).into_iter().map(|h| h.username).collect() };
        assert_eq!(names("EXAMPLE"), ["ann", "bob"]);
        assert_eq!(names("car"), ["carol"]);
        assert_eq!(names(""), ["ann", "bob", "carol"]);
        assert!(names("zed").is_empty());
    }

    #[test]
    fn a_record_is_read_back_in_cognito_shape() {
        let (hit, json) = pool().record(0, 1).unwrap();
        assert_eq!(hit.username, "bob");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["Attributes"][0]["Value"], "bob@example.com");
        assert!(pool().record(0, 9).is_err());
        assert!(pool().record(1, 0).is_err());
    }

    #[test]
    fn a_file_larger_than_a_slice_reads_whole_and_its_last_record_comes_back() {
        let n = 40_000;
        let bytes = padded_page(n, |i| format!("user{i}@example.com"));
        assert!(bytes.len() as u64 > <Vec<u8> as Held>::SLICE);
        let mut pool = Pool::default();
        let mut seen = Vec::new();
        let loaded = pool
            .add("big.json".into(), bytes, &mut |n| seen.push(n))
            .clone();
        assert_eq!(loaded.users(), n);
        assert_eq!(seen, [0, 10_000, 20_000, 30_000]);
        let (hit, json) = pool.record(0, n - 1).unwrap();
        assert_eq!(hit.username, format!("user{}", n - 1));
        assert!(json.contains(&format!("user{}@example.com", n - 1)));
        assert_eq!(pool.search("user39999@")[0].index, n - 1);
    }
}
