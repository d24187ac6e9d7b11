//! A file's users mapped apart, by other workers (a browser tab's Web Workers, which share no
//! memory): the reading side cuts each slice into units ([`StreamConverter::cut`]) and sends
//! them as bytes; each is mapped anywhere with [`map_unit`]; the results come back as bytes to
//! [`StreamConverter::take`] in the order the units were cut. The spool, index, report and
//! errors are those of [`StreamConverter::feed`], block for block.

use std::collections::VecDeque;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::block::shift;
use super::{damaged, watched, Spool, Spooled, StreamConverter, Watch};
use crate::cognito::{FileSummary, OwnedUnit};
use crate::convert::key_index::Keys;
use crate::convert::pipeline::{read_and_map, PROGRESS_EVERY};
use crate::error::{Error, ErrorKind, Result};
use crate::report::Tally;
use crate::rules::{DuplicatePolicy, Mapper};

/// What of a file read apart is in flight.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    /// The units cut and not yet taken back: whether each is a run of whole documents.
    pending: VecDeque<bool>,
    /// The file's first error so far, and whether the scan found it (an error in a unit cut
    /// before it, taken back later, comes first in the file).
    failed: Option<(Error, bool)>,
}

/// A unit as sent: where it is in the file, and how to read it.
#[derive(Serialize, Deserialize)]
struct UnitHead {
    name: String,
    file: usize,
    csv: bool,
    line: u64,
    column: u64,
    prefix: u64,
    documents: bool,
    /// Whether to compress the spool blocks.
    compress: bool,
}

/// A mapped unit as sent back: its read, and its batches (users and bytes of each block).
#[derive(Serialize, Deserialize)]
struct MappedHead {
    read: std::result::Result<FileSummary, ErrorKind>,
    blocks: Vec<(u32, u64)>,
    tally: Tally,
    links: u64,
    groups: Vec<String>,
}

/// `head` as JSON framed by its length (4 bytes little-endian), then `parts`.
fn frame(head: &impl Serialize, parts: &[&[u8]]) -> Vec<u8> {
    // Serializing strings, numbers and enums cannot fail.
    let json = serde_json::to_vec(head).unwrap_or_default();
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(4 + json.len() + len);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// The head and the rest of bytes [`frame`] made.
fn unframe<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, &[u8])> {
    let cut = || damaged("a unit sent between workers is cut short".into());
    let len = bytes
        .get(..4)
        .map(|f| u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize)
        .ok_or_else(cut)?;
    let end = len.checked_add(4).ok_or_else(cut)?;
    let head = bytes.get(4..end).ok_or_else(cut)?;
    let head = serde_json::from_slice(head)
        .map_err(|e| damaged(format!("a unit sent between workers is damaged ({e})")))?;
    Ok((head, &bytes[end..]))
}

/// A unit cut out, as bytes to send, its blocks to be compressed or not.
fn unit_bytes(unit: &OwnedUnit, compress: bool) -> Vec<u8> {
    let head = UnitHead {
        name: unit.name.clone(),
        file: unit.file_index,
        csv: unit.csv,
        line: unit.place.line,
        column: unit.place.column,
        prefix: unit.place.prefix,
        documents: unit.documents,
        compress,
    };
    frame(&head, &[&unit.bytes])
}

/// Maps a unit [`StreamConverter::cut`] sent, with the rules the converter has (any worker
/// can run it): the bytes to hand back to [`StreamConverter::take`].
///
/// # Errors
/// The bytes are not a unit (damaged on the way). An error reading the unit's users is not
/// one: it goes back to the converter, which keeps it as the file's.
pub fn map_unit(mapper: &Mapper, unit: &[u8]) -> Result<Vec<u8>> {
    map_unit_watched(mapper, unit, &mut |_, _| {})
}

/// [`map_unit`], showing `watch` each user as it is read (numbered in the unit), before it is
/// mapped: a worker that maps a unit of a file being loaded indexes its users too. A unit
/// that fails part way has shown its users up to the error.
///
/// # Errors
/// As [`map_unit`].
pub fn map_unit_watched(mapper: &Mapper, unit: &[u8], watch: Watch<'_>) -> Result<Vec<u8>> {
    let (head, bytes) = unframe::<UnitHead>(unit)?;
    let unit = OwnedUnit {
        name: head.name,
        file_index: head.file,
        bytes: bytes.to_vec(),
        csv: head.csv,
        place: crate::cognito::Place {
            line: head.line,
            column: head.column,
            prefix: head.prefix,
        },
        documents: head.documents,
    };
    let fallback = mapper.rules().settings.on_duplicate == DuplicatePolicy::MoveToData;
    let mut batches: Vec<Spooled> = Vec::new();
    let read = read_and_map(
        mapper,
        unit.file_index,
        &mut |each| unit.unit().read(&mut watched(watch, each)),
        0,
        &mut None,
        &|users, unmapped| Spooled::new(users, unmapped, fallback, head.compress),
        &mut |batch: Spooled| {
            if !batch.keys.is_empty() {
                batches.push(batch);
            }
        },
    );
    let mut head = MappedHead {
        read: read.map_err(|e| e.kind().clone()),
        blocks: Vec::with_capacity(batches.len()),
        tally: Tally::default(),
        links: 0,
        groups: Vec::new(),
    };
    let mut keys = Vec::new();
    for batch in &mut batches {
        head.blocks
            .push((batch.keys.len() as u32, batch.records.len() as u64));
        for k in &batch.keys {
            k.write(&mut keys);
        }
        head.tally.merge(std::mem::take(&mut batch.tally));
        head.links += batch.links;
        head.groups.append(&mut batch.groups);
    }
    let mut parts: Vec<&[u8]> = batches.iter().map(|b| &b.records[..]).collect();
    parts.push(&keys);
    Ok(frame(&head, &parts))
}

