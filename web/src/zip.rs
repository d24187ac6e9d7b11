//! "Download all": every output file in one deflated .zip.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Packs `files` (name, content), taken one at a time, into a .zip; the entries carry no time (1980-01-01), so
/// the same files give the same archive.
///
/// # Errors
/// Only if the archive grows past what the zip format holds without zip64 (4 GiB).
pub fn pack(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> zip::result::ZipResult<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(FAST))
        .unix_permissions(0o644);
    for (name, content) in files {
        zip.start_file(name, options)?;
        zip.write_all(&content)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// zlib level 1: JSON still shrinks about eightfold, in a fraction of the default's time.
const FAST: i64 = 1;

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn every_file_comes_back_out() {
        let big = "{\"users\":[]}".repeat(10_000);
        let bytes = pack([
            ("users-0001.json".to_owned(), big.clone().into_bytes()),
            ("login-ids.txt".to_owned(), b"a@x\n".to_vec()),
        ])
        .unwrap();
        assert!(bytes.len() < big.len() / 10);
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 2);
        let mut text = String::new();
        archive
            .by_name("users-0001.json")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, big);
        text.clear();
        archive
            .by_name("login-ids.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a@x\n");
    }
}
