//! The JSON structure of a file given in slices: its documents, a page's `Users` array and
//! the whole users in it, found byte by byte (strings and nesting tracked across slices).

use super::{Format, Found, Mark, SlicedExport};
use crate::error::{Error, Position, Result};

/// What a JSON document's key at the top of an object is doing.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Key {
    /// A key comes next.
    Expected,
    /// Inside a key: its bytes so far.
    In(Vec<u8>),
    /// After a key (true: `"Users"`), before its `:`.
    After(bool),
    /// A value comes next (true: of `"Users"`).
    Value(bool),
    /// Inside a value.
    Other,
}

/// The array of users being read.
#[derive(Debug)]
pub(super) struct UsersArray {
    /// The nesting depth inside it.
    pub(super) depth: u32,
    /// Where the users not yet handed out start.
    pub(super) cut: Mark,
    /// Just after the comma that ends the last whole user not yet handed out.
    pub(super) last: Option<Mark>,
    /// A comma has ended a user.
    pub(super) comma: bool,
}

/// The JSON document being read.
#[derive(Debug)]
pub(super) struct Document {
    pub(super) start: Mark,
    /// Only for a page: its bytes so far, without its users.
    pub(super) skeleton: Option<Vec<u8>>,
    pub(super) key: Key,
    pub(super) users: Option<UsersArray>,
}

/// What the first document of a JSON file is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum First {
    Array,
    Page,
    Single,
}

#[derive(Debug, Default)]
pub(super) struct JsonScan {
    pub(super) depth: u32,
    pub(super) in_string: bool,
    pub(super) escaped: bool,
    pub(super) documents: u64,
    pub(super) first: Option<First>,
    /// Whole documents not yet handed out, and where the last ends.
    pub(super) run: Option<(Mark, u64)>,
    pub(super) document: Option<Document>,
}

impl SlicedExport {
    /// At the end of the file, what is left of an unfinished document (its read says why).
    pub(super) fn unfinished_json(&mut self, end_at: u64, found: &mut Vec<Found>) {
        let Format::Json(scan) = &mut self.format else {
            return;
        };
        let Some(mut document) = scan.document.take() else {
            return;
        };
        if let Some(users) = document.users.take() {
            found.push(Found::Unfinished { from: users.cut });
        } else if let Some(bytes) = document.skeleton.take() {
            found.push(Found::Page {
                bytes,
                at: document.start,
            });
        } else {
            found.push(Found::Documents {
                from: document.start,
                to: end_at,
            });
        }
    }

    /// The JSON structure: documents, pages, the arrays of users and the users in them.
    pub(super) fn scan_json(&mut self, scan: &mut JsonScan, found: &mut Vec<Found>) -> Result<()> {
        let mut i = self.scanned;
        while i < self.buf.len() {
            if let Some(floor) = Self::inside_user(scan) {
                i = self.skip_user(scan, i, floor);
                continue;
            }
            if !scan.in_string && !Self::keeps_bytes(scan) {
                // Indentation between users and documents changes nothing.
                let rest = &self.buf[i..];
                i += rest
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t' && b != b'\r')
                    .unwrap_or(rest.len());
                if i == self.buf.len() {
                    break;
                }
            }
            self.scan_byte(scan, found, i)?;
            i += 1;
        }
        self.scanned = self.buf.len();
        Ok(())
    }

    /// The depth of the users array when the scan is inside one of its users: there only
    /// strings, nesting and lines matter.
    fn inside_user(scan: &JsonScan) -> Option<u32> {
        let users = scan.document.as_ref()?.users.as_ref()?;
        (scan.depth > users.depth).then_some(users.depth)
    }