impl StreamConverter {
    /// [`feed`](Self::feed) for a file whose users are mapped apart (see the module docs):
    /// the units the slice completes, as bytes to send to [`map_unit`]. Their results go to
    /// [`take`](Self::take) in this order; after the file's last slice come
    /// [`cut_end`](Self::cut_end), the last results, then [`end_cut`](Self::end_cut).
    ///
    /// # Errors
    /// The file has an error at or before this slice (no file started, or one whose
    /// reading failed): stop giving it slices, take back the units in flight and end it;
    /// the error in the report is the first in the file.
    pub fn cut(&mut self, slice: &[u8]) -> Result<Vec<Vec<u8>>> {
        self.cut_with(|sliced, out| sliced.cut(slice, out))
    }

    /// The file's last units, after its last slice; errors as [`cut`](Self::cut) (a file
    /// that ends inside a user).
    ///
    /// # Errors
    /// As [`cut`](Self::cut).
    pub fn cut_end(&mut self) -> Result<Vec<Vec<u8>>> {
        self.cut_with(|sliced, out| sliced.cut_end(out))
    }

    fn cut_with(
        &mut self,
        scan: impl FnOnce(&mut crate::cognito::SlicedExport, &mut Vec<OwnedUnit>) -> Result<()>,
    ) -> Result<Vec<Vec<u8>>> {
        let Some((sliced, start)) = self.current.as_mut() else {
            return Err(Error::argument("cut: no file was started"));
        };
        if let Some((e, _)) = &start.apart.failed {
            return Err(e.clone());
        }
        let mut units = Vec::new();
        let scanned = scan(sliced, &mut units);
        start
            .apart
            .pending
            .extend(units.iter().map(|u| u.documents));
        if let Err(e) = scanned {
            start.apart.failed = Some((e.clone(), true));
            return Err(e);
        }
        let compress = self.compress;
        Ok(units.iter().map(|u| unit_bytes(u, compress)).collect())
    }

    /// Takes back the next unit [`map_unit`] mapped, in the order cut: its users go to
    /// `spool` and the index as [`feed`](Self::feed) would put them. A unit whose users
    /// could not all be read ends the file with that error (at [`end_cut`](Self::end_cut));
    /// the units after it add nothing.
    ///
    /// # Errors
    /// No unit is waiting, or the bytes are not a mapped unit (damaged on the way).
    pub fn take(&mut self, mapped: &[u8], spool: &mut dyn Spool) -> Result<()> {
        let Some((sliced, start)) = self.current.as_mut() else {
            return Err(Error::argument("take: no file was started"));
        };
        let Some(documents) = start.apart.pending.pop_front() else {
            return Err(Error::argument("take: no unit is waiting to be taken back"));
        };
        let (head, rest) = unframe::<MappedHead>(mapped)?;
        if matches!(start.apart.failed, Some((_, false))) {
            return Ok(());
        }
        let offset = sliced.users();
        let summary = match head.read {
            Ok(summary) => summary,
            Err(kind) => {
                let e = Error::of_kind(kind).map_position(|pos| {
                    if let Some(index) = &mut pos.user_index {
                        *index += offset;
                    }
                });
                start.apart.failed = Some((e, false));
                return Ok(());
            }
        };
        let bytes: u64 = head.blocks.iter().map(|b| b.1).sum();
        let users: u64 = head.blocks.iter().map(|b| u64::from(b.0)).sum();
        if users != summary.users || rest.len() as u64 != bytes + users * Keys::BYTES as u64 {
            return Err(damaged("a mapped unit does not add up".into()));
        }
        let (mut records, mut keys) = rest.split_at(bytes as usize);
        // The unit's counts go with its first block.
        let mut counts = Some((head.tally, head.links, head.groups));
        for (n, len) in head.blocks {
            let (block, more) = records.split_at(len as usize);
            records = more;
            let mut block = block.to_vec();
            shift(&mut block, offset)?;
            let (users, more) = keys.split_at(n as usize * Keys::BYTES);
            keys = more;
            let (tally, links, groups) = counts.take().unwrap_or_default();
            let batch = Spooled {
                records: block,
                keys: users.chunks_exact(Keys::BYTES).map(Keys::read).collect(),
                tally,
                links,
                groups,
            };
            batch.keep(&mut self.index, &mut self.blocks, start, spool);
        }
        sliced.count_unit(summary, documents);
        if let Some(p) = self.progress.as_mut() {
            let before = self.seen as u64 + offset;
            let now = self.seen as u64 + sliced.users();
            if now / PROGRESS_EVERY > before / PROGRESS_EVERY {
                p(now);
            }
        }
        Ok(())
    }

