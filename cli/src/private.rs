//! Files that hold personal data or secrets: readable and writable by their owner only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Opens `path` with `options`, readable and writable by its owner only (a new file is
/// created 0600, an existing one made so).
///
/// # Errors
///
/// When the file cannot be opened or made private.
pub(crate) fn open_private(path: &Path, options: &mut OpenOptions) -> Result<File> {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    let file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    make_private(&file, path)?;
    Ok(file)
}

/// Creates (or truncates) `path` readable and writable by its owner only.
///
/// # Errors
///
/// When the file cannot be created.
pub(crate) fn create_private(path: &Path) -> Result<File> {
    open_private(
        path,
        OpenOptions::new().write(true).create(true).truncate(true),
    )
}

/// Sets mode 0600 on an open file: `open` keeps the mode of a file that already existed.
pub(crate) fn make_private(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Creates `dir` (and its parents) with mode 0700 for the last component.
///
/// # Errors
///
/// When the folder cannot be created or made private.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// How far a written file must be on the disk before the call returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Synced before the rename: it survives a power loss (reports, checkpoints).
    Synced,
    /// Left to the kernel: a crash leaves the old file or the new one, never half of one.
    Renamed,
}

/// A file being written (mode 0600) under a fresh temporary name beside `path`, renamed to
/// `path` by [`commit`](Self::commit): a reader never sees half a file, and a symlink at
/// `path` is replaced, never followed.
#[derive(Debug)]
pub(crate) struct TempFile {
    file: std::io::BufWriter<File>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    /// Drop its pages from the cache once written (a file this run will not read again).
    uncache: bool,
}

impl TempFile {
    /// Creates the temporary file.
    ///
    /// # Errors
    ///
    /// When it cannot be created.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(".{name}.tmp"));
        // A leftover of a killed run, or a symlink planted there: remove the name itself.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", tmp.display()))
            }
            _ => {}
        }
        // O_CREAT | O_EXCL: fails on any existing name, a symlink included, instead of following it.
        let file = open_private(&tmp, OpenOptions::new().write(true).create_new(true))?;
        Ok(Self {
            file: std::io::BufWriter::with_capacity(1 << 20, file),
            tmp,
            path: path.to_owned(),
            uncache: false,
        })
    }

    /// Drops the file's pages from the page cache once it is written (see
    /// [`uncache`](crate::input::uncache)).
    pub(crate) fn uncached(mut self) -> Self {
        self.uncache = true;
        self
    }

    /// Appends `bytes`.
    ///
    /// # Errors
    ///
    /// When they cannot be written.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.tmp.display()))
    }

    /// Flushes (and with [`Durability::Synced`] syncs) the file and renames it to its name.
    ///
    /// # Errors
    ///
    /// When it cannot be written or renamed.
    pub(crate) fn commit(self, durability: Durability) -> Result<()> {
        let tmp = self.tmp;
        let file = self
            .file
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        match durability {
            Durability::Synced => file.sync_all(),
            Durability::Renamed => Ok(()),
        }
        .with_context(|| format!("cannot write {}", tmp.display()))?;
        if self.uncache {
            crate::input::uncache(&file);
        }
        drop(file);
        std::fs::rename(&tmp, &self.path)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), self.path.display()))
    }
}

/// Writes `content` to `path` (mode 0600) through a fresh temporary name and a rename, so a
/// reader never sees half a file and a symlink at `path` is replaced, never followed.
///
/// # Errors
///
/// When the file cannot be written or renamed.
pub(crate) fn write_private(path: &Path, content: &[u8], durability: Durability) -> Result<()> {
    let mut file = TempFile::create(path)?;
    file.write(content)?;
    file.commit(durability)
}