    /// Passes the bytes of a user from `i`, until its end (the nesting back at `floor`) or
    /// the end of the buffer; where it stopped.
    fn skip_user(&mut self, scan: &mut JsonScan, mut i: usize, floor: u32) -> usize {
        let buf = &self.buf;
        let (mut depth, mut in_string, mut escaped) = (scan.depth, scan.in_string, scan.escaped);
        while i < buf.len() {
            if in_string && !escaped {
                i = string_end(buf, i);
                if i == buf.len() {
                    break;
                }
            }
            let b = buf[i];
            i += 1;
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.base + i as u64;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == floor {
                        break;
                    }
                }
                _ => {}
            }
        }
        (scan.depth, scan.in_string, scan.escaped) = (depth, in_string, escaped);
        i
    }

    /// True when the scan keeps the bytes it passes: a key at the top of a document (to
    /// tell `"Users"`), or a page's own fields (whitespace included).
    fn keeps_bytes(scan: &JsonScan) -> bool {
        scan.document.as_ref().is_some_and(|d| {
            matches!(d.key, Key::In(_)) || (d.skeleton.is_some() && d.users.is_none())
        })
    }

    /// Takes the byte at `i`.
    fn scan_byte(&mut self, scan: &mut JsonScan, found: &mut Vec<Found>, i: usize) -> Result<()> {
        let b = self.buf[i];
        let at = self.base + i as u64;
        if b == b'\n' {
            self.line += 1;
            self.line_start = at + 1;
        }
        if scan.in_string {
            if scan.escaped {
                scan.escaped = false;
            } else if b == b'\\' {
                scan.escaped = true;
            } else if b == b'"' {
                scan.in_string = false;
            }
            if let Some(d) = &mut scan.document {
                if let Key::In(key) = &mut d.key {
                    if scan.in_string {
                        key.push(b);
                    } else {
                        d.key = Key::After(key == b"Users");
                    }
                }
            }
            self.copy(scan, b);
            return Ok(());
        }
        let top = scan.depth == 1 && scan.document.is_some();
        match b {
            b'"' => {
                if scan.depth == 0 {
                    return Err(self.garbage(at));
                }
                scan.in_string = true;
                if let Some(d) = scan.document.as_mut().filter(|_| top) {
                    d.key = match d.key {
                        Key::Expected => Key::In(Vec::new()),
                        _ => Key::Other,
                    };
                }
            }
            b'{' | b'[' => {
                if scan.depth == 0 {
                    self.open_document(scan, b, at, found);
                } else if let Some(d) = scan.document.as_mut().filter(|_| top) {
                    if b == b'[' && d.key == Key::Value(true) && d.users.is_none() {
                        // A page: keep what it holds besides its users.
                        if let Some((from, to)) = scan.run.take() {
                            found.push(Found::Documents { from, to });
                        }
                        let from = (d.start.at - self.base) as usize;
                        d.skeleton = Some(self.buf[from..=i].to_vec());
                        d.users = Some(UsersArray {
                            depth: 2,
                            cut: Mark {
                                at: at + 1,
                                line: self.line,
                                column: at + 1 - self.line_start,
                            },
                            last: None,
                            comma: false,
                        });
                        scan.first.get_or_insert(First::Page);
                        scan.depth += 1;
                        return Ok(());
                    }
                    d.key = Key::Other;
                }
                scan.depth += 1;
            }
            b'}' | b']' => {
                if scan.depth == 0 {
                    return Err(self.garbage(at));
                }
                if let Some(d) = &mut scan.document {
                    if let Some(users) = d.users.as_ref().filter(|u| u.depth == scan.depth) {
                        let tail = &self.buf[(users.cut.at - self.base) as usize..i];
                        if !tail.iter().all(u8::is_ascii_whitespace) {
                            found.push(Found::Users {
                                from: users.cut,
                                to: at,
                            });
                        } else if users.comma {
                            return Err(Error::read(
                                self.position(at),
                                None,
                                "invalid JSON: trailing comma",
                            ));
                        }
                        d.users = None;
                    }
                }
                scan.depth -= 1;
                if scan.depth == 0 {
                    self.copy(scan, b);
                    self.close_document(scan, at, found);
                    return Ok(());
                }
            }
            b',' => {
                if let Some(d) = &mut scan.document {
                    if let Some(users) = d.users.as_mut().filter(|u| u.depth == scan.depth) {
                        users.last = Some(Mark {
                            at: at + 1,
                            line: self.line,
                            column: at + 1 - self.line_start,
                        });
                        users.comma = true;
                    }
                    if top {
                        d.key = Key::Expected;
                    }
                }
            }
            b':' => {
                if let Some(d) = scan.document.as_mut().filter(|_| top) {
                    if let Key::After(users) = d.key {
                        d.key = Key::Value(users);
                    }
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
                if scan.depth == 0 {
                    return Err(self.garbage(at));
                }
                if let Some(d) = scan.document.as_mut().filter(|_| top) {
                    if matches!(d.key, Key::Value(_)) {
                        d.key = Key::Other;
                    }
                }
            }
        }
        self.copy(scan, b);
        Ok(())
    }

    /// Adds `b` to the page being read, unless it is one of its users'.
    fn copy(&self, scan: &mut JsonScan, b: u8) {
        if let Some(d) = &mut scan.document {
            if let (Some(skeleton), None) = (&mut d.skeleton, &d.users) {
                skeleton.push(b);
            }
        }
    }

    fn open_document(&self, scan: &mut JsonScan, b: u8, at: u64, found: &mut Vec<Found>) {
        scan.documents += 1;
        let start = self.mark(at);
        let mut document = Document {
            start,
            skeleton: None,
            key: Key::Expected,
            users: None,
        };
        if b == b'[' {
            if let Some((from, to)) = scan.run.take() {
                found.push(Found::Documents { from, to });
            }
            scan.first.get_or_insert(First::Array);
            document.users = Some(UsersArray {
                depth: 1,
                cut: self.mark(at + 1),
                last: None,
                comma: false,
            });
        }
        scan.document = Some(document);
    }

    fn close_document(&self, scan: &mut JsonScan, at: u64, found: &mut Vec<Found>) {
        let Some(document) = scan.document.take() else {
            return;
        };
        if let Some(bytes) = document.skeleton {
            found.push(Found::Page {
                bytes,
                at: document.start,
            });
        } else if document.users.is_none() && self.buf[(at - self.base) as usize] == b'}' {
            scan.first.get_or_insert(First::Single);
            let from = scan.run.map_or(document.start, |(from, _)| from);
            scan.run = Some((from, at + 1));
        }
    }

    fn position(&self, at: u64) -> Position {
        Position {
            file: self.name.clone(),
            line: self.line,
            column: at - self.line_start + 1,
            user_index: None,
            username: None,
        }
    }

    /// Bytes between documents that are not one.
    fn garbage(&self, at: u64) -> Error {
        Error::read(self.position(at), None, "invalid JSON: expected value")
    }
}

