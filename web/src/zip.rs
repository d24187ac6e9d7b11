//! "Download all": every output file in one deflated .zip, written as a stream — each file
//! is read a slice at a time and its compressed bytes handed out as they come, so a pool's
//! files of any size (gigabytes for millions of users) zip in bounded WASM memory.
//!
//! The format is PKWARE's APPNOTE: each entry's CRC and compressed size follow its data in a
//! data descriptor (they are known only once it is compressed), and entries, sizes and offsets
//! past the classic format's 32-bit limits use the ZIP64 records. Entries carry no time
//! (1980-01-01), so the same files give the same archive.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

/// zlib level 1: JSON still shrinks about eightfold, in a fraction of the default's time.
const FAST: u32 = 1;
/// Compressed bytes are handed out in pieces of about this size.
const PIECE: usize = 1 << 20;
/// Sizes from here on need ZIP64 (a deflated file can be slightly larger than its input).
const ZIP64_SIZE: u64 = 0xFFFF_0000;
const MAX32: u64 = 0xFFFF_FFFF;
/// MS-DOS date of 1980-01-01 (day 1, month 1, year 0).
const DOS_DATE: u16 = 0x21;
/// Version 4.5: ZIP64.
const VERSION: u16 = 45;
/// Bit 3: sizes and CRC in a data descriptor; bit 11: the name is UTF-8.
const FLAGS: u16 = 0x0808;
const DEFLATED: u16 = 8;

/// One entry written, for the central directory.
#[derive(Debug)]
struct Entry {
    name: String,
    crc: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    zip64: bool,
}

/// A .zip being written: [`file`](Self::file) for each file, then [`finish`](Self::finish).
/// Every byte of the archive goes to `out`, in order.
pub struct ZipStream<'o> {
    out: &'o mut dyn FnMut(&[u8]) -> Result<(), String>,
    written: u64,
    entries: Vec<Entry>,
    /// ZIP64 for every entry, whatever its size (tests reach the ZIP64 paths this way).
    force_zip64: bool,
}

