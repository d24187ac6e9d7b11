//! `convert`: writes the import files, login ids, links and the report to `--out`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::pipeline;
use crate::args::ConvertArgs;
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    // ChaCha20 is a CSPRNG; it is seeded from the OS unless a test asks for --seed.
    let mut rng = match args.seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_entropy(),
    };
    let mut random = |buf: &mut [u8]| rng.fill_bytes(buf);
    let conversion = pipeline::convert(&mapper, &args.inputs)?;
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    remove_stale_outputs(&args.out)?;
    for file in conversion.files(&mut random) {
        let path = args.out.join(&file.name);
        fs::write(&path, &file.content)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    pipeline::print_summary(conversion.report());
    eprintln!("cognito-fusionauth: wrote {}", args.out.display());
    Ok(if conversion.blocked() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Removes files an earlier run left in `dir` that this run might not overwrite (more
/// chunks before, or output blocked now), so the folder never mixes two runs.
fn remove_stale_outputs(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let chunk = name.starts_with("users-") && name.ends_with(".json");
        if chunk
            || matches!(
                name.as_str(),
                "login-ids.txt" | "links.json" | "report.json"
            )
        {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}
