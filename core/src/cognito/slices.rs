//! Reading an export given in slices of any size, in order (a browser reading a `File` a few
//! megabytes at a time, a Node stream): users come out as soon as they are whole, and only
//! the unfinished tail is kept between slices, so a file of any size reads in bounded memory.
//!
//! The slices are cut into [`Unit`]s that read on their own with the whole-file readers: a run
//! of whole users of a `Users` array or of a top-level array (read as an array), whole
//! documents (single users, JSON Lines), what a page holds besides its users (its pagination
//! token), a run of whole CSV records after the file's header. The users, their order and
//! numbering, and the file's summary are those [`read_export`](super::read_export) gives for
//! the whole file; errors name the same file, user and field, their line and column placed in
//! the file.

use std::collections::BTreeMap;

use super::{csv, json, CognitoUser, FileSummary, Origin, Shape};
use crate::error::{Error, Position, Result};

/// One piece of a file that reads on its own.
#[derive(Debug)]
pub struct Unit<'u> {
    name: &'u str,
    file_index: usize,
    bytes: &'u [u8],
    first_index: u64,
    csv: bool,
    place: Place,
}

/// Where a unit's own bytes start in the file, and what the unit has before them.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// The line (from 1) of the unit's first own byte.
    line: u64,
    /// Bytes before it on that line.
    column: u64,
    /// Bytes (JSON: the `[` of a run of users) or lines (CSV: the header) before the unit's own.
    prefix: u64,
}

impl Place {
    /// Moves a position in the unit to the file.
    fn apply(self, pos: &mut Position, csv: bool) {
        if pos.line == 0 {
            return;
        }
        if csv {
            if pos.line > self.prefix {
                pos.line = self.line + (pos.line - self.prefix - 1);
            }
        } else if pos.line == 1 {
            pos.line = self.line;
            pos.column = (pos.column + self.column).saturating_sub(self.prefix);
        } else {
            pos.line += self.line - 1;
        }
    }
}

