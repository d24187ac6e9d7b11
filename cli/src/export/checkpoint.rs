//! The checkpoint beside the output (`<FILE>.checkpoint`): where the listing stands and how
//! much of `<FILE>.partial` holds whole pages, so that `--resume` can continue from there.
//!
//! It is rewritten after every page, written to `<FILE>.checkpoint.tmp` (created with `O_EXCL`
//! and `O_NOFOLLOW`, so never through a symlink), synced, renamed over the checkpoint and its
//! folder synced: it is always whole, and survives a power loss. Mode 0600 because the
//! pagination token may encode a user's `sub`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::private::{create_new_private, sync_parent};

/// The checkpoint format's version.
const VERSION: u32 = 1;
/// The version of a checkpoint made with `--mfa`: a release that knows nothing of `--mfa` refuses
/// it instead of resuming without MFA data. Without `--mfa` the checkpoint is version 1, byte
/// for byte as before.
const VERSION_MFA: u32 = 2;

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
    /// Whether users carry AdminGetUser's MFA settings (`--mfa`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) mfa: bool,
    /// With `--mfa`: users written with at least one MFA method.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) mfa_users: u64,
    /// With `--mfa`: users per method of `UserMFASettingList`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) mfa_methods: BTreeMap<String, u64>,
    /// With `--mfa`: users AdminGetUser no longer found (deleted after ListUsers listed them),
    /// written with their ListUsers data only.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(crate) mfa_not_found: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Checkpoint {
    /// The checkpoint of an export that has written nothing yet.
    pub(crate) fn new(user_pool_id: &str, groups: bool, mfa: bool, partial_bytes: u64) -> Self {
        Checkpoint {
            version: if mfa { VERSION_MFA } else { VERSION },
            user_pool_id: user_pool_id.to_owned(),
            groups,
            pagination_token: None,
            users_written: 0,
            pages: 0,
            partial_bytes,
            statuses: BTreeMap::new(),
            skip_known: false,
            skipped: 0,
            mfa,
            mfa_users: 0,
            mfa_methods: BTreeMap::new(),
            mfa_not_found: 0,
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
        if checkpoint.version != VERSION && checkpoint.version != VERSION_MFA {
            bail!(
                "{} has version {}; this cognito-fusionauth reads versions {VERSION} and \
                 {VERSION_MFA}",
                path.display(),
                checkpoint.version
            );
        }
        Ok(checkpoint)
    }

    /// Writes the checkpoint to `path` atomically and durably: to a new `<path>.tmp` (a stale
    /// one of this user is replaced, anything else there refused), synced, renamed over
    /// `path`, and the folder synced.
    ///
    /// # Errors
    ///
    /// When the file cannot be written, synced or renamed.
    pub(crate) fn save(&self, path: &Path) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = Path::new(&tmp);
        let mut text = serde_json::to_vec(self)?;
        text.push(b'\n');
        let mut file = create_new_private(tmp)?;
        std::io::Write::write_all(&mut file, &text)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        drop(file);
        std::fs::rename(tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
        sync_parent(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_checkpoint_loads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json.checkpoint");
        let mut checkpoint = Checkpoint::new("us-east-1_AbC", true, false, 12);
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
        Checkpoint::new("p", false, false, 0).save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn the_checkpoint_is_never_written_through_a_symlink_at_its_temporary_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("c.tmp")).unwrap();
        let err = Checkpoint::new("p", false, false, 0)
            .save(&path)
            .unwrap_err();
        assert!(err.to_string().contains("a symbolic link"), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        assert!(!path.exists());
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
        let mut future = serde_json::to_value(Checkpoint::new("p", false, false, 0)).unwrap();
        future["version"] = 3.into();
        std::fs::write(&path, future.to_string()).unwrap();
        let err = Checkpoint::load(&path).unwrap_err();
        assert!(err.to_string().contains("version 3"), "{err}");
    }

    #[test]
    fn without_mfa_the_checkpoint_is_written_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let mut checkpoint = Checkpoint::new("us-east-1_AbC", true, false, 12);
        checkpoint.statuses.insert("CONFIRMED".into(), 60);
        checkpoint.save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"version\":1,\"userPoolId\":\"us-east-1_AbC\",\"groups\":true,\
             \"paginationToken\":null,\"usersWritten\":0,\"pages\":0,\"partialBytes\":12,\
             \"statuses\":{\"CONFIRMED\":60},\"skipKnown\":false,\"skipped\":0}\n"
        );
        // A checkpoint an earlier release wrote (no MFA fields) reads as one without --mfa.
        assert!(!Checkpoint::load(&path).unwrap().mfa);
    }

    #[test]
    fn an_mfa_checkpoint_has_version_2_and_keeps_its_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        let mut checkpoint = Checkpoint::new("p", false, true, 12);
        checkpoint.mfa_users = 2;
        checkpoint.mfa_methods.insert("SMS_MFA".into(), 2);
        checkpoint.mfa_not_found = 1;
        checkpoint.save(&path).unwrap();
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            (saved["version"].clone(), saved["mfa"].clone()),
            (2.into(), true.into())
        );
        assert_eq!(Checkpoint::load(&path).unwrap(), checkpoint);
    }
}
