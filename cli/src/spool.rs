//! The streamed conversion's spool: the core's blocks of mapped users, one after the other,
//! in memory while the pool is small, else in a file that has no name (created 0600 and
//! removed at once, so a killed run leaves nothing behind and no other process can open it).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read as _, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use cognito_fusionauth::Spool;

use crate::private::open_private;

/// Blocks are framed in the file by their length, 4 bytes little-endian.
const FRAME: usize = 4;

/// Buffer of the spool file's reads and writes.
const BUFFER: usize = 8 << 20;

/// A spool up to this size stays in memory (a pool of about 150,000 users): writing and
/// reading a file back would only cost time.
const IN_MEMORY: u64 = 128 << 20;

/// Where the blocks are.
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
    blocks: u64,
    bytes: u64,
    /// Blocks and bytes when the input file being added started (to forget its blocks).
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
    /// A new spool for inputs of `input_bytes` (`None`: not known, a pipe say): in a file in
    /// `dir` from the start when they are larger than the spool kept in memory, else in
    /// memory until it grows that large.
    ///
    /// # Errors
    ///
    /// When `dir` is not a folder this process can write to.
    pub(crate) fn create(dir: &Path, input_bytes: Option<u64>) -> Result<Self> {
        // Fail now rather than half way through a large pool.
        let file = create_file(dir)?;
        let store = if input_bytes.is_none_or(|n| n > IN_MEMORY) {
            Store::File(BufWriter::with_capacity(BUFFER, file))
        } else {
            Store::Memory(Vec::new())
        };
        Ok(Self {
            dir: dir.to_owned(),
            store,
            blocks: 0,
            bytes: 0,
            mark: (0, 0),
            error: None,
        })
    }

    /// Whether the spool is in a file: its blocks are then worth compressing, as the bytes not
    /// written (through the page cache and back) cost more than the compressing.
    pub(crate) fn on_disk(&self) -> bool {
        matches!(self.store, Store::File(_))
    }

    /// Remembers where the next input file's blocks start.
    pub(crate) fn mark(&mut self) {
        self.mark = (self.blocks, self.bytes);
    }

    /// The first error writing the spool, if any.
    pub(crate) fn check(&mut self) -> Result<()> {
        match self.error.take() {
            Some(e) => Err(e.context("cannot write the conversion's spool")),
            None => Ok(()),
        }
    }

    /// Moves the blocks to a file.
    fn spill(&mut self) -> Result<()> {
        if let Store::Memory(blocks) = &self.store {
            let mut file = BufWriter::with_capacity(BUFFER, create_file(&self.dir)?);
            for block in blocks {
                write_block(&mut file, block)?;
            }
            self.store = Store::File(file);
        }
        Ok(())
    }

    fn write(&mut self, block: Vec<u8>) -> Result<()> {
        match &mut self.store {
            Store::Memory(blocks) => {
                blocks.push(block);
                if self.bytes > IN_MEMORY {
                    self.spill()?;
                }
            }
            Store::File(file) => write_block(file, &block)?,
        }
        Ok(())
    }

    /// Ends writing: the blocks can be read back, any number of times.
    ///
    /// # Errors
    ///
    /// When the spool cannot be written.
    pub(crate) fn into_reader(mut self) -> Result<SpoolReader> {
        self.check()?;
        let store = match self.store {
            Store::Memory(blocks) => Read::Memory(blocks),
            Store::File(file) => Read::File(
                file.into_inner()
                    .map_err(|e| e.into_error())
                    .context("cannot write the conversion's spool")?,
            ),
        };
        Ok(SpoolReader {
            store,
            blocks: self.blocks,
        })
    }
}

fn write_block(file: &mut BufWriter<File>, block: &[u8]) -> Result<()> {
    file.write_all(&u32::try_from(block.len())?.to_le_bytes())?;
    file.write_all(block)?;
    Ok(())
}

impl Spool for FileSpool {
    fn push(&mut self, block: Vec<u8>) {
        if self.error.is_some() {
            return;
        }
        let len = (FRAME + block.len()) as u64;
        self.blocks += 1;
        self.bytes += len;
        if let Err(e) = self.write(block) {
            self.error = Some(e);
        }
    }

