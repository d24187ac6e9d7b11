//! `convert`: writes the import files, login ids, links and the report to `--out`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use cognito_fusionauth::OutputFile;

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
    write_files(&args.out, conversion.files(&mut random))?;
    pipeline::print_summary(conversion.report());
    eprintln!("cognito-fusionauth: wrote {}", args.out.display());
    let status = if conversion.blocked() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    // The process ends next: freeing every record one by one would only cost time.
    std::mem::forget(conversion);
    Ok(status)
}

/// Writes the files on a second thread while the next one is built.
fn write_files(dir: &Path, files: impl Iterator<Item = OutputFile>) -> Result<()> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<OutputFile>(1);
        let writer = scope.spawn(move || -> Result<()> {
            for file in receive {
                let path = dir.join(&file.name);
                fs::write(&path, &file.content)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(())
        });
        for file in files {
            if send.send(file).is_err() {
                // The writer stopped on an error, which join returns below.
                break;
            }
        }
        drop(send);
        writer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the file writer panicked")))
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
