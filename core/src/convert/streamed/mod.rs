//! The bulk conversion in bounded memory, for pools larger than memory: the same files as
//! [`Converter`](super::Converter), byte for byte, with only a compact index of each user kept.
//!
//! 1. [`StreamConverter::add_file`] reads and maps each file as the in-memory conversion does,
//!    hands the packed users to the caller's [`Spool`] (a file on disk, say) in blocks of a
//!    few hundred, and keeps each user's hashed keys ([`KeyIndex`]).
//! 2. [`Gathering`]: the caller hands back the few blocks holding users the index names (those
//!    that may share a value with another); the checks across users run on them alone.
//! 3. [`StreamOutput`]: the caller hands back every block in order; the output files come out
//!    in [`OutputPiece`]s as they are written.
//!
//! The core still does no I/O: the caller keeps the spool and writes the pieces.

use self::block::Block;
use super::key_index::{KeyIndex, Keys};
use super::pipeline::{read_and_map, Progress, Reader};
use super::FilesRead;
use crate::cognito::{read_export, CognitoUser, FileSummary, Origin, SlicedExport};
use crate::error::{Error, Result};
use crate::packed_user::PackedUser;
use crate::report::Tally;
use crate::rules::{DuplicatePolicy, Mapper};

mod apart;
mod block;
mod gathering;
mod writing;

pub use apart::{map_unit, map_unit_watched};
pub use gathering::Gathering;
pub use writing::{Resolved, StreamOutput};

/// Where a streamed conversion keeps its users between passes: blocks of bytes stored in
/// order and handed back as they were (all of them in order, or the ones
/// [`Gathering::wanted`] names). Storage errors are the caller's to keep and report once the
/// call that pushed returns.
pub trait Spool {
    /// Stores the next block.
    fn push(&mut self, block: Vec<u8>);
    /// Forgets every block after the first `keep` (a file that failed part way).
    fn truncate(&mut self, keep: u64);
}

/// What [`map_unit_watched`] shows each user read, with its place.
pub type Watch<'w> = &'w mut dyn FnMut(&CognitoUser<'_>, Origin);

/// `each`, showing `watch` every user first.
fn watched<'a, 'e>(
    watch: Watch<'e>,
    each: &'e mut dyn FnMut(CognitoUser<'a>, Origin),
) -> impl FnMut(CognitoUser<'a>, Origin) + 'e {
    move |user, origin| {
        watch(&user, origin);
        each(user, origin);
    }
}

/// A spool that gives back other bytes than it was given.
fn damaged(e: String) -> Error {
    Error::argument(format!("the spool handed back is not the one written: {e}"))
}

/// The first pass of a streamed conversion: add files one at a time, whole
/// ([`add_file`](Self::add_file)) or in slices ([`start_file`](Self::start_file),
/// [`feed`](Self::feed), [`end_file`](Self::end_file)), then [`finish`](Self::finish).
pub struct StreamConverter {
    mapper: Mapper,
    read: FilesRead,
    index: KeyIndex,
    /// The users of each block pushed to the spool.
    blocks: Vec<u32>,
    /// The findings of every user read.
    tally: Tally,
    /// The link requests of every user read.
    links: u64,
    /// Users read over all files, those of a file that failed part way included.
    seen: usize,
    progress: Progress<'static>,
    /// The file being given in slices.
    current: Option<(SlicedExport, FileStart)>,
    /// Whether spool blocks are compressed.
    compress: bool,
}

/// What a file being read adds, kept apart until it is read whole (a file that fails part
/// way adds nothing but its error).
#[derive(Debug, Default)]
struct FileStart {
    name: String,
    users: u64,
    blocks: usize,
    tally: Tally,
    links: u64,
    groups: Vec<String>,
    /// The units of a file read apart in flight.
    apart: apart::InFlight,
}

impl std::fmt::Debug for StreamConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamConverter")
            .field("files", &self.read.files)
            .field("users", &self.index.len())
            .finish_non_exhaustive()
    }
}

