//! The streamed conversion's spool: every mapped user, one record after the other, in memory
//! while the pool is small, else in a file that has no name (created 0600 and removed at
//! once, so a killed run leaves nothing behind and no other process can open it).

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use cognito_fusionauth::Spool;

use crate::private::open_private;

/// Records are framed by their length, 4 bytes little-endian.
const FRAME: usize = 4;

/// Buffer of the spool file's reads and writes.
const BUFFER: usize = 8 << 20;

/// A spool up to this size stays in memory (a pool of about 150,000 users): writing and
/// reading a file back would only cost time.
const IN_MEMORY: usize = 128 << 20;

/// Records in memory go into blocks of this size (no record is split between two), so the
/// spool grows without copying what it holds.
const BLOCK: usize = 4 << 20;

/// Where the records are.
#[derive(Debug)]
enum Store {
    Memory(Vec<Vec<u8>>),
    File(BufWriter<File>),
}

/// The spool: in memory while small, then in a file in `dir`.
#[derive(Debug)]
pub(crate) struct FileSpool {
    dir: PathBuf,
    store: Store,
    records: u64,
    bytes: u64,
    /// Records and bytes when the file being added started (to forget its records).
    mark: (u64, u64),
    /// The first error (the core's `Spool::push` cannot fail; checked after each file).
    error: Option<anyhow::Error>,
}