impl std::fmt::Debug for ZipStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZipStream")
            .field("written", &self.written)
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl<'o> ZipStream<'o> {
    /// An empty archive whose bytes go to `out`.
    pub fn new(out: &'o mut dyn FnMut(&[u8]) -> Result<(), String>) -> Self {
        Self {
            out,
            written: 0,
            entries: Vec::new(),
            force_zip64: false,
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.written += bytes.len() as u64;
        (self.out)(bytes)
    }

    /// Adds file `name` of `size` bytes, whose bytes `read` hands to its argument a slice at
    /// a time.
    ///
    /// # Errors
    /// A read error, or one of `out`; the archive is then unusable.
    pub fn file(
        &mut self,
        name: &str,
        size: u64,
        read: impl FnOnce(&mut dyn FnMut(&[u8]) -> Result<(), String>) -> Result<(), String>,
    ) -> Result<(), String> {
        let zip64 = self.force_zip64 || size >= ZIP64_SIZE || self.written >= MAX32;
        let offset = self.written;
        let mut header = Vec::with_capacity(30 + name.len() + 20);
        header.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [VERSION, FLAGS, DEFLATED, 0, DOS_DATE] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        // CRC and sizes come in the data descriptor.
        let unknown = if zip64 { MAX32 as u32 } else { 0 };
        for v in [0, unknown, unknown] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&(if zip64 { 20u16 } else { 0 }).to_le_bytes());
        header.extend_from_slice(name.as_bytes());
        if zip64 {
            header.extend_from_slice(&1u16.to_le_bytes());
            header.extend_from_slice(&16u16.to_le_bytes());
            header.extend_from_slice(&[0; 16]);
        }
        self.emit(&header)?;

        let mut crc = Crc::new();
        let mut read_bytes = 0u64;
        let mut compressed = 0u64;
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(FAST));
        read(&mut |slice| {
            crc.update(slice);
            read_bytes += slice.len() as u64;
            encoder.write_all(slice).map_err(|e| e.to_string())?;
            if encoder.get_ref().len() >= PIECE {
                let piece = std::mem::take(encoder.get_mut());
                compressed += piece.len() as u64;
                self.emit(&piece)?;
            }
            Ok(())
        })?;
        let rest = encoder.finish().map_err(|e| e.to_string())?;
        compressed += rest.len() as u64;
        self.emit(&rest)?;
        if read_bytes != size {
            return Err(format!(
                "{name} changed while it was zipped ({read_bytes} bytes read, {size} expected)"
            ));
        }

        let mut descriptor = Vec::with_capacity(24);
        descriptor.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        descriptor.extend_from_slice(&crc.sum().to_le_bytes());
        if zip64 {
            descriptor.extend_from_slice(&compressed.to_le_bytes());
            descriptor.extend_from_slice(&size.to_le_bytes());
        } else {
            descriptor.extend_from_slice(&(compressed as u32).to_le_bytes());
            descriptor.extend_from_slice(&(size as u32).to_le_bytes());
        }
        self.emit(&descriptor)?;
        self.entries.push(Entry {
            name: name.to_owned(),
            crc: crc.sum(),
            compressed,
            size,
            offset,
            zip64,
        });
        Ok(())
    }

    /// Writes the central directory: the archive is complete. Returns its size in bytes.
    ///
    /// # Errors
    /// One of `out`.
    pub fn finish(mut self) -> Result<u64, String> {
        let start = self.written;
        let mut directory = Vec::new();
        for e in &self.entries {
            let zip64 = e.zip64 || e.offset >= MAX32;
            let wide = |v: u64| if zip64 { MAX32 as u32 } else { v as u32 };
            directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            // Made by: Unix (3), version 4.5.
            for v in [(3 << 8) | VERSION, VERSION, FLAGS, DEFLATED, 0, DOS_DATE] {
                directory.extend_from_slice(&v.to_le_bytes());
            }
            directory.extend_from_slice(&e.crc.to_le_bytes());
            directory.extend_from_slice(&wide(e.compressed).to_le_bytes());
            directory.extend_from_slice(&wide(e.size).to_le_bytes());
            directory.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            directory.extend_from_slice(&(if zip64 { 28u16 } else { 0 }).to_le_bytes());
            // Comment length, disk, internal attributes.
            directory.extend_from_slice(&[0; 6]);
            // External attributes: a regular file, rw-r--r--.
            directory.extend_from_slice(&(0o100_644u32 << 16).to_le_bytes());
            directory.extend_from_slice(&wide(e.offset).to_le_bytes());
            directory.extend_from_slice(e.name.as_bytes());
            if zip64 {
                directory.extend_from_slice(&1u16.to_le_bytes());
                directory.extend_from_slice(&24u16.to_le_bytes());
                for v in [e.size, e.compressed, e.offset] {
                    directory.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
        let size = directory.len() as u64;
        let count = self.entries.len() as u64;
        let end = start + size;
        if self.force_zip64 || count >= 0xFFFF || start >= MAX32 || size >= MAX32 {
            // ZIP64 end of central directory record, then its locator.
            directory.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            directory.extend_from_slice(&44u64.to_le_bytes());
            for v in [(3 << 8) | VERSION, VERSION] {
                directory.extend_from_slice(&v.to_le_bytes());
            }
            directory.extend_from_slice(&[0; 8]);
            for v in [count, count, size, start] {
                directory.extend_from_slice(&v.to_le_bytes());
            }
            directory.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            directory.extend_from_slice(&0u32.to_le_bytes());
            directory.extend_from_slice(&end.to_le_bytes());
            directory.extend_from_slice(&1u32.to_le_bytes());
        }
        directory.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        directory.extend_from_slice(&[0; 4]);
        let entries = count.min(0xFFFF) as u16;
        for v in [entries, entries] {
            directory.extend_from_slice(&v.to_le_bytes());
        }
        directory.extend_from_slice(&(size.min(MAX32) as u32).to_le_bytes());
        directory.extend_from_slice(&(start.min(MAX32) as u32).to_le_bytes());
        directory.extend_from_slice(&0u16.to_le_bytes());
        self.emit(&directory)?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    /// Zips `files`, fed in slices of `slice` bytes.
    fn zip(files: &[(&str, Vec<u8>)], slice: usize, zip64: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut out = |b: &[u8]| {
            bytes.extend_from_slice(b);
            Ok(())
        };
        let mut zip = ZipStream::new(&mut out);
        zip.force_zip64 = zip64;
        for (name, content) in files {
            zip.file(name, content.len() as u64, |each| {
                content.chunks(slice).try_for_each(each)
            })
            .unwrap();
        }
        let size = zip.finish().unwrap();
        assert_eq!(size, bytes.len() as u64);
        bytes
    }

    fn files() -> Vec<(&'static str, Vec<u8>)> {
        // Incompressible bytes too, so the compressed data crosses a piece.
        let mut noise = Vec::new();
        let mut x = 0x1234_5678u32;
        for _ in 0..(3 << 20) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        vec![
            (
                "users-0001.json",
                "{\"users\":[]}".repeat(100_000).into_bytes(),
            ),
            ("noise.bin", noise),
            ("empty.txt", Vec::new()),
            ("login-ids.txt", "zoë@example.com\n".as_bytes().to_vec()),
        ]
    }

    #[test]
    fn every_file_comes_back_out_with_or_without_zip64() {
        let files = files();
        for zip64 in [false, true] {
            let bytes = zip(&files, 777_777, zip64);
            let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
            assert_eq!(archive.len(), files.len());
            for (i, (name, content)) in files.iter().enumerate() {
                let mut file = archive.by_index(i).unwrap();
                assert_eq!(file.name(), *name);
                assert_eq!(file.size(), content.len() as u64);
                let mut back = Vec::new();
                file.read_to_end(&mut back).unwrap();
                assert!(back == *content, "{name} (zip64 {zip64})");
            }
        }
        let json = &files[0].1;
        let bytes = zip(&files[..1], 1 << 20, false);
        assert!(bytes.len() < json.len() / 10, "deflated");
    }

    #[test]
    fn the_same_files_give_the_same_archive_whatever_the_slices() {
        let files = files();
        assert_eq!(zip(&files, 1 << 20, false), zip(&files, 4096, false));
    }

    #[test]
    fn a_file_that_changes_size_is_an_error() {
        let mut out = |_: &[u8]| Ok(());
        let mut zip = ZipStream::new(&mut out);
        let error = zip.file("a.json", 10, |each| each(b"12345")).unwrap_err();
        assert!(error.contains("a.json changed"), "{error}");
    }
}
