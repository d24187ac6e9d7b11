//! The checkpoint beside the output (`<FILE>.checkpoint`): where the listing stands and how
//! much of `<FILE>.partial` holds whole pages, so that `--resume` can continue from there.
//!
//! It is rewritten after every page (written to a temporary file and renamed, so it is always
//! whole), mode 0600 because the pagination token may encode a user's `sub`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::private::create_private;

/// The checkpoint format's version.
const VERSION: u32 = 1;

/// Progress of an unfinished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checkpoint {
    /// The format's version.
    pub(crate) version: u32,
    /// The pool being exported.
    pub(crate) user_pool_id: String,
    /// Whether users carry `Groups` (`--groups`).
    pub(crate) groups: bool,
    /// The token of the next ListUsers page; `None` means the first page.
    pub(crate) pagination_token: Option<String>,
    /// Users in the partial file.
    pub(crate) users_written: u64,
    /// ListUsers pages read.
    pub(crate) pages: u64,
    /// Bytes of the partial file that hold whole pages; anything after is dropped on resume.
    pub(crate) partial_bytes: u64,
    /// Users written per `UserStatus`.
    pub(crate) statuses: BTreeMap<String, u64>,
    /// The listing started over while the file already held users: every later page is
    /// checked against the `sub`s in the file.
    pub(crate) skip_known: bool,
    /// Users the listing returned again and that were not written twice.
    pub(crate) skipped: u64,
}

impl Checkpoint {
    /// The checkpoint of an export that has written nothing yet.
    pub(crate) fn new(user_pool_id: &str, groups: bool, partial_bytes: u64) -> Self {
        Checkpoint {
            version: VERSION,
            user_pool_id: user_pool_id.to_owned(),
            groups,
            pagination_token: None,
            users_written: 0,
            pages: 0,
            partial_bytes,
            statuses: BTreeMap::new(),
            skip_known: false,
            skipped: 0,
        }
    }

    /// Reads the checkpoint at `path`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read, is not a checkpoint, or has another version.
    pub(crate) fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let checkpoint: Checkpoint = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not an export checkpoint", path.display()))?;
        if checkpoint.version != VERSION {
            bail!(
                "{} has version {}; this cognito-fusionauth reads version {VERSION}",
                path.display(),
                checkpoint.version
            );
        }
        Ok(checkpoint)
    }

    /// Writes the checkpoint to `path` atomically: to `<path>.tmp`, then renamed over it.
    ///
    /// # Errors
    ///
    /// When the file cannot be written or renamed.
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = Path::new(&tmp);
        let mut file = create_private(tmp)?;
        serde_json::to_writer(&mut file, self)?;
        std::io::Write::write_all(&mut file, b"\n")
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        drop(file);
        std::fs::rename(tmp, path).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_checkpoint_loads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json.checkpoint");
        let mut checkpoint = Checkpoint::new("us-east-1_AbC", true, 12);
        checkpoint.pagination_token = Some("eyJ0b2tlbiI6MX0=".into());
        checkpoint.users_written = 120;
        checkpoint.pages = 2;
        checkpoint.statuses.insert("CONFIRMED".into(), 120);
        checkpoint.save(&path).unwrap();
        checkpoint.pages = 3;
        checkpoint.save(&path).unwrap();
        assert_eq!(Checkpoint::load(&path).unwrap(), checkpoint);
        assert!(!dir.path().join("users.json.checkpoint.tmp").exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_checkpoint_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        Checkpoint::new("p", false, 0).save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn another_file_or_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        std::fs::write(&path, "{\"Users\": []}").unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(
            err.to_string().contains("is not an export checkpoint"),
            "{err}"
        );
        let mut future = serde_json::to_value(Checkpoint::new("p", false, 0)).unwrap();
        future["version"] = 2.into();
        std::fs::write(&path, future.to_string()).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(err.to_string().contains("version 2"), "{err}");
    }
}
