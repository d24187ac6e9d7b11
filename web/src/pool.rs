//! The loaded exports, held by the worker: their bytes, what reading them found, and a
//! search index of usernames and emails.
//!
//! Files are read once when loaded (to report their shape and errors at once and to index
//! their users) and again by every conversion, which maps them with the current rules.

use std::cell::RefCell;

use cognito_fusionauth::{read_export, Conversion, Converter, Mapper};

use crate::protocol::{LoadedFile, UserHit, SEARCH_LIMIT};

/// The exports loaded so far.
#[derive(Debug, Default)]
pub struct Pool {
    inputs: Vec<Input>,
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Input {
    bytes: Vec<u8>,
    loaded: LoadedFile,
}

/// One user in the search index.
#[derive(Debug)]
struct Entry {
    file: u32,
    index: u64,
    username: Box<str>,
    email: Option<Box<str>>,
}

impl Pool {
    /// Reads and indexes one file; a file that cannot be read is kept with its error, which
    /// its conversions report (blocking the import files). `progress` gets the users read so far.
    pub fn add(
        &mut self,
        name: String,
        bytes: Vec<u8>,
        progress: &mut dyn FnMut(u64),
    ) -> &LoadedFile {
        let file = self.inputs.len();
        let before = self.entries.len();
        let entries = &mut self.entries;
        let result = read_export(&name, file, &bytes, &mut |user, origin| {
            entries.push(Entry {
                file: file as u32,
                index: origin.index,
                username: user.username.as_ref().into(),
                email: user.attribute("email").map(Into::into),
            });
            if origin.index % PROGRESS_EVERY == 0 {
                progress(origin.index);
            }
        });
        if result.is_err() {
            self.entries.truncate(before);
        }
        let loaded = LoadedFile {
            name,
            bytes: bytes.len() as u64,
            read: result.map_err(|e| e.to_string()),
        };
        self.inputs.push(Input { bytes, loaded });
        &self.inputs[file].loaded
    }

    /// Forgets every file.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Every file, in load order.
    pub fn files(&self) -> Vec<LoadedFile> {
        self.inputs.iter().map(|i| i.loaded.clone()).collect()
    }

    /// Users in the files that could be read.
    pub fn users(&self) -> u64 {
        self.entries.len() as u64
    }

    /// Users whose username or email contains `query`, ignoring ASCII case; the first users
    /// of the pool when `query` is blank.
    pub fn search(&self, query: &str) -> Vec<UserHit> {
        let query = query.trim().as_bytes();
        self.entries
            .iter()
            .filter(|e| {
                contains_ignore_case(e.username.as_bytes(), query)
                    || e.email
                        .as_deref()
                        .is_some_and(|m| contains_ignore_case(m.as_bytes(), query))
            })
            .take(SEARCH_LIMIT)
            .map(|e| self.hit(e))
            .collect()
    }

    /// One user's Cognito record as pretty JSON, read again from its file.
    ///
    /// # Errors
    /// When there is no such user.
    pub fn record(&self, file: usize, index: u64) -> Result<(UserHit, String), String> {
        let missing = || format!("there is no user {index} in file {file}");
        let input = self.inputs.get(file).ok_or_else(missing)?;
        let mut json = None;
        // Reading the file again costs less memory than keeping a copy of every record.
        let _ = read_export(
            &input.loaded.name,
            file,
            &input.bytes,
            &mut |user, origin| {
                if origin.index == index {
                    json = serde_json::to_string_pretty(&user).ok();
                }
            },
        );
        let json = json.ok_or_else(missing)?;
        let entry = self
            .entries
            .iter()
            .find(|e| e.file as usize == file && e.index == index)
            .ok_or_else(missing)?;
        Ok((self.hit(entry), json))
    }

    /// Converts every file with `mapper`, telling `progress` how far it is. A file that cannot
    /// be read is in the report as an `unreadable-file` error, which blocks the import files.
    pub fn convert(&self, mapper: &Mapper, progress: &mut dyn FnMut(Step)) -> Conversion {
        let progress = RefCell::new(progress);
        let mut converter = Converter::new(mapper);
        // The core counts over all files; the bar only shows it.
        converter.on_progress(|n| (progress.borrow_mut())(Step::Read(n)));
        for input in &self.inputs {
            // A readable file reads again; an unreadable one fails again, into the report.
            let _ = converter.add_file(&input.loaded.name, &input.bytes);
        }
        (progress.borrow_mut())(Step::Checking);
        converter.finish()
    }

    fn hit(&self, e: &Entry) -> UserHit {
        UserHit {
            file: e.file as usize,
            file_name: self.inputs[e.file as usize].loaded.name.clone(),
            index: e.index,
            username: e.username.to_string(),
            email: e.email.as_deref().map(str::to_owned),
        }
    }
}

/// How far a conversion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// This many users are read (and mapped), over all files.
    Read(u64),
    /// Every user is read; the checks across users run.
    Checking,
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
mod tests {
    use super::*;
    use cognito_fusionauth::{Rules, Shape};

    const PAGE: &str = r#"{"Users":[
        {"Username":"ann","Attributes":[{"Name":"email","Value":"Ann@Example.com"}]},
        {"Username":"bob","Attributes":[{"Name":"email","Value":"bob@example.com"}]},
        {"Username":"carol"}]}"#;

    fn pool() -> Pool {
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
    fn an_unreadable_file_is_in_the_report_and_blocks_the_import_files() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut steps = Vec::new();
        let conversion = pool().convert(&mapper, &mut |s| steps.push(s));
        assert_eq!(steps.last(), Some(&Step::Checking));
        assert_eq!(conversion.report().summary.users_read, 3);
        assert_eq!(conversion.report().summary.files.len(), 1);
        assert!(conversion.blocked());
        let finding = conversion
            .report()
            .issues
            .iter()
            .find(|f| f.code == cognito_fusionauth::Code::UnreadableFile)
            .expect("the broken file is reported");
        assert_eq!(finding.file, "broken.json");
        assert!(finding.message.contains("line 1"), "{}", finding.message);
        let mut random = |b: &mut [u8]| b.fill(0);
        let names: Vec<String> = conversion.files(&mut random).map(|f| f.name).collect();
        assert_eq!(names, ["report.json"]);
    }
}