impl<'u> Unit<'u> {
    /// Reads the unit's users, numbered in the file, into `each`; its part of the file's
    /// summary.
    ///
    /// # Errors
    /// As [`read_export`](super::read_export), placed in the file.
    pub fn read(&self, each: &mut dyn FnMut(CognitoUser<'u>, Origin)) -> Result<FileSummary> {
        let mut summary = FileSummary {
            name: self.name.to_owned(),
            shape: Shape::Csv,
            users: 0,
            truncated: false,
            ignored_fields: Vec::new(),
        };
        let file = self.file_index;
        let mut sink = |user, index| each(user, Origin { file, index });
        let read = if self.csv {
            csv::read(
                self.name,
                self.bytes,
                self.first_index,
                &mut summary,
                &mut sink,
            )
        } else {
            json::read(
                self.name,
                self.bytes,
                self.first_index,
                &mut summary,
                &mut sink,
            )
        };
        read.map_err(|e| e.map_position(|pos| self.place.apply(pos, self.csv)))?;
        Ok(summary)
    }
}

/// A place in the file: its offset, line and column (bytes before it on its line).
#[derive(Debug, Clone, Copy)]
struct Mark {
    at: u64,
    line: u64,
    column: u64,
}

/// A unit found by the scan, handed out once the slice is scanned.
#[derive(Debug)]
enum Found {
    /// Whole JSON documents, as they are in the file.
    Documents { from: Mark, to: u64 },
    /// Whole users of an array, read as `[` … `]`.
    Users { from: Mark, to: u64 },
    /// The users after `from` when the file ends inside their array (the read says why).
    Unfinished { from: Mark },
    /// A page without its users.
    Page { bytes: Vec<u8>, at: Mark },
    /// Whole CSV records, read after the header.
    Records { from: Mark, to: u64 },
}

/// What a JSON document's key at the top of an object is doing.
#[derive(Debug, Clone, PartialEq)]
enum Key {
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
struct UsersArray {
    /// The nesting depth inside it.
    depth: u32,
    /// Where the users not yet handed out start.
    cut: Mark,
    /// Just after the comma that ends the last whole user not yet handed out.
    last: Option<Mark>,
    /// A comma has ended a user.
    comma: bool,
}

/// The JSON document being read.
#[derive(Debug)]
struct Document {
    start: Mark,
    /// Only for a page: its bytes so far, without its users.
    skeleton: Option<Vec<u8>>,
    key: Key,
    users: Option<UsersArray>,
}

/// What the first document of a JSON file is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum First {
    Array,
    Page,
    Single,
}

#[derive(Debug, Default)]
struct JsonScan {
    depth: u32,
    in_string: bool,
    escaped: bool,
    documents: u64,
    first: Option<First>,
    /// Whole documents not yet handed out, and where the last ends.
    run: Option<(Mark, u64)>,
    document: Option<Document>,
}

#[derive(Debug)]
struct CsvScan {
    /// The bytes up to the end of the header record, once found.
    header: Option<Vec<u8>>,
    /// Lines in `header`.
    header_lines: u64,
    delimiter: char,
    /// Where the records not yet handed out start.
    cut: Mark,
}

#[derive(Debug)]
enum Format {
    Unknown,
    Json(JsonScan),
    Csv(CsvScan),
}

/// An export file read from slices; see the module docs.
#[derive(Debug)]
pub struct SlicedExport {
    name: String,
    file_index: usize,
    /// The bytes not yet handed out; `buf[0]` is at `base` in the file (a BOM not counted).
    buf: Vec<u8>,
    base: u64,
    /// `buf[..scanned]` is scanned.
    scanned: usize,
    /// The line (from 1) at `base + scanned`, and where it starts.
    line: u64,
    line_start: u64,
    bom_checked: bool,
    format: Format,
    users: u64,
    truncated: bool,
    ignored: BTreeMap<String, u64>,
    /// The shape of the first document when it is a single user (from its read).
    single_shape: Option<Shape>,
    scratch: Vec<u8>,
}

/// Where a unit goes: it is read there (with the converter's mapping threads) and its part
/// of the summary comes back.
pub type UnitReader<'r> = &'r mut dyn FnMut(&Unit<'_>) -> Result<FileSummary>;

impl SlicedExport {
    /// The start of file `name`, the `file_index`-th of the run.
    pub fn new(name: &str, file_index: usize) -> Self {
        Self {
            name: name.to_owned(),
            file_index,
            buf: Vec::new(),
            base: 0,
            scanned: 0,
            line: 1,
            line_start: 0,
            bom_checked: false,
            format: Format::Unknown,
            users: 0,
            truncated: false,
            ignored: BTreeMap::new(),
            single_shape: None,
            scratch: Vec::new(),
        }
    }

    /// Users read so far.
    pub fn users(&self) -> u64 {
        self.users
    }

    /// Bytes held between slices: the unfinished tail (and a page's own fields).
    pub fn held(&self) -> usize {
        let page = match &self.format {
            Format::Json(scan) => scan
                .document
                .as_ref()
                .and_then(|d| d.skeleton.as_ref())
                .map_or(0, Vec::len),
            _ => 0,
        };
        self.buf.len() + page
    }

    /// Takes the next slice: every unit it completes goes to `read`, in order.
    ///
    /// # Errors
    /// The first error of the file (the reading ends there).
    pub fn feed(&mut self, slice: &[u8], read: UnitReader<'_>) -> Result<()> {
        self.buf.extend_from_slice(slice);
        if !self.bom_checked {
            if self.buf.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buf) {
                return Ok(());
            }
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
            }
            self.bom_checked = true;
        }
        let found = self.scan(false)?;
        self.hand_out(found, read)?;
        self.release();
        Ok(())
    }

    /// Ends the file: the last units go to `read`; the file's summary.
    ///
    /// # Errors
    /// The file is empty, ends inside a user, or any error of its last units.
    pub fn finish(mut self, read: UnitReader<'_>) -> Result<FileSummary> {
        self.bom_checked = true;
        let found = self.scan(true)?;
        self.hand_out(found, read)?;
        let shape = match &self.format {
            Format::Unknown => {
                return Err(Error::read(
                    Position {
                        file: self.name.clone(),
                        ..Position::default()
                    },
                    None,
                    "the file is empty; expected a Cognito export (JSON or CSV)",
                ))
            }
            Format::Csv(_) => Shape::Csv,
            Format::Json(scan) if scan.documents > 1 => Shape::JsonLines,
            Format::Json(scan) => match scan.first {
                Some(First::Array) => Shape::UserArray,
                Some(First::Page) => Shape::ListUsers,
                _ => self.single_shape.unwrap_or(Shape::User),
            },
        };
        Ok(FileSummary {
            name: self.name,
            shape,
            users: self.users,
            truncated: self.truncated,
            ignored_fields: self.ignored.into_iter().collect(),
        })
    }