/// Creates the spool file in `dir`, with no name.
fn create_file(dir: &Path) -> Result<File> {
    let path = dir.join(format!(
        ".cognito-fusionauth-spool-{}.tmp",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let file = open_private(
        &path,
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true),
    )
    .context("cannot create the conversion's spool (choose another --spool-dir)")?;
    // Open files outlive their name: the spool is gone with the process, however it ends.
    std::fs::remove_file(&path)
        .with_context(|| format!("cannot remove the name of {}", path.display()))?;
    Ok(file)
}

impl FileSpool {
    /// A new spool, which moves to a file in `dir` once it is large.
    ///
    /// # Errors
    ///
    /// When `dir` is not a folder this process can write to.
    pub(crate) fn create(dir: &Path) -> Result<Self> {
        // Fail now rather than half way through a large pool.
        drop(create_file(dir)?);
        Ok(Self {
            dir: dir.to_owned(),
            store: Store::Memory(Vec::new()),
            records: 0,
            bytes: 0,
            mark: (0, 0),
            error: None,
        })
    }

    /// Remembers where the next input file's records start.
    pub(crate) fn mark(&mut self) {
        self.mark = (self.records, self.bytes);
    }

    /// The first error writing the spool, if any.
    pub(crate) fn check(&mut self) -> Result<()> {
        match self.error.take() {
            Some(e) => Err(e.context("cannot write the conversion's spool")),
            None => Ok(()),
        }
    }

    /// Moves the records to a file.
    fn spill(&mut self) -> Result<()> {
        if let Store::Memory(blocks) = &self.store {
            let mut file = BufWriter::with_capacity(BUFFER, create_file(&self.dir)?);
            for block in blocks {
                file.write_all(block)?;
            }
            self.store = Store::File(file);
        }
        Ok(())
    }

    fn write(&mut self, record: &[u8]) -> Result<()> {
        let len = u32::try_from(record.len())?.to_le_bytes();
        match &mut self.store {
            Store::Memory(blocks) => {
                let need = FRAME + record.len();
                match blocks.last_mut() {
                    Some(block) if block.capacity() - block.len() >= need => {
                        block.extend_from_slice(&len);
                        block.extend_from_slice(record);
                    }
                    _ => {
                        let mut block = Vec::with_capacity(need.max(BLOCK));
                        block.extend_from_slice(&len);
                        block.extend_from_slice(record);
                        blocks.push(block);
                    }
                }
                if self.bytes as usize + need > IN_MEMORY {
                    self.spill()?;
                }
            }
            Store::File(file) => {
                file.write_all(&len)?;
                file.write_all(record)?;
            }
        }
        Ok(())
    }

    /// Ends writing: the records can be read back, any number of times.
    ///
    /// # Errors
    ///
    /// When the spool cannot be written.
    pub(crate) fn into_reader(mut self) -> Result<SpoolReader> {
        self.check()?;
        let store = match self.store {
            Store::Memory(bytes) => Read::Memory(bytes),
            Store::File(file) => Read::File(
                file.into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write the conversion's spool")?,
            ),
        };
        Ok(SpoolReader {
            store,
            records: self.records,
        })
    }
}

impl Spool for FileSpool {
    fn push(&mut self, record: &[u8]) {
        if self.error.is_some() {
            return;
        }
        match self.write(record) {
            Ok(()) => {
                self.records += 1;
                self.bytes += (FRAME + record.len()) as u64;
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn truncate(&mut self, keep: u64) {
        if keep != self.mark.0 {
            self.error.get_or_insert_with(|| {
                anyhow!(
                    "asked to keep {keep} records, not the {} before the file",
                    self.mark.0
                )
            });
            return;
        }
        let at = self.mark.1;
        let truncated = match &mut self.store {
            Store::Memory(blocks) => {
                let mut left = usize::try_from(at).unwrap_or(usize::MAX);
                blocks.retain_mut(|block| {
                    let keep = left.min(block.len());
                    block.truncate(keep);
                    left -= keep;
                    keep > 0
                });
                Ok(())
            }
            Store::File(file) => file
                .flush()
                .and_then(|()| file.get_ref().set_len(at))
                .and_then(|()| file.seek(SeekFrom::Start(at)).map(drop)),
        };
        match truncated {
            Ok(()) => (self.records, self.bytes) = self.mark,
            Err(e) => self.error = Some(e.into()),
        }
    }
}

/// Where the written records are.
#[derive(Debug)]
enum Read {
    Memory(Vec<Vec<u8>>),
    File(File),
}

/// The written spool.
#[derive(Debug)]
pub(crate) struct SpoolReader {
    store: Read,
    records: u64,
}

impl SpoolReader {
    /// Hands each record, in order, to `each`; with `wanted` (positions, ascending) only
    /// those, skipping the others unread.
    ///
    /// # Errors
    ///
    /// When the spool cannot be read back whole, or `each` fails.
    pub(crate) fn read(
        &mut self,
        wanted: Option<&[u64]>,
        each: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        match &self.store {
            Read::Memory(blocks) => walk(
                Blocks {
                    blocks,
                    block: 0,
                    at: 0,
                },
                self.records,
                wanted,
                each,
            ),
            Read::File(file) => {
                let mut file = file;
                file.seek(SeekFrom::Start(0))?;
                walk(
                    BufReader::with_capacity(BUFFER, file),
                    self.records,
                    wanted,
                    each,
                )
            }
        }
        .context("cannot read the conversion's spool back")
    }
}

/// A source of framed records that can skip one unread.
trait Frames: std::io::Read {
    fn skip(&mut self, len: u32) -> std::io::Result<()>;
}

/// The blocks of an in-memory spool, read one after the other.
struct Blocks<'a> {
    blocks: &'a [Vec<u8>],
    block: usize,
    at: usize,
}

impl std::io::Read for Blocks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(block) = self.blocks.get(self.block) {
            if self.at < block.len() {
                let n = buf.len().min(block.len() - self.at);
                buf[..n].copy_from_slice(&block[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            self.block += 1;
            self.at = 0;
        }
        Ok(0)
    }
}

impl Frames for Blocks<'_> {
    fn skip(&mut self, len: u32) -> std::io::Result<()> {
        // A record is never split between blocks.
        self.at += len as usize;
        Ok(())
    }
}

impl Frames for BufReader<&File> {
    fn skip(&mut self, len: u32) -> std::io::Result<()> {
        // Keeps the buffer, unlike `seek`.
        self.seek_relative(i64::from(len))
    }
}

/// Hands the first `records` records of `from` (or the `wanted` ones) to `each`.
fn walk(
    mut from: impl Frames,
    records: u64,
    wanted: Option<&[u64]>,
    each: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let mut wanted = wanted.map(|w| w.iter().copied().peekable());
    let mut record = Vec::new();
    for position in 0..records {
        let mut frame = [0u8; FRAME];
        from.read_exact(&mut frame)?;
        let len = u32::from_le_bytes(frame);
        if let Some(w) = &mut wanted {
            if w.peek().is_none() {
                return Ok(());
            }
            if w.next_if_eq(&position).is_none() {
                from.skip(len)?;
                continue;
            }
        }
        record.resize(len as usize, 0);
        from.read_exact(&mut record)?;
        each(&record)?;
    }
    match wanted.and_then(|mut w| w.next()) {
        Some(p) => Err(anyhow!("user {p} is past its end")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(reader: &mut SpoolReader, wanted: Option<&[u64]>) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        reader
            .read(wanted, &mut |r| {
                out.push(r.to_vec());
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn records_come_back_in_order_whole_or_the_wanted_ones_and_a_file_can_be_forgotten() {
        in_order(false);
        in_order(true);
    }

    fn in_order(spilled: bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path()).unwrap();
        if spilled {
            spool.spill().unwrap();
            assert!(matches!(spool.store, Store::File(_)));
        }
        // The spool has no name in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        spool.mark();
        spool.push(b"one");
        spool.push(b"");
        spool.mark();
        spool.push(b"gone");
        spool.truncate(2);
        spool.push(&[7u8; 70_000]);
        spool.push(b"four");
        spool.check().unwrap();
        let mut reader = spool.into_reader().unwrap();
        let all = read_all(&mut reader, None);
        assert_eq!(all.len(), 4);
        assert_eq!(
            (all[0].as_slice(), all[1].len(), all[2].len()),
            (&b"one"[..], 0, 70_000)
        );
        assert_eq!(all[3], b"four");
        let some = read_all(&mut reader, Some(&[0, 3]));
        assert_eq!(some, [b"one".to_vec(), b"four".to_vec()]);
        assert!(reader.read(Some(&[9]), &mut |_| Ok(())).is_err());
    }

    #[test]
    fn a_large_spool_moves_to_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path()).unwrap();
        let record = vec![1u8; 1 << 20];
        for _ in 0..=(IN_MEMORY >> 20) {
            spool.push(&record);
        }
        assert!(matches!(spool.store, Store::File(_)));
        spool.check().unwrap();
        let mut reader = spool.into_reader().unwrap();
        let mut n = 0;
        reader
            .read(None, &mut |r| {
                assert_eq!(r.len(), 1 << 20);
                n += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(n, (IN_MEMORY >> 20) + 1);
    }

    #[test]
    fn a_spool_folder_that_cannot_be_written_is_an_error_at_once() {
        assert!(FileSpool::create(Path::new("/nonexistent/folder")).is_err());
    }

    #[test]
    fn forgetting_other_than_the_last_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path()).unwrap();
        spool.mark();
        spool.push(b"a");
        spool.truncate(1);
        assert!(spool.check().is_err());
    }
}