    /// Ends a file read apart, once every unit cut is taken back: its summary.
    ///
    /// # Errors
    /// The file's first error (in a unit, or found by the scan), as
    /// [`end_file`](Self::end_file) gives it; or units are still to be taken back.
    pub fn end_cut(&mut self, spool: &mut dyn Spool) -> Result<&FileSummary> {
        let Some((sliced, mut start)) = self.current.take() else {
            return Err(Error::argument("end_cut: no file was started"));
        };
        if !start.apart.pending.is_empty() {
            let waiting = start.apart.pending.len();
            self.current = Some((sliced, start));
            return Err(Error::argument(format!(
                "end_cut: {waiting} unit(s) are still to be taken back"
            )));
        }
        let result = match start.apart.failed.take() {
            Some((e, _)) => Err(e),
            None => sliced.summary(),
        };
        self.end(start, result, spool)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Memory;
    use super::*;
    use crate::cognito::{CognitoUser, Origin};
    use crate::rules::Rules;

    const LINES: &[u8] = b"{\"Username\":\"a\"}\n{\"Username\":\"b\"}\n";

    #[test]
    fn damaged_or_unexpected_bytes_are_errors_not_panics() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut spool = Memory::default();
        let mut converter = StreamConverter::new(mapper.clone());
        assert!(converter.cut(LINES).is_err(), "no file started");
        converter.start_file("a.json", &mut spool);
        let units = converter.cut(LINES).unwrap();
        assert_eq!(units.len(), 1);
        for damaged in [&[][..], &[9, 0, 0, 0], &units[0][..3], b"\x02\0\0\0{}"] {
            assert!(map_unit(&mapper, damaged).is_err(), "{damaged:?}");
        }
        let mapped = map_unit(&mapper, &units[0]).unwrap();
        assert!(
            converter.end_cut(&mut spool).is_err(),
            "a unit is in flight"
        );
        assert!(converter
            .take(&mapped[..mapped.len() - 1], &mut spool)
            .is_err());
        assert!(converter.take(&mapped, &mut spool).is_err(), "none waiting");
        assert!(converter.cut_end().unwrap().is_empty());
        assert_eq!(converter.end_cut(&mut spool).unwrap().users, 0);
    }

    #[test]
    fn a_watched_unit_shows_every_user_once_in_order_and_maps_the_same() {
        let mapper = Rules::defaults().compile().unwrap();
        let bad = br#"{"Users":[{"Username":"x1"},{"Username":"x2","Enabled":[1]}]}"#;
        for (bytes, expected) in [(LINES, &["a", "b"][..]), (&bad[..], &["x1"])] {
            let mut converter = StreamConverter::new(mapper.clone());
            converter.start_file("a.json", &mut Memory::default());
            let mut units = converter.cut(bytes).unwrap();
            units.extend(converter.cut_end().unwrap());
            let mut seen = Vec::new();
            for unit in &units {
                let mut watch = |user: &CognitoUser<'_>, origin: Origin| {
                    seen.push((origin.index, user.username.to_string()));
                };
                let watched = map_unit_watched(&mapper, unit, &mut watch).unwrap();
                assert!(
                    watched == map_unit(&mapper, unit).unwrap(),
                    "the same bytes"
                );
            }
            let expected: Vec<_> = (0..).zip(expected.iter().map(|u| u.to_string())).collect();
            assert_eq!(seen, expected, "up to the error");
        }
    }

    #[test]
    fn a_file_read_apart_keeps_what_a_file_fed_keeps() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut fed = Memory::default();
        let mut converter = StreamConverter::new(mapper.clone());
        converter.start_file("a.json", &mut fed);
        for half in LINES.chunks(20) {
            converter.feed(half, &mut fed).unwrap();
        }
        let whole = converter.end_file(&mut fed).unwrap().clone();
        let mut apart = Memory::default();
        let mut converter = StreamConverter::new(mapper.clone());
        converter.start_file("a.json", &mut apart);
        for half in LINES.chunks(20) {
            for unit in converter.cut(half).unwrap() {
                let mapped = map_unit(&mapper, &unit).unwrap();
                converter.take(&mapped, &mut apart).unwrap();
            }
        }
        assert!(converter.cut_end().unwrap().is_empty());
        assert_eq!(converter.end_cut(&mut apart).unwrap(), &whole);
        assert_eq!(converter.users_read(), 2);
        assert!(fed.0 == apart.0, "the same blocks");
    }
}