impl StreamConverter {
    /// A streamed conversion with the given compiled rules.
    pub fn new(mapper: Mapper) -> Self {
        let fallback = mapper.rules().settings.on_duplicate == DuplicatePolicy::MoveToData;
        Self {
            mapper,
            read: FilesRead::default(),
            index: KeyIndex::new(fallback),
            blocks: Vec::new(),
            tally: Tally::default(),
            links: 0,
            seen: 0,
            progress: None,
            current: None,
            compress: false,
        }
    }

    /// Calls `report` with the number of users read so far over all files (it never goes
    /// back), every 10,000 users of a file.
    pub fn on_progress(&mut self, report: impl FnMut(u64) + 'static) {
        self.progress = Some(Box::new(report));
    }

    /// Compresses the blocks pushed to the spool from now on (LZ4, about 4 times smaller):
    /// worth it for a spool on disk, where the bytes not written cost more than the
    /// compressing, which runs on the mapping threads. Blocks are read back either way.
    pub fn compress_spool(&mut self, compress: bool) {
        self.compress = compress;
    }

    /// Users read so far over all files (the files that could not be read count none).
    pub fn users_read(&self) -> u64 {
        self.index.len()
    }

    /// Makes room in the index for `users` more users at once, so that it does not grow by
    /// doubling (a browser's WASM memory never shrinks back after a copy).
    pub fn reserve(&mut self, users: u64) {
        self.index.reserve(users);
    }

    /// Blocks pushed to the spool so far that the conversion keeps: after an error, the
    /// spool holds these first blocks only.
    pub fn blocks(&self) -> u64 {
        self.blocks.len() as u64
    }

    /// Reads and maps the users of one export file, pushing them to `spool` in input order.
    ///
    /// # Errors
    /// As [`Converter::add_file`](super::Converter::add_file): a read error naming the file,
    /// position, user and field. The spool is then truncated back to before the file.
    pub fn add_file(
        &mut self,
        name: &str,
        bytes: &[u8],
        spool: &mut dyn Spool,
    ) -> Result<&FileSummary> {
        self.close_sliced(spool);
        let mut start = self.begin(name);
        let file = self.read.files.len();
        let result = self.read_into(
            &mut start,
            &mut |each| read_export(name, file, bytes, each),
            spool,
        );
        self.end(start, result, spool)
    }

    /// Starts a file given in slices (a file started before and not ended is dropped, as if
    /// it had failed).
    pub fn start_file(&mut self, name: &str, spool: &mut dyn Spool) {
        self.close_sliced(spool);
        let start = self.begin(name);
        self.current = Some((SlicedExport::new(name, self.read.files.len()), start));
    }

    /// Reads the next slice of the file started last: its whole users are mapped and pushed
    /// to `spool`.
    ///
    /// # Errors
    /// A read error, as [`add_file`](Self::add_file): the file ends there.
    pub fn feed(&mut self, slice: &[u8], spool: &mut dyn Spool) -> Result<()> {
        let Some((mut sliced, mut start)) = self.current.take() else {
            return Err(Error::argument("feed: no file was started"));
        };
        let result = sliced.feed(slice, &mut |unit| {
            self.read_into(&mut start, &mut |each| unit.read(each), spool)
        });
        match result {
            Ok(()) => {
                self.current = Some((sliced, start));
                Ok(())
            }
            Err(e) => self.end(start, Err(e), spool).map(drop),
        }
    }

    /// Ends the file started last.
    ///
    /// # Errors
    /// A read error, as [`add_file`](Self::add_file) (an empty file, one cut short).
    pub fn end_file(&mut self, spool: &mut dyn Spool) -> Result<&FileSummary> {
        let Some((sliced, mut start)) = self.current.take() else {
            return Err(Error::argument("end_file: no file was started"));
        };
        let result = sliced
            .finish(&mut |unit| self.read_into(&mut start, &mut |each| unit.read(each), spool));
        self.end(start, result, spool)
    }

