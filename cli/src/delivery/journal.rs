//! `DIR/push/<FusionAuth>/journal.jsonl` (mode 0600): the core's events, appended and flushed
//! to the disk before the request they announce is sent.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cognito_fusionauth::delivery::{journal_line, Event, JournalState};

use crate::private::{create_private_dir, open_private};

/// The open journal.
#[derive(Debug)]
pub(crate) struct JournalFile {
    path: PathBuf,
    file: File,
}

impl JournalFile {
    /// Opens (or creates) the journal in `push_dir` and reads what its events add up to.
    pub(crate) fn open(push_dir: &Path) -> Result<(Self, JournalState)> {
        if let Some(parent) = push_dir.parent() {
            create_private_dir(parent)?;
        }
        create_private_dir(push_dir)?;
        let path = push_dir.join("journal.jsonl");
        let file = open_private(
            &path,
            OpenOptions::new().read(true).append(true).create(true),
        )?;
        // Read a line at a time: a journal of ten million users is never held whole.
        let cannot = |e: std::io::Error| {
            anyhow::anyhow!(e).context(format!("cannot read {}", path.display()))
        };
        let mut reader = BufReader::new(&file);
        let mut state = JournalState::default();
        let (mut kept, mut number) = (0u64, 0u64);
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(cannot)?;
            if read == 0 || line.last() != Some(&b'\n') {
                break;
            }
            number += 1;
            kept += read as u64;
            let text = std::str::from_utf8(&line).with_context(|| {
                format!(
                    "cannot resume from {}: line {number} is not UTF-8",
                    path.display()
                )
            })?;
            state
                .apply_line(text, number)
                .with_context(|| format!("cannot resume from {}", path.display()))?;
        }
        if file.metadata().map_err(cannot)?.len() > kept {
            // A line cut short by a crash: cut it away, so the next event starts a line of
            // its own and the journal reads the same at every later open.
            file.set_len(kept)
                .and_then(|()| file.sync_data())
                .with_context(|| format!("cannot repair {}", path.display()))?;
        }
        Ok((Self { path, file }, state))
    }

    /// Appends events and makes them durable.
    pub(crate) fn append(&mut self, events: &[Event]) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let text: String = events.iter().map(journal_line).collect();
        self.write(text.as_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}
