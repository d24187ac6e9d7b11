//! The export's own files beside FILE (`FILE.partial`, `FILE.checkpoint.tmp`) against names
//! planted before the run: a symlink there is never written through (its target keeps its
//! bytes), a stale file of a killed run is replaced, and every file the export leaves is 0600.

#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use super::moto::Moto;
use super::{
    assert_matches_truth, export, export_command, mode, sibling, stderr, STOP_AFTER_PAGES,
};

/// What the planted symlinks point at: a file some other program cares about.
const VICTIM: &[u8] = b"not the export's to write\n";

/// A victim file (mode 0644) in `dir`.
fn victim(dir: &Path) -> PathBuf {
    let path = dir.join("victim.txt");
    std::fs::write(&path, VICTIM).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// The victim is as it was, and the planted name is still the symlink the test made.
fn assert_untouched(victim: &Path, planted: &Path) {
    assert_eq!(
        std::fs::read(victim).unwrap(),
        VICTIM,
        "the target was written"
    );
    assert_eq!(mode(victim), 0o644, "the target's mode was changed");
    assert!(
        std::fs::symlink_metadata(planted)
            .unwrap()
            .file_type()
            .is_symlink(),
        "{} is no longer the planted symlink",
        planted.display()
    );
}

#[test]
fn a_symlink_planted_at_the_partial_file_or_the_checkpoints_temporary_is_not_followed() {
    let moto = Moto::start();
    let pool = moto.seed(100);
    let dir = tempfile::tempdir().unwrap();
    let victim = victim(dir.path());
    for suffix in [".partial", ".checkpoint.tmp"] {
        let out = dir.path().join(format!("pool{suffix}.json"));
        let planted = sibling(&out, suffix);
        symlink(&victim, &planted).unwrap();
        let o = export(&moto.endpoint, &pool, &out, &[]);
        assert_eq!(o.status.code(), Some(2), "{suffix}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(&planted.display().to_string()) && e.contains("a symbolic link"),
            "{suffix}: {e}"
        );
        assert_untouched(&victim, &planted);
        assert!(!out.exists(), "{suffix}: no output");

        // Once the name is free, the export runs.
        std::fs::remove_file(&planted).unwrap();
        let o = export(&moto.endpoint, &pool, &out, &[]);
        assert_eq!(o.status.code(), Some(0), "{suffix}: {}", stderr(&o));
        assert_matches_truth(&out, &moto.truth(&pool), false);
        assert_eq!(mode(&out), 0o600);
    }
}

#[test]
fn a_resume_never_writes_through_a_symlink_put_in_place_of_the_partial_file() {
    let moto = Moto::start();
    let pool = moto.seed(130);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let partial = sibling(&out, ".partial");
    let o = export_command(&moto.endpoint, &pool, &out, &[])
        .env(STOP_AFTER_PAGES, "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));

    // The partial file swapped for a symlink to a file holding the same bytes: the resume's
    // checks against the checkpoint would pass, and it would append to the target.
    let copy = dir.path().join("copy.json");
    let bytes = std::fs::read(&partial).unwrap();
    std::fs::write(&copy, &bytes).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::remove_file(&partial).unwrap();
    symlink(&copy, &partial).unwrap();
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot open") && stderr(&o).contains(".partial"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        bytes,
        "the target was written"
    );
    assert_eq!(mode(&copy), 0o644, "the target's mode was changed");
    assert!(!out.exists());

    // The real partial file back: the resume completes.
    std::fs::remove_file(&partial).unwrap();
    std::fs::rename(&copy, &partial).unwrap();
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_matches_truth(&out, &moto.truth(&pool), false);
}

#[test]
fn stale_files_of_a_killed_run_are_replaced_and_every_file_is_private() {
    let moto = Moto::start();
    let pool = moto.seed(130);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let (partial, checkpoint) = (sibling(&out, ".partial"), sibling(&out, ".checkpoint"));
    let tmp = sibling(&checkpoint, ".tmp");
    // A partial file with no checkpoint and a checkpoint's temporary file, world-readable: a
    // run killed before its first checkpoint, and one killed while writing one.
    for stale in [&partial, &tmp] {
        std::fs::write(stale, b"stale").unwrap();
        std::fs::set_permissions(stale, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let o = export_command(&moto.endpoint, &pool, &out, &[])
        .env(STOP_AFTER_PAGES, "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(mode(&partial), 0o600);
    assert_eq!(mode(&checkpoint), 0o600);
    assert!(!tmp.exists(), "the temporary name is renamed away");
    assert!(std::fs::read(&partial)
        .unwrap()
        .starts_with(b"{\"Users\":[\n"));

    // A checkpoint's temporary file left by a run killed mid-save, before the resume.
    std::fs::write(&tmp, b"{\"version\":1,").unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_matches_truth(&out, &moto.truth(&pool), false);
    assert_eq!(mode(&out), 0o600);
    assert!(!partial.exists() && !checkpoint.exists() && !tmp.exists());
}