    /// Drops a file given in slices that was not ended.
    fn close_sliced(&mut self, spool: &mut dyn Spool) {
        if let Some((_, start)) = self.current.take() {
            self.forget(start.users, start.blocks, spool);
        }
    }

    fn begin(&self, name: &str) -> FileStart {
        FileStart {
            name: name.to_owned(),
            blocks: self.blocks.len(),
            ..FileStart::default()
        }
    }

    /// Reads users with `reader`, maps them and pushes them to `spool`, counting in `start`.
    fn read_into<'a>(
        &mut self,
        start: &mut FileStart,
        reader: Reader<'_, 'a>,
        spool: &mut dyn Spool,
    ) -> Result<FileSummary> {
        let file = self.read.files.len();
        let blocks = &mut self.blocks;
        let index = &mut self.index;
        let fallback = index.fallback_usernames();
        let compress = self.compress;
        let before = self.seen + start.users as usize;
        read_and_map(
            &self.mapper,
            file,
            reader,
            before,
            &mut self.progress,
            // The mapping threads spool and hash: the reading thread only copies.
            &|users, unmapped| Spooled::new(users, unmapped, fallback, compress),
            &mut |batch: Spooled| batch.keep(index, blocks, start, spool),
        )
    }

    /// Counts a file read whole, or forgets it with its error.
    fn end(
        &mut self,
        start: FileStart,
        result: Result<FileSummary>,
        spool: &mut dyn Spool,
    ) -> Result<&FileSummary> {
        self.seen += start.users as usize;
        if result.is_ok() {
            self.tally.merge(start.tally);
            self.links += start.links;
        } else {
            self.forget(start.users, start.blocks, spool);
        }
        self.read.end(&start.name, result, start.groups)
    }

    /// Takes back what a file that is not kept added.
    fn forget(&mut self, users: u64, blocks: usize, spool: &mut dyn Spool) {
        self.index.truncate(self.index.len() - users);
        self.blocks.truncate(blocks);
        spool.truncate(blocks as u64);
    }

    /// Ends the first pass: the index names the spooled users the checks across users need.
    pub fn finish(mut self, spool: &mut dyn Spool) -> Gathering {
        self.close_sliced(spool);
        let wanted = self.index.candidates();
        // The blocks that hold wanted users, with the position of their first user.
        let mut wanted_blocks = Vec::new();
        let mut start = 0u64;
        let mut next = wanted.iter().peekable();
        for (b, &n) in self.blocks.iter().enumerate() {
            let end = start + u64::from(n);
            if next.peek().is_some_and(|&&p| p < end) {
                wanted_blocks.push((b as u64, start));
                while next.next_if(|&&p| p < end).is_some() {}
            }
            start = end;
        }
        Gathering {
            wanted: wanted_blocks.iter().map(|(b, _)| *b).collect(),
            wanted_blocks,
            taken: 0,
            mapper: self.mapper,
            files: self.read.files,
            file_findings: self.read.findings,
            users: self.index.len(),
            tally: self.tally,
            links: self.links,
            unmapped_groups: self.read.unmapped_groups,
            gathered: Vec::with_capacity(wanted.len()),
            scratch: Vec::new(),
            wanted_users: wanted,
        }
    }
}

/// A mapped batch made ready on a mapping thread: its spool block (the users framed one after
/// the other), their keys, and what they add to the counts.
struct Spooled {
    records: Vec<u8>,
    keys: Vec<Keys>,
    tally: Tally,
    links: u64,
    groups: Vec<String>,
}

impl Spooled {
    /// Keeps a batch of the file `start` counts: its users' keys in `index`, its block in
    /// `spool` (its size in `blocks`), its counts in `start`.
    fn keep(
        self,
        index: &mut KeyIndex,
        blocks: &mut Vec<u32>,
        start: &mut FileStart,
        spool: &mut dyn Spool,
    ) {
        if self.keys.is_empty() {
            return;
        }
        for keys in &self.keys {
            index.push(keys);
        }
        start.users += self.keys.len() as u64;
        blocks.push(self.keys.len() as u32);
        spool.push(self.records);
        start.tally.merge(self.tally);
        start.links += self.links;
        start.groups.extend(self.groups);
    }