/// Where the first `"`, `\` or newline at or after `i` is (the end of `buf` when none): the
/// bytes of a string before it change nothing. Eight bytes at a time (a WASM build has no
/// vector instructions to lean on).
fn string_end(buf: &[u8], mut i: usize) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` equal to `c`; a byte above a match may be marked too,
    // never one below, so the lowest mark is exact.
    let marks = |x: u64, c: u8| {
        let y = x ^ (LOW * u64::from(c));
        y.wrapping_sub(LOW) & !y & HIGH
    };
    while let Some(word) = buf.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or_default());
        let found = marks(x, b'"') | marks(x, b'\\') | marks(x, b'\n');
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    buf[i..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b == b'\n')
        .map_or(buf.len(), |k| i + k)
}

#[cfg(test)]
mod tests {
    use super::string_end;

    #[test]
    fn string_end_finds_the_first_quote_backslash_or_newline_at_every_offset() {
        for special in [b'"', b'\\', b'\n'] {
            for len in 0..40 {
                for at in 0..len {
                    // Bytes one above a special one (`#` is `"` + 1) trip the word trick's
                    // borrow: they must not be taken for it.
                    let mut buf = vec![special + 1; len];
                    buf[at] = special;
                    if at + 1 < len {
                        buf[at + 1] = special;
                    }
                    for from in 0..=at {
                        assert_eq!(string_end(&buf, from), at, "{special} {len} {at} {from}");
                    }
                }
                let plain = vec![b'a'; len];
                assert_eq!(string_end(&plain, 0), len);
            }
        }
        assert_eq!(string_end("zoë\u{1F600}\"".as_bytes(), 0), 8);
    }
}