    /// The mark of offset `at`, which is on the line being scanned.
    fn mark(&self, at: u64) -> Mark {
        Mark {
            at,
            line: self.line,
            column: at - self.line_start,
        }
    }

    /// Scans the new bytes (with `end`, the end of the file too) for whole units.
    fn scan(&mut self, end: bool) -> Result<Vec<Found>> {
        if matches!(self.format, Format::Unknown) {
            match self.buf.iter().find(|b| !b.is_ascii_whitespace()) {
                None => return Ok(Vec::new()),
                Some(b'{' | b'[') => self.format = Format::Json(JsonScan::default()),
                Some(_) => {
                    self.format = Format::Csv(CsvScan {
                        header: None,
                        header_lines: 0,
                        delimiter: ',',
                        cut: self.mark(0),
                    })
                }
            }
        }
        let mut found = Vec::new();
        match std::mem::replace(&mut self.format, Format::Unknown) {
            Format::Json(mut scan) => {
                let scanned = self.scan_json(&mut scan, &mut found);
                self.format = Format::Json(scan);
                scanned?;
                if let Format::Json(scan) = &mut self.format {
                    let end_at = self.base + self.buf.len() as u64;
                    if let Some((from, to)) = scan.run.take() {
                        found.push(Found::Documents { from, to });
                    }
                    if let Some(users) = scan.document.as_mut().and_then(|d| d.users.as_mut()) {
                        if let Some(last) = users.last.take() {
                            found.push(Found::Users {
                                from: users.cut,
                                to: last.at - 1,
                            });
                            users.cut = last;
                        }
                    }
                    if end {
                        self.unfinished_json(end_at, &mut found);
                    }
                }
            }
            Format::Csv(mut scan) => {
                self.scan_csv(&mut scan, end, &mut found);
                self.format = Format::Csv(scan);
            }
            Format::Unknown => {}
        }
        Ok(found)
    }

