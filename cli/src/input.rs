//! Loading rules and reading input files for the commands.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cognito_fusionauth::rules::Registration;
use cognito_fusionauth::{Mapper, Rules};

use crate::args::RuleArgs;

/// The rules file (or the defaults) with the command-line overrides applied, compiled.
pub(crate) fn mapper(args: &RuleArgs) -> Result<Mapper> {
    let mut rules = match &args.rules {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            Rules::from_json(&text)
                .with_context(|| format!("invalid rules file {}", path.display()))?
        }
        None => Rules::defaults(),
    };
    let s = &mut rules.settings;
    if let Some(t) = &args.tenant_id {
        s.tenant_id = Some(t.clone());
    }
    for app in &args.application_ids {
        if !s.registrations.iter().any(|r| &r.application_id == app) {
            s.registrations.push(Registration {
                application_id: app.clone(),
                roles: Vec::new(),
            });
        }
    }
    if let Some(n) = args.chunk_size {
        s.chunk_size = n;
    }
    if let Some(p) = args.on_duplicate {
        s.on_duplicate = p;
    }
    Ok(rules.compile()?)
}

/// The display name of an input file: its path as given.
pub(crate) fn name(path: &Path) -> String {
    path.display().to_string()
}

/// An input file's bytes: mapped into memory when it is a regular file, read otherwise.
#[derive(Debug)]
pub(crate) enum Bytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Read(bytes) => bytes,
        }
    }
}

/// The inputs' total size, when every one is a regular file.
pub(crate) fn total_size(paths: &[PathBuf]) -> Option<u64> {
    paths.iter().try_fold(0u64, |total, path| {
        let meta = std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)?;
        Some(total.saturating_add(meta.len()))
    })
}

/// Files from this size on are read page by page and handed back as they are read (see
/// [`with_released`]); smaller ones are read ahead whole, which is faster.
const RELEASE_FROM: usize = 256 << 20;

/// Opens an input file whole. A regular file is mapped (a small one read ahead by the kernel
/// in one go, a large one as its pages are touched); an empty file, a pipe or a file that
/// cannot be mapped is read.
pub(crate) fn read(path: &Path) -> Result<Bytes> {
    let context = || format!("cannot read {}", path.display());
    let file = std::fs::File::open(path).with_context(context)?;
    let len = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map_or(0, |m| m.len());
    if len > 0 {
        let large = len >= RELEASE_FROM as u64;
        let mut options = memmap2::MmapOptions::new();
        if !large {
            options.populate();
        }
        // SAFETY: the map is only read. Were the file truncated by another process while we
        // read it, the process would get SIGBUS: an export is not written while converted.
        if let Ok(map) = unsafe { options.map(&file) } {
            if large {
                let _ = map.advise(memmap2::Advice::Sequential);
            }
            return Ok(Bytes::Mapped(map));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut &file, &mut bytes).with_context(context)?;
    Ok(Bytes::Read(bytes))
}

/// How often the pages of a mapped input are handed back while it is read.
const RELEASE_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

/// Runs `read` on the file's bytes while, for a large mapped file, a second thread hands its
/// pages back to the kernel every few milliseconds: the pages the reader still touches come
/// back from the page cache, the others stop counting in this process's memory. So a 6 GB
/// export costs a few tens of MB of resident memory, not 6 GB.
pub(crate) fn with_released<T>(bytes: &Bytes, read: impl FnOnce(&[u8]) -> T) -> T {
    let map = match bytes {
        Bytes::Mapped(map) if map.len() >= RELEASE_FROM => map,
        _ => return read(bytes),
    };
    release_while(map, read)
}

/// Runs `read` on the map's bytes while a second thread hands its pages back every few
/// milliseconds.
fn release_while<T>(map: &memmap2::Mmap, read: impl FnOnce(&[u8]) -> T) -> T {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let releaser = scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::park_timeout(RELEASE_EVERY);
                // SAFETY: MADV_DONTNEED on a read-only shared file mapping only drops this
                // process's page table entries: the next read of a page maps it again from the
                // page cache, with the file's bytes (the map is never written). A failure
                // only leaves the pages resident.
                let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
            }
        });
        let result = read(map);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        releaser.thread().unpark();
        result
    })
}

/// Tells the kernel that `file`'s cached pages will not be read again (an output file once
/// written): on a pool larger than memory, the page cache then keeps the spool, which is read
/// again, rather than these. The exports are left cached: a second run on the same pool (the
/// rules changed) finds them there. Only advice: errors are ignored.
pub(crate) fn uncache(file: &std::fs::File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: posix_fadvise only reads its arguments; the descriptor is open for the call.
        let _ = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_handed_back_while_read_come_back_with_the_files_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        let content: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: a private test file nobody else writes.
        let map = unsafe { memmap2::MmapOptions::new().map(&file) }.unwrap();
        let sum = release_while(&map, |bytes| {
            // Read it over several release periods, page by page.
            let mut sum = 0u64;
            for round in 0..3 {
                for (i, b) in bytes.iter().enumerate().step_by(4096) {
                    assert_eq!(*b, (i % 251) as u8, "round {round}");
                    sum += u64::from(*b);
                }
                std::thread::sleep(RELEASE_EVERY * 2);
            }
            sum
        });
        assert!(sum > 0);
        assert_eq!(&map[..], &content[..]);
    }
}
