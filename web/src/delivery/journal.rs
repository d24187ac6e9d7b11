//! The push journal in the browser: the core's events (FusionAuth ids and step outcomes, no
//! personal data), one file per run in the origin-private file system, appended and flushed
//! through a synchronous access handle before the request they announce is sent — the same
//! lines the command line writes to `DIR/push/journal.jsonl`. The handle is exclusive, so a
//! second tab cannot run the same push at the same time.

use cognito_fusionauth::delivery::{
    journal_kept_len, journal_line, read_journal, Event, JournalState,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    FileSystemDirectoryHandle, FileSystemFileHandle, FileSystemGetFileOptions,
    FileSystemReadWriteOptions, FileSystemSyncAccessHandle, WorkerGlobalScope,
};

use crate::browser::js_message;

/// An open journal.
pub(super) struct Journal {
    handle: FileSystemSyncAccessHandle,
    size: f64,
}

impl Journal {
    /// Opens (or creates) the journal `name` and reads what its events add up to.
    pub(super) async fn open(name: &str) -> Result<(Self, JournalState), String> {
        let unavailable = |e| {
            format!(
                "this browser gives the page no private storage for the push journal ({}), \
                 without which a stopped push could not resume safely: use another browser \
                 (not a private window) or the command line",
                js_message(e)
            )
        };
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        let root: FileSystemDirectoryHandle =
            JsFuture::from(scope.navigator().storage().get_directory())
                .await
                .map_err(unavailable)?
                .unchecked_into();
        let options = FileSystemGetFileOptions::new();
        options.set_create(true);
        let file: FileSystemFileHandle =
            JsFuture::from(root.get_file_handle_with_options(name, &options))
                .await
                .map_err(unavailable)?
                .unchecked_into();
        let handle: FileSystemSyncAccessHandle = JsFuture::from(file.create_sync_access_handle())
            .await
            .map_err(|e| {
                format!(
                    "the journal of this push is in use ({}): is it running in another tab?",
                    js_message(e)
                )
            })?
            .unchecked_into();
        let mut journal = Self { handle, size: 0.0 };
        let text = journal.read_all()?;
        let state = read_journal(&text).map_err(|e| format!("cannot resume the push: {e}"))?;
        let kept = journal_kept_len(text.as_bytes());
        if kept < text.len() {
            // A line cut short: cut it away, so the next event starts a line of its own and
            // the journal reads the same at every later open.
            let failed = |e| format!("cannot repair the push journal: {}", js_message(e));
            journal
                .handle
                .truncate_with_f64(kept as f64)
                .map_err(failed)?;
            journal.handle.flush().map_err(failed)?;
            journal.size = kept as f64;
        }
        Ok((journal, state))
    }

    /// Appends events and flushes them.
    pub(super) fn append(&mut self, events: &[Event]) -> Result<(), String> {
        if events.is_empty() {
            return Ok(());
        }
        let text: String = events.iter().map(journal_line).collect();
        self.write(text.as_bytes())
    }

    fn read_all(&mut self) -> Result<String, String> {
        let failed = |e| format!("cannot read the push journal: {}", js_message(e));
        self.size = self.handle.get_size().map_err(failed)?;
        let mut bytes = vec![0; self.size as usize];
        let at = FileSystemReadWriteOptions::new();
        at.set_at(0.0);
        self.handle
            .read_with_u8_array_and_options(&mut bytes, &at)
            .map_err(failed)?;
        String::from_utf8(bytes).map_err(|_| "the push journal is not UTF-8".to_owned())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        let failed = |e| format!("cannot write the push journal: {}", js_message(e));
        let at = FileSystemReadWriteOptions::new();
        at.set_at(self.size);
        let written = self
            .handle
            .write_with_u8_array_and_options(bytes, &at)
            .map_err(failed)?;
        self.size += written;
        if (written as usize) < bytes.len() {
            return Err("cannot write the push journal: the storage is full".into());
        }
        self.handle.flush().map_err(failed)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.handle.close();
    }
}
