//! The folder `convert --out` wrote, read into a delivery plan.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cognito_fusionauth::delivery::{is_import_file, Plan, PlanBuilder};

/// `DIR/push/<FusionAuth>/`: the journal and the reports of the run to the FusionAuth at
/// `base` (a URL from the core's `base_url`). A folder's users pushed to two FusionAuth
/// instances are two runs, each with its own journal: neither ever counts, mails or deletes
/// the other's users.
pub(crate) fn push_dir(dir: &Path, base: &str) -> PathBuf {
    dir.join("push").join(target_folder(base))
}

/// A folder name for a FusionAuth URL: its host, port and path made safe to read
/// (`auth.example.com-9011`), then a hash of the whole URL, so that two URLs never share one.
fn target_folder(base: &str) -> String {
    let readable: String = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    // FNV-1a, 32 bits: a stable name, not a secret.
    let hash = base.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{readable}-{hash:08x}")
}

/// The import files (in order), `links.json` and `report.json` of `dir`, as a plan.
pub(crate) fn read_plan(dir: &Path) -> Result<Plan> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_import_file(n))
        .collect();
    names.sort();
    let mut builder = PlanBuilder::new();
    for name in &names {
        builder.add_import_file(name, &read(dir, name)?)?;
    }
    builder.add_links(&read(dir, "links.json")?)?;
    builder.add_login_ids(&read(dir, "login-ids.txt")?)?;
    builder.add_report(&read(dir, "report.json")?)?;
    Ok(builder.finish()?)
}

/// A file of the folder.
pub(crate) fn read(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fusionauth_has_its_own_folder() {
        let a = push_dir(Path::new("out"), "https://auth.example.com");
        let b = push_dir(Path::new("out"), "https://auth.example.com:8443");
        let c = push_dir(Path::new("out"), "http://auth.example.com");
        assert!(a.starts_with("out/push") && a != b && a != c && b != c);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("auth.example.com-"), "{name}");
        assert!(!target_folder("https://h/../x").contains('/'));
    }
}
