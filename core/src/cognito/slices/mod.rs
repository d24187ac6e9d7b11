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

mod csv_scan;
mod json_scan;

use crate::error::{Error, Position, Result};
use csv_scan::CsvScan;
use json_scan::{First, JsonScan};

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
pub(crate) struct Place {
    /// The line (from 1) of the unit's first own byte.
    pub(crate) line: u64,
    /// Bytes before it on that line.
    pub(crate) column: u64,
    /// Bytes (JSON: the `[` of a run of users) or lines (CSV: the header) before the unit's own.
    pub(crate) prefix: u64,
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

/// A [`Unit`] cut out of the file with its bytes, to be read elsewhere (by another worker):
/// its users are numbered from 0 in it ([`SlicedExport::cut`]).
#[derive(Debug, Clone)]
pub struct OwnedUnit {
    pub(crate) name: String,
    pub(crate) file_index: usize,
    pub(crate) bytes: Vec<u8>,
    pub(crate) csv: bool,
    pub(crate) place: Place,
    /// A run of whole documents (the first one's shape may be the file's).
    pub(crate) documents: bool,
}

impl OwnedUnit {
    /// Whether the unit is a run of whole documents.
    pub fn documents(&self) -> bool {
        self.documents
    }

    /// The unit to read, its users numbered from 0.
    pub fn unit(&self) -> Unit<'_> {
        Unit {
            name: &self.name,
            file_index: self.file_index,
            bytes: &self.bytes,
            first_index: 0,
            csv: self.csv,
            place: self.place,
        }
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
        let found = self.scan_slice(slice)?;
        self.hand_out(found, read)?;
        self.release();
        Ok(())
    }

    /// Ends the file: the last units go to `read`; the file's summary.
    ///
    /// # Errors
    /// The file is empty, ends inside a user, or any error of its last units.
    pub fn finish(mut self, read: UnitReader<'_>) -> Result<FileSummary> {
        let found = self.scan_end()?;
        self.hand_out(found, read)?;
        self.summary()
    }

    /// [`feed`](Self::feed) for units read elsewhere (by another worker): the units the slice
    /// completes are cut out into `out`, in order, their users numbered from 0; each one's
    /// part of the summary, once read, comes back through [`count_unit`](Self::count_unit),
    /// in the same order.
    ///
    /// # Errors
    /// An error the scan finds (the reading ends there; units cut before it may hold an
    /// earlier one).
    pub fn cut(&mut self, slice: &[u8], out: &mut Vec<OwnedUnit>) -> Result<()> {
        let found = self.scan_slice(slice)?;
        self.cut_out(found, out);
        self.release();
        Ok(())
    }

    /// [`cut`](Self::cut) at the end of the file: its last units.
    ///
    /// # Errors
    /// As [`cut`](Self::cut): a file that ends inside a user.
    pub fn cut_end(&mut self, out: &mut Vec<OwnedUnit>) -> Result<()> {
        let found = self.scan_end()?;
        self.cut_out(found, out);
        Ok(())
    }

    /// Takes back the part of the summary of the next unit [`cut`](Self::cut) out, read
    /// (`documents`: the unit's [`OwnedUnit::documents`]).
    pub fn count_unit(&mut self, summary: FileSummary, documents: bool) {
        self.count(summary, documents);
    }

    /// The file's summary, once every unit is read and counted.
    ///
    /// # Errors
    /// The file is empty.
    pub fn summary(self) -> Result<FileSummary> {
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

    /// Takes a slice (a byte order mark first dropped) and scans it for whole units.
    fn scan_slice(&mut self, slice: &[u8]) -> Result<Vec<Found>> {
        self.buf.extend_from_slice(slice);
        if !self.bom_checked {
            if self.buf.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.buf) {
                return Ok(Vec::new());
            }
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.buf.drain(..3);
            }
            self.bom_checked = true;
        }
        self.scan(false)
    }

    /// Scans the rest at the end of the file.
    fn scan_end(&mut self) -> Result<Vec<Found>> {
        self.bom_checked = true;
        self.scan(true)
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

    /// Reads the units found, in order, merging their parts of the summary.
    fn hand_out(&mut self, found: Vec<Found>, read: UnitReader<'_>) -> Result<()> {
        for f in found {
            let (unit, documents) = self.unit(&f, self.users);
            let summary = read(&unit)?;
            self.count(summary, documents);
        }
        Ok(())
    }

    /// Cuts the units found out as [`OwnedUnit`]s, in order.
    fn cut_out(&mut self, found: Vec<Found>, out: &mut Vec<OwnedUnit>) {
        for f in found {
            let (unit, documents) = self.unit(&f, 0);
            out.push(OwnedUnit {
                name: unit.name.to_owned(),
                file_index: unit.file_index,
                bytes: unit.bytes.to_vec(),
                csv: unit.csv,
                place: unit.place,
                documents,
            });
        }
    }

    /// The unit of `f`, its users numbered from `first_index`, and whether it is a run of
    /// whole documents.
    fn unit<'s>(&'s mut self, f: &'s Found, first_index: u64) -> (Unit<'s>, bool) {
        let csv = matches!(self.format, Format::Csv(_));
        let (place, documents) = match f {
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
        let base = self.base;
        let buf = &self.buf;
        let slice = |from: u64, to: u64| &buf[(from - base) as usize..(to - base) as usize];
        self.scratch.clear();
        let bytes: &[u8] = match f {
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
                    .extend_from_slice(slice(from.at, base + buf.len() as u64));
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
            first_index,
            csv,
            place,
        };
        (unit, documents)
    }

    /// Merges the summary of the next unit read (`documents`: a run of whole documents).
    fn count(&mut self, summary: FileSummary, documents: bool) {
        self.users += summary.users;
        self.truncated |= summary.truncated;
        for (field, n) in summary.ignored_fields {
            *self.ignored.entry(field).or_default() += n;
        }
        if documents && self.single_shape.is_none() {
            self.single_shape = Some(summary.shape);
        }
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
