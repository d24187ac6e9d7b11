//! `DIR/push/<FusionAuth>/journal.jsonl` (mode 0600): the core's events, appended and flushed
//! to the disk before the request they announce is sent.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cognito_fusionauth::delivery::{
    journal_kept_len, journal_line, read_journal, Event, JournalState,
};

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
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let state = read_journal(&text)
            .with_context(|| format!("cannot resume from {}", path.display()))?;
        let file = open_private(&path, OpenOptions::new().append(true).create(true))?;
        let kept = journal_kept_len(text.as_bytes());
        if kept < text.len() {
            // A line cut short by a crash: cut it away, so the next event starts a line of
            // its own and the journal reads the same at every later open.
            file.set_len(kept as u64)
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
