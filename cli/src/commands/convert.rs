//! `convert`: writes the import files, login ids, links and the report to `--out`.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use cognito_fusionauth::delivery::is_import_file;
use cognito_fusionauth::OutputFile;

use crate::args::ConvertArgs;
use crate::conversion;
use crate::private::{create_private_dir, write_private, Durability};
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    // ChaCha20 is a CSPRNG; it is seeded from the OS unless a test asks for --seed.
    let mut rng = match args.seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_entropy(),
    };
    let mut random = |buf: &mut [u8]| rng.fill_bytes(buf);
    let conversion = conversion::convert(&mapper, &args.inputs)?;
    if !args.out.exists() {
        create_private_dir(&args.out)?;
    }
    remove_stale_outputs(&args.out, &args.inputs)?;
    write_files(&args.out, conversion.files(&mut random))?;
    conversion::print_summary(conversion.report());
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

/// Writes the files (mode 0600, through a temporary name) on a second thread while the next
/// one is built.
fn write_files(dir: &Path, files: impl Iterator<Item = OutputFile>) -> Result<()> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<OutputFile>(1);
        let writer = scope.spawn(move || -> Result<()> {
            for file in receive {
                write_private(&dir.join(&file.name), &file.content, Durability::Renamed)?;
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

/// True for the names `convert` writes, and their temporary names (`.report.json.tmp`).
fn is_output_name(name: &str) -> bool {
    let name = name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .unwrap_or(name);
    is_import_file(name) || matches!(name, "login-ids.txt" | "links.json" | "report.json")
}

/// Removes files an earlier run left in `dir` that this run might not overwrite (more
/// chunks before, or output blocked now), so the folder never mixes two runs. Only names
/// `convert` writes are removed; a symlink is removed itself, never its target; an input of
/// this run under such a name stops the run before anything is removed.
fn remove_stale_outputs(dir: &Path, inputs: &[std::path::PathBuf]) -> Result<()> {
    let mut stale = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_output_name(&name) {
            continue;
        }
        let path = entry.path();
        let meta = fs::symlink_metadata(&path)?;
        if meta.is_file() && inputs.iter().any(|i| same_file(i, &meta)) {
            bail!(
                "the input {} is in the output folder under a name convert writes: move it, or choose another --out",
                path.display()
            );
        }
        stale.push(path);
    }
    for path in stale {
        fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

/// True when `input` is the file `meta` describes.
fn same_file(input: &Path, meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(input).is_ok_and(|m| m.dev() == meta.dev() && m.ino() == meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (input, meta);
        false
    }
}