    fn truncate(&mut self, keep: u64) {
        if keep != self.mark.0 {
            self.error.get_or_insert_with(|| {
                anyhow!(
                    "asked to keep {keep} blocks, not the {} before the file",
                    self.mark.0
                )
            });
            return;
        }
        let at = self.mark.1;
        let truncated = match &mut self.store {
            Store::Memory(blocks) => {
                blocks.truncate(usize::try_from(keep).unwrap_or(usize::MAX));
                Ok(())
            }
            Store::File(file) => file
                .flush()
                .and_then(|()| file.get_ref().set_len(at))
                .and_then(|()| file.seek(SeekFrom::Start(at)).map(drop)),
        };
        match truncated {
            Ok(()) => (self.blocks, self.bytes) = self.mark,
            Err(e) => self.error = Some(e.into()),
        }
    }
}

/// Where the written blocks are.
#[derive(Debug)]
enum Read {
    Memory(Vec<Vec<u8>>),
    File(File),
}

/// The written spool.
#[derive(Debug)]
pub(crate) struct SpoolReader {
    store: Read,
    blocks: u64,
}

impl SpoolReader {
    /// Hands each block, in order, to `each`; with `wanted` (block numbers, ascending) only
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
        let context = "cannot read the conversion's spool back";
        let mut wanted = wanted.map(|w| w.iter().copied().peekable());
        // Whether to hand block `n` on; None once every wanted block was.
        let mut take = |n: u64| match &mut wanted {
            None => Some(true),
            Some(w) => w.peek().is_some().then(|| w.next_if_eq(&n).is_some()),
        };
        match &self.store {
            Read::Memory(blocks) => {
                for (n, block) in blocks.iter().enumerate() {
                    match take(n as u64) {
                        None => break,
                        Some(true) => each(block)?,
                        Some(false) => {}
                    }
                }
            }
            Read::File(file) => {
                let mut file = file;
                file.seek(SeekFrom::Start(0)).context(context)?;
                let mut reader = BufReader::with_capacity(BUFFER, file);
                let mut block = Vec::new();
                for n in 0..self.blocks {
                    let mut frame = [0u8; FRAME];
                    reader.read_exact(&mut frame).context(context)?;
                    let len = u32::from_le_bytes(frame);
                    match take(n) {
                        None => break,
                        Some(true) => {
                            block.resize(len as usize, 0);
                            reader.read_exact(&mut block).context(context)?;
                            each(&block)?;
                        }
                        // Keeps the buffer, unlike `seek`.
                        Some(false) => reader.seek_relative(i64::from(len)).context(context)?,
                    }
                }
            }
        }
        match wanted.and_then(|mut w| w.next()) {
            Some(n) => Err(anyhow!("{context}: block {n} is past its end")),
            None => Ok(()),
        }
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
    fn blocks_come_back_in_order_whole_or_the_wanted_ones_and_a_file_can_be_forgotten() {
        in_order(false);
        in_order(true);
    }

    fn in_order(spilled: bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path(), Some(0)).unwrap();
        if spilled {
            spool.spill().unwrap();
            assert!(matches!(spool.store, Store::File(_)));
        }
        // The spool has no name in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        spool.mark();
        spool.push(b"one".to_vec());
        spool.push(Vec::new());
        spool.mark();
        spool.push(b"gone".to_vec());
        spool.truncate(2);
        spool.push(vec![7u8; 70_000]);
        spool.push(b"four".to_vec());
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
        let mut spool = FileSpool::create(dir.path(), Some(0)).unwrap();
        let blocks = (IN_MEMORY >> 20) + 2;
        for _ in 0..blocks {
            spool.push(vec![1u8; 1 << 20]);
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
        assert_eq!(n, blocks);
    }

    #[test]
    fn the_spool_of_large_inputs_or_inputs_of_unknown_size_is_on_disk_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        for (size, on_disk) in [
            (Some(IN_MEMORY), false),
            (Some(IN_MEMORY + 1), true),
            (None, true),
        ] {
            let spool = FileSpool::create(dir.path(), size).unwrap();
            assert_eq!(spool.on_disk(), on_disk, "{size:?}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_spool_folder_that_cannot_be_written_is_an_error_at_once() {
        assert!(FileSpool::create(Path::new("/nonexistent/folder"), Some(0)).is_err());
    }

    #[test]
    fn forgetting_other_than_the_last_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path(), Some(0)).unwrap();
        spool.mark();
        spool.push(b"a".to_vec());
        spool.truncate(1);
        assert!(spool.check().is_err());
    }
}
