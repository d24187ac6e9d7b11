//! Bytes the worker keeps outside its WASM memory — the loaded `File`s, the spool of a
//! conversion, the output files — as `Blob`s, read back a slice at a time. The pool and the
//! conversion are written against [`Held`], so that they run natively in unit tests too.

use js_sys::Array;
use web_sys::{Blob, BlobPropertyBag};

use crate::browser::{blob, blob_bytes, js_message};

/// Bytes held outside WASM memory.
pub trait Held: Sized + Clone {
    /// How much is handed on at once.
    const SLICE: u64 = 8 << 20;

    /// How much is read into WASM memory at once: a few slices (a read from the browser
    /// costs per call too — 8 MiB reads of a file take 1.7× as long as 32 MiB ones —, while
    /// the work on a slice grows with it).
    const READ: u64 = 4 * Self::SLICE;

    /// The size in bytes.
    fn size_bytes(&self) -> u64;

    /// The bytes from `start` to `end` (cut at the end), copied into WASM memory.
    ///
    /// # Errors
    /// When the browser cannot read them (the file changed or went away since it was chosen).
    fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, String>;

    /// Holds a copy of `bytes`, typed `mime`.
    ///
    /// # Errors
    /// When the browser refuses (out of memory).
    fn keep(bytes: &[u8], mime: &str) -> Result<Self, String>;

    /// One whole of `parts` end to end, typed `mime` (a `Blob` of `Blob`s: nothing is copied
    /// through WASM memory).
    ///
    /// # Errors
    /// When the browser refuses.
    fn join(parts: &[Self], mime: &str) -> Result<Self, String>;

    /// Every byte, a slice of [`SLICE`](Self::SLICE) at a time, into `each`, which says
    /// whether to go on.
    ///
    /// # Errors
    /// A read error, or the first error of `each`.
    fn slices(&self, each: &mut dyn FnMut(&[u8]) -> Result<bool, String>) -> Result<(), String> {
        for (start, end) in self.reads() {
            for slice in self.read(start, end)?.chunks(Self::SLICE as usize) {
                if !each(slice)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The ranges of bytes to [`read`](Self::read) one after the other, [`READ`](Self::READ)
    /// at a time.
    fn reads(&self) -> impl Iterator<Item = (u64, u64)> {
        let size = self.size_bytes();
        (0..size)
            .step_by(Self::READ as usize)
            .map(move |start| (start, (start + Self::READ).min(size)))
    }
}

impl Held for Blob {
    fn size_bytes(&self) -> u64 {
        Blob::size(self) as u64
    }

    fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let slice = self
            .slice_with_f64_and_f64(start as f64, end as f64)
            .map_err(js_message)?;
        blob_bytes(&slice)
    }

    fn keep(bytes: &[u8], mime: &str) -> Result<Self, String> {
        blob(bytes, mime).map_err(js_message)
    }

    fn join(parts: &[Self], mime: &str) -> Result<Self, String> {
        let options = BlobPropertyBag::new();
        options.set_type(mime);
        let list: Array = parts.iter().collect();
        Blob::new_with_blob_sequence_and_options(&list, &options).map_err(js_message)
    }
}

/// Plain bytes stand in for `Blob`s in native unit tests (in smaller slices, for many).
#[cfg(test)]
impl Held for Vec<u8> {
    const SLICE: u64 = 1 << 20;
    const READ: u64 = 2 * Self::SLICE;

    fn size_bytes(&self) -> u64 {
        self.len() as u64
    }

    fn read(&self, start: u64, end: u64) -> Result<Vec<u8>, String> {
        let end = (end as usize).min(self.len());
        Ok(self[(start as usize).min(end)..end].to_vec())
    }

    fn keep(bytes: &[u8], _mime: &str) -> Result<Self, String> {
        Ok(bytes.to_vec())
    }

    fn join(parts: &[Self], _mime: &str) -> Result<Self, String> {
        Ok(parts.concat())
    }
}
