//! The folder `convert --out` wrote, read into a delivery plan.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cognito_fusionauth::delivery::{is_import_file, Plan, PlanBuilder};

/// `DIR/push`: the journal and the reports.
pub(crate) fn push_dir(dir: &Path) -> PathBuf {
    dir.join("push")
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