    fn new(users: Vec<PackedUser>, groups: Vec<String>, fallback: bool, compress: bool) -> Self {
        let size: usize = users.iter().map(|r| r.json().len() + 128).sum();
        // Users are numbered in the block from its first (see `block`).
        let base = users.first().map_or(0, |r| r.index);
        let mut block = Block::with_capacity(size, base);
        let mut batch = Self {
            records: Vec::new(),
            keys: Vec::with_capacity(users.len()),
            tally: Tally::default(),
            links: 0,
            groups,
        };
        for r in users {
            batch.keys.push(Keys::of(&r, fallback));
            for f in r.findings() {
                // The file is only named for unreadable files, never a user's finding.
                batch.tally.add(f.severity, f.code, "");
            }
            batch.links += r.links().len() as u64;
            block.push(|out| r.to_spool(base, out));
        }
        batch.records = block.seal(compress);
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    /// A spool in memory.
    #[derive(Default)]
    pub(super) struct Memory(pub(super) Vec<Vec<u8>>);

    impl Spool for Memory {
        fn push(&mut self, block: Vec<u8>) {
            self.0.push(block);
        }
        fn truncate(&mut self, keep: u64) {
            self.0.truncate(keep as usize);
        }
    }

    /// `n` users `u0`…; users 1 and `n - 1` share an email.
    fn page(n: usize) -> Vec<u8> {
        let users: Vec<String> = (0..n)
            .map(|i| {
                let email = if i == n - 1 { 1 } else { i };
                format!(
                    r#"{{"Username":"u{i}","Attributes":[{{"Name":"email","Value":"e{email}@example.com"}}]}}"#
                )
            })
            .collect();
        format!("{{\"Users\":[{}]}}", users.join(",")).into_bytes()
    }

    fn first_pass(mapper: &Mapper) -> (Gathering, Memory) {
        let mut spool = Memory::default();
        let mut converter = StreamConverter::new(mapper.clone());
        converter
            .add_file("a.json", &page(1200), &mut spool)
            .unwrap();
        // A file that fails part way leaves nothing in the spool.
        let bad = br#"{"Users":[{"Username":"x1"},{"Username":"x2","Enabled":[1]}]}"#;
        assert!(converter.add_file("bad.json", bad, &mut spool).is_err());
        assert_eq!(converter.users_read(), 1200);
        (converter.finish(&mut spool), spool)
    }

    #[test]
    fn only_the_blocks_of_the_users_that_share_a_value_are_wanted_back() {
        let mapper = Rules::defaults().compile().unwrap();
        let (gathering, spool) = first_pass(&mapper);
        // Blocks of 512 users: users 1 and 1199 are in the first and the third.
        assert_eq!(spool.0.len(), 3);
        assert_eq!(gathering.wanted(), [0, 2]);
    }

    #[test]
    fn a_spool_that_gives_back_too_few_too_many_or_damaged_blocks_is_an_error() {
        let mapper = Rules::defaults().compile().unwrap();
        let (mut gathering, spool) = first_pass(&mapper);
        assert!(first_pass(&mapper).0.resolve().is_err(), "none handed back");
        gathering.take(&spool.0[0]).unwrap();
        let cut = &spool.0[2][..spool.0[2].len() - 1];
        assert!(first_pass(&mapper).0.take(cut).is_err(), "cut short");
        gathering.take(&spool.0[2]).unwrap();
        assert!(gathering.take(&spool.0[2]).is_err(), "one too many");
        let resolved = gathering.resolve().unwrap();
        assert!(resolved.blocked(), "an unreadable file and a shared email");
        let mut output = resolved.report_output();
        output.block(&spool.0[0], &mut |_| {}).unwrap();
        assert!(output.block(&spool.0[1][..10], &mut |_| {}).is_err());
        assert!(output.finish(&mut |_| {}).is_err(), "users missing");
    }
}
