//! The search index of the loaded users: each user's username and email, packed one after
//! the other in chunks of a mebibyte (a few dozen bytes a user, no allocation per user, and
//! no doubling copy of one huge buffer: WASM memory never shrinks back). A user's file and
//! index come from its place in the pack, as every file numbers its users from 0.

/// The usernames and emails of every user loaded, in load order.
#[derive(Debug, Default)]
pub struct SearchIndex {
    chunks: Vec<Vec<u8>>,
    /// Users of each file, in load order (0 for a file that could not be read).
    files: Vec<u64>,
    /// Users of the file being added.
    adding: u64,
}

/// Where the index stood before a file was added, to take the file back.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    chunks: usize,
    last: usize,
}

/// One user of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The file's position in load order.
    pub file: usize,
    /// The user's index in the file.
    pub index: u64,
    /// The Cognito `Username`.
    pub username: &'a str,
    /// The `email` attribute.
    pub email: Option<&'a str>,
}

const CHUNK: usize = 1 << 20;
/// The length written for a user without an email.
const NO_EMAIL: u32 = u32::MAX;

impl SearchIndex {
    /// Starts the next file; returns where the index stood.
    pub fn start_file(&mut self) -> Mark {
        self.adding = 0;
        Mark {
            chunks: self.chunks.len(),
            last: self.chunks.last().map_or(0, Vec::len),
        }
    }

    /// Adds the next user of the file being added.
    pub fn push(&mut self, username: &str, email: Option<&str>) {
        let need = 8 + username.len() + email.map_or(0, str::len);
        Self::pack(self.room(need), username, email);
        self.adding += 1;
    }

    /// The chunk to append `need` bytes of users to (a new one when the last is full).
    fn room(&mut self, need: usize) -> &mut Vec<u8> {
        if self
            .chunks
            .last()
            .is_none_or(|c| c.len() + need > c.capacity())
        {
            self.chunks.push(Vec::with_capacity(CHUNK.max(need)));
        }
        self.chunks.last_mut().expect("just made sure")
    }

    /// Appends one user to `out` as the index keeps it (a mapping worker sends its users so).
    pub fn pack(out: &mut Vec<u8>, username: &str, email: Option<&str>) {
        put(out, username.as_bytes());
        match email {
            Some(e) => put(out, e.as_bytes()),
            None => out.extend_from_slice(&NO_EMAIL.to_le_bytes()),
        }
    }

    /// Adds the users [`pack`](Self::pack) packed, in order, to the file being added (bytes
    /// that are not such users end them): their bytes are the index's already.
    pub fn push_packed(&mut self, packed: &[u8]) {
        let (mut users, mut whole) = (0, 0);
        let mut records = Records(packed);
        while records.next().is_some() {
            users += 1;
            whole = packed.len() - records.0.len();
        }
        self.room(whole).extend_from_slice(&packed[..whole]);
        self.adding += users;
    }

    /// Ends the file being added: kept when `read` is true, otherwise taken back to `mark`
    /// (a file that could not be read has no users).
    pub fn end_file(&mut self, mark: Mark, read: bool) {
        if read {
            self.files.push(self.adding);
        } else {
            self.chunks.truncate(mark.chunks);
            if let Some(last) = self.chunks.last_mut() {
                last.truncate(mark.last);
            }
            self.files.push(0);
        }
        self.adding = 0;
    }

    /// Users in the files kept.
    pub fn users(&self) -> u64 {
        self.files.iter().sum()
    }

    /// Every user, in load order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let mut files = self
            .files
            .iter()
            .enumerate()
            .flat_map(|(file, &n)| (0..n).map(move |index| (file, index)));
        self.chunks
            .iter()
            .flat_map(|c| Records(c))
            .filter_map(move |(username, email)| {
                let (file, index) = files.next()?;
                Some(Entry {
                    file,
                    index,
                    username,
                    email,
                })
            })
    }
}

fn put(chunk: &mut Vec<u8>, text: &[u8]) {
    chunk.extend_from_slice(&(text.len() as u32).to_le_bytes());
    chunk.extend_from_slice(text);
}

/// The (username, email) records of one chunk.
struct Records<'a>(&'a [u8]);

impl<'a> Iterator for Records<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        let username = self.text()??;
        let email = self.text()?;
        Some((username, email))
    }
}

impl<'a> Records<'a> {
    /// The next text; `Some(None)` for a missing email, `None` at the end.
    fn text(&mut self) -> Option<Option<&'a str>> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len);
        if len == NO_EMAIL {
            self.0 = rest;
            return Some(None);
        }
        let (text, rest) = rest.split_at_checked(len as usize)?;
        self.0 = rest;
        // Written from `&str`s by `push`.
        Some(std::str::from_utf8(text).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(index: &SearchIndex) -> Vec<(usize, u64, String, Option<String>)> {
        index
            .entries()
            .map(|e| {
                (
                    e.file,
                    e.index,
                    e.username.to_owned(),
                    e.email.map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn users_come_back_with_their_file_and_index_and_a_failed_file_leaves_nothing() {
        let mut index = SearchIndex::default();
        let mark = index.start_file();
        index.push("ann", Some("ann@example.com"));
        index.push("bob", None);
        index.end_file(mark, true);
        let mark = index.start_file();
        index.push("lost", Some("lost@example.com"));
        index.end_file(mark, false);
        let mark = index.start_file();
        index.push("", Some(""));
        index.end_file(mark, true);
        assert_eq!(
            names(&index),
            [
                (0, 0, "ann".into(), Some("ann@example.com".into())),
                (0, 1, "bob".into(), None),
                (2, 0, String::new(), Some(String::new())),
            ]
        );
        assert_eq!(index.users(), 3);
    }

    #[test]
    fn many_users_fill_many_chunks_and_a_failed_first_file_leaves_none() {
        let mut index = SearchIndex::default();
        let mark = index.start_file();
        index.push("x", None);
        index.end_file(mark, false);
        assert_eq!(index.chunks.len(), 0);
        let long = "u".repeat(CHUNK + 10);
        let mark = index.start_file();
        for i in 0..100_000 {
            index.push(&format!("user{i}"), Some(&format!("user{i}@example.com")));
        }
        index.push(&long, None);
        index.end_file(mark, true);
        let mark = index.start_file();
        for i in 0..50_000 {
            index.push(&format!("gone{i}"), None);
        }
        index.end_file(mark, false);
        assert!(index.chunks.len() > 3);
        let all = names(&index);
        assert_eq!(all.len(), 100_001);
        assert_eq!(all[99_999].2, "user99999");
        assert_eq!(all[100_000].2, long);
        assert!(all.iter().all(|e| e.0 == 1));
    }
}
