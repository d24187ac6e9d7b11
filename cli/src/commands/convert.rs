//! `convert`: writes the import files, login ids, links and the report to `--out`.

use std::fs;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use std::collections::hash_map::{Entry, HashMap};

use cognito_fusionauth::delivery::is_import_file;
use cognito_fusionauth::OutputPiece;

use crate::args::ConvertArgs;
use crate::conversion::{self, Checked};
use crate::private::{create_private_dir, Durability, TempFile};
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ConvertArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    // ChaCha20 is a CSPRNG; it is seeded from the OS unless a test asks for --seed.
    let mut rng = match args.seed {
        Some(seed) => ChaCha20Rng::seed_from_u64(seed),
        None => ChaCha20Rng::from_entropy(),
    };
    let random = move |buf: &mut [u8]| rng.fill_bytes(buf);
    if !args.out.exists() {
        create_private_dir(&args.out)?;
    }
    let spool_dir = args.spool_dir.as_deref().unwrap_or(&args.out);
    let Checked {
        resolved,
        mut spool,
        bar,
    } = conversion::convert(&mapper, &args.inputs, spool_dir)?;
    let report = resolved.report().clone();
    remove_stale_outputs(&args.out, &args.inputs)?;
    let output = resolved.output(random);
    write_pieces(&args.out, |emit| {
        conversion::write(&mut spool, &bar, output, emit)
    })?;
    conversion::print_summary(&report);
    eprintln!("cognito-fusionauth: wrote {}", args.out.display());
    Ok(if report.summary.blocked {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// Writes the pieces `produce` hands out into their files (mode 0600, each through a
/// temporary name renamed once complete) on a second thread while the next are built.
fn write_pieces(
    dir: &Path,
    produce: impl FnOnce(&mut dyn FnMut(OutputPiece) -> Result<()>) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<OutputPiece>(4);
        let writer = scope.spawn(move || -> Result<()> {
            let mut open: HashMap<String, TempFile> = HashMap::new();
            for piece in receive {
                let file = match open.entry(piece.name.clone()) {
                    Entry::Occupied(file) => file.into_mut(),
                    Entry::Vacant(slot) => {
                        slot.insert(TempFile::create(&dir.join(&piece.name))?.uncached())
                    }
                };
                file.write(&piece.bytes)?;
                if piece.complete {
                    if let Some(file) = open.remove(&piece.name) {
                        file.commit(Durability::Renamed)?;
                    }
                }
            }
            match open.keys().next() {
                Some(name) => bail!("{name} was left incomplete"),
                None => Ok(()),
            }
        });
        let produced = produce(&mut |piece| {
            send.send(piece)
                .map_err(|_| anyhow::anyhow!("the file writer stopped"))
        });
        drop(send);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the file writer panicked")));
        // The writer's own error says more than "the writer stopped".
        written.and(produced)
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
