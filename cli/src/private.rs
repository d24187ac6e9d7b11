//! Files that hold personal data or secrets: readable and writable by their owner only.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};

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

/// Creates `path` as a new file, readable and writable by its owner only, never through a
/// symlink: `O_CREAT | O_EXCL` (a name that exists, a symlink included, is an error rather
/// than followed) and `O_NOFOLLOW`. A regular file of this user already there (the leftover
/// of a killed run) is removed first; anything else there (a symlink, a folder, another
/// user's file) is left alone and refused.
///
/// # Errors
///
/// When something other than a regular file of this user has the name, or the file cannot
/// be removed or created.
pub(crate) fn create_new_private(path: &Path) -> Result<File> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot inspect {}", path.display())),
        Ok(meta) if meta.file_type().is_file() && owned_by_us(&meta) => {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove the stale {}", path.display()))?;
        }
        Ok(meta) => bail!(
            "{} is {}: refusing to write through it (remove it if it is not needed and run \
             again)",
            path.display(),
            if meta.file_type().is_symlink() {
                "a symbolic link"
            } else if meta.file_type().is_file() {
                "another user's file"
            } else {
                "not a regular file"
            }
        ),
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    no_follow(&mut options);
    open_private(path, &mut options)
}

/// Adds `O_NOFOLLOW` to `options`: opening a symlink fails instead of opening its target.
pub(crate) fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(options, libc::O_NOFOLLOW);
    options
}

/// Whether the file `meta` describes belongs to the user this process runs as.
fn owned_by_us(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        meta.uid() == unsafe { libc::geteuid() }
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// Syncs the folder holding `path`, so that a rename or a new name there survives a power
/// loss (a no-op where folders cannot be opened).
///
/// # Errors
///
/// When the folder cannot be opened or synced.
pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync {}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
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
    /// Synced before the rename, and its folder after it: it survives a power loss (reports,
    /// checkpoints).
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
        // O_CREAT | O_EXCL: fails on any existing name, a symlink included, instead of following
        // it (and O_NOFOLLOW says so twice).
        let file = open_private(
            &tmp,
            no_follow(OpenOptions::new().write(true).create_new(true)),
        )?;
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
        std::fs::rename(&tmp, &self.path).with_context(|| {
            format!("cannot rename {} to {}", tmp.display(), self.path.display())
        })?;
        match durability {
            // The rename itself survives a power loss once the folder is synced.
            Durability::Synced => sync_parent(&self.path),
            Durability::Renamed => Ok(()),
        }
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

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{symlink, PermissionsExt};

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_private_file_replaces_a_stale_one_and_is_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.tmp");
        std::fs::write(&path, "stale, world-readable").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = create_new_private(&path).unwrap();
        file.write_all(b"new").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_new_private_file_never_goes_through_a_symlink_or_replaces_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let dangling = dir.path().join("nowhere");
        for (name, to) in [("link", &target), ("dangling", &dangling)] {
            let path = dir.path().join(name);
            symlink(to, &path).unwrap();
            let err = create_new_private(&path).unwrap_err().to_string();
            assert!(err.contains("a symbolic link"), "{err}");
            assert!(std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_symlink());
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert_eq!(mode(&target), 0o644);
        assert!(
            !dangling.exists(),
            "nothing created at a dangling link's target"
        );
        let folder = dir.path().join("folder");
        std::fs::create_dir(&folder).unwrap();
        let err = create_new_private(&folder).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(folder.is_dir());
    }

    #[test]
    fn no_follow_refuses_to_open_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link");
        symlink(&target, &link).unwrap();
        assert!(no_follow(OpenOptions::new().read(true).write(true))
            .open(&link)
            .is_err());
        assert!(no_follow(OpenOptions::new().read(true))
            .open(&target)
            .is_ok());
    }

    #[test]
    fn a_synced_temporary_file_lands_under_its_name_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        write_private(&path, b"{}", Durability::Synced).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{}");
        assert_eq!(mode(&path), 0o600);
        assert!(!dir.path().join(".report.json.tmp").exists());
        // The folder of a bare name is the current one.
        sync_parent(Path::new("report.json")).unwrap();
    }
}
