//! The streamed conversion's spool on disk: every mapped user, one record after the other,
//! in a file that has no name (created 0600 and removed at once, so a killed run leaves
//! nothing behind and no other process can open it).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use cognito_fusionauth::Spool;

use crate::private::open_private;

/// Records are framed by their length, 4 bytes little-endian.
const FRAME: usize = 4;

/// Buffer of the spool's reads and writes.
const BUFFER: usize = 8 << 20;

/// The spool file and where each input file's records start.
#[derive(Debug)]
pub(crate) struct FileSpool {
    writer: BufWriter<File>,
    records: u64,
    bytes: u64,
    /// Records and bytes when the file being added started (to forget its records).
    mark: (u64, u64),
    /// The first write error (the core's `Spool::push` cannot fail; checked after each file).
    error: Option<std::io::Error>,
}

impl FileSpool {
    /// A new spool in `dir`.
    ///
    /// # Errors
    ///
    /// When the file cannot be created there.
    pub(crate) fn create(dir: &Path) -> Result<Self> {
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
        Ok(Self {
            writer: BufWriter::with_capacity(BUFFER, file),
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
            Some(e) => Err(e).context("cannot write the conversion's spool"),
            None => Ok(()),
        }
    }

    /// Ends writing: the records can be read back, any number of times.
    ///
    /// # Errors
    ///
    /// When the spool cannot be written.
    pub(crate) fn into_reader(mut self) -> Result<SpoolReader> {
        self.check()?;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| e.into_error())
            .context("cannot write the conversion's spool")?;
        Ok(SpoolReader {
            file,
            records: self.records,
        })
    }
}

impl Spool for FileSpool {
    fn push(&mut self, record: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
        let written = self
            .writer
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.writer.write_all(record));
        match written {
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
                std::io::Error::other(format!(
                    "asked to keep {keep} records, not the {} before the file",
                    self.mark.0
                ))
            });
            return;
        }
        let truncated = self
            .writer
            .flush()
            .and_then(|()| self.writer.get_ref().set_len(self.mark.1))
            .and_then(|()| self.writer.seek(SeekFrom::Start(self.mark.1)).map(drop));
        match truncated {
            Ok(()) => (self.records, self.bytes) = self.mark,
            Err(e) => self.error = Some(e),
        }
    }
}

/// The written spool.
#[derive(Debug)]
pub(crate) struct SpoolReader {
    file: File,
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
        let context = "cannot read the conversion's spool back";
        (&self.file).seek(SeekFrom::Start(0)).context(context)?;
        let mut reader = BufReader::with_capacity(BUFFER, &self.file);
        let mut wanted = wanted.map(|w| w.iter().copied().peekable());
        let mut record = Vec::new();
        for position in 0..self.records {
            let mut frame = [0u8; FRAME];
            reader.read_exact(&mut frame).context(context)?;
            let len = u32::from_le_bytes(frame);
            if let Some(w) = &mut wanted {
                if w.peek().is_none() {
                    return Ok(());
                }
                if w.next_if_eq(&position).is_none() {
                    reader.seek_relative(i64::from(len)).context(context)?;
                    continue;
                }
            }
            record.resize(len as usize, 0);
            reader.read_exact(&mut record).context(context)?;
            each(&record)?;
        }
        match wanted.and_then(|mut w| w.next()) {
            Some(p) => Err(anyhow!("{context}: user {p} is past its end")),
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
    fn records_come_back_in_order_whole_or_the_wanted_ones_and_a_file_can_be_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path()).unwrap();
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
    fn forgetting_other_than_the_last_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = FileSpool::create(dir.path()).unwrap();
        spool.mark();
        spool.push(b"a");
        spool.truncate(1);
        assert!(spool.check().is_err());
    }
}