    /// At the end of the file, what is left of an unfinished document (its read says why).
    fn unfinished_json(&mut self, end_at: u64, found: &mut Vec<Found>) {
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
    fn scan_json(&mut self, scan: &mut JsonScan, found: &mut Vec<Found>) -> Result<()> {
        let start = self.scanned;
        for i in start..self.buf.len() {
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
                continue;
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
                            continue;
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
                        continue;
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
        }
        self.scanned = self.buf.len();
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

    /// Whole CSV records after the header.
    fn scan_csv(&mut self, scan: &mut CsvScan, end: bool, found: &mut Vec<Found>) {
        let from = (scan.cut.at - self.base) as usize;
        let upto = if end {
            self.buf.len()
        } else {
            match self.buf[from..].iter().rposition(|&b| b == b'\n') {
                Some(i) => from + i + 1,
                None => return,
            }
        };
        let window = &self.buf[from..upto];
        let Ok(text) = std::str::from_utf8(window) else {
            // Hand the bytes to the reader, which names the line of the bad byte.
            found.push(Found::Records {
                from: scan.cut,
                to: self.base + upto as u64,
            });
            self.advance_csv(scan, upto);
            return;
        };
        let whole = if end {
            text.len()
        } else if scan.header.is_none() {
            scan.delimiter = csv::delimiter(text);
            let (whole, header) = csv::whole_records(text, scan.delimiter);
            let Some(header) = header else {
                return;
            };
            scan.header = Some(window[..header].to_vec());
            scan.header_lines = window[..header].iter().filter(|&&b| b == b'\n').count() as u64;
            whole
        } else {
            csv::whole_records(text, scan.delimiter).0
        };
        if whole == 0 {
            return;
        }
        // The first records come with the header, as they are in the file; the others get
        // it repeated before them.
        let to = from + whole;
        found.push(Found::Records {
            from: scan.cut,
            to: self.base + to as u64,
        });
        self.advance_csv(scan, to);
    }

    /// Moves the CSV cut to buffer index `to`, counting the lines passed.
    fn advance_csv(&self, scan: &mut CsvScan, to: usize) {
        let from = (scan.cut.at - self.base) as usize;
        let lines = self.buf[from..to].iter().filter(|&&b| b == b'\n').count() as u64;
        scan.cut = Mark {
            at: self.base + to as u64,
            line: scan.cut.line + lines,
            column: 0,
        };
    }

    /// Reads the units found, in order, merging their parts of the summary.
    fn hand_out(&mut self, found: Vec<Found>, read: UnitReader<'_>) -> Result<()> {
        for f in found {
            let csv = matches!(self.format, Format::Csv(_));
            let (place, documents) = match &f {
                Found::Documents { from, .. } | Found::Page { at: from, .. } => (
                    Place {
                        line: from.line,
                        column: from.column,
                        prefix: 0,
                    },
                    matches!(f, Found::Documents { .. }),
                ),
                Found::Users { from, .. } | Found::Unfinished { from } => (
                    Place {
                        line: from.line,
                        column: from.column,
                        prefix: 1,
                    },
                    false,
                ),
                Found::Records { from, .. } => {
                    let (header_lines, first) = match &self.format {
                        Format::Csv(scan) => (scan.header_lines, from.at == 0),
                        _ => (0, false),
                    };
                    (
                        Place {
                            line: from.line,
                            column: 0,
                            prefix: if first { 0 } else { header_lines },
                        },
                        false,
                    )
                }
            };
            let slice = |from: u64, to: u64| {
                let base = self.base;
                &self.buf[(from - base) as usize..(to - base) as usize]
            };
            self.scratch.clear();
            let bytes: &[u8] = match &f {
                Found::Documents { from, to } => slice(from.at, *to),
                Found::Users { from, to } => {
                    self.scratch.push(b'[');
                    self.scratch.extend_from_slice(slice(from.at, *to));
                    self.scratch.push(b']');
                    &self.scratch
                }
                Found::Unfinished { from } => {
                    self.scratch.push(b'[');
                    self.scratch
                        .extend_from_slice(slice(from.at, self.base + self.buf.len() as u64));
                    &self.scratch
                }
                Found::Page { bytes, .. } => bytes,
                Found::Records { from, to } => {
                    if from.at != 0 {
                        if let Format::Csv(CsvScan {
                            header: Some(header),
                            ..
                        }) = &self.format
                        {
                            self.scratch.extend_from_slice(header);
                        }
                    }
                    self.scratch.extend_from_slice(slice(from.at, *to));
                    &self.scratch
                }
            };
            let unit = Unit {
                name: &self.name,
                file_index: self.file_index,
                bytes,
                first_index: self.users,
                csv,
                place,
            };
            let summary = read(&unit)?;
            self.users += summary.users;
            self.truncated |= summary.truncated;
            for (field, n) in summary.ignored_fields {
                *self.ignored.entry(field).or_default() += n;
            }
            if documents && self.single_shape.is_none() {
                self.single_shape = Some(summary.shape);
            }
        }
        Ok(())
    }

    /// Drops the bytes no unit needs any more.
    fn release(&mut self) {
        let end = self.base + self.buf.len() as u64;
        let keep = match &self.format {
            Format::Unknown => self.base,
            Format::Csv(scan) => scan.cut.at,
            Format::Json(scan) => {
                let mut keep = end;
                if let Some(d) = &scan.document {
                    match (&d.users, &d.skeleton) {
                        (Some(users), _) => keep = keep.min(users.cut.at),
                        (None, None) => keep = keep.min(d.start.at),
                        (None, Some(_)) => {}
                    }
                }
                keep
            }
        };
        let drop = (keep - self.base) as usize;
        if drop > 0 {
            self.buf.drain(..drop);
            self.base = keep;
            self.scanned -= drop.min(self.scanned);
        }
    }
}
