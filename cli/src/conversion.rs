//! The conversion `convert` and `validate` both run (not a subcommand of its own), streamed
//! through a spool on disk so memory stays bounded however large the pool, with progress and
//! the summary on stderr.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use cognito_fusionauth::{
    Mapper, OutputPiece, Report, Resolved, Severity, StreamConverter, StreamOutput,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::input;
use crate::spool::{FileSpool, SpoolReader};

/// A conversion whose checks across users are done: its report (but for the findings, which
/// come with the output) and the spool its output is written from.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) resolved: Resolved,
    pub(crate) spool: SpoolReader,
    pub(crate) bar: ProgressBar,
}

/// A spinner with users per second on stderr when it is a terminal.
fn spinner() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {pos} users ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// Reads every input into a spool in `spool_dir` and runs the checks across users.
pub(crate) fn convert(mapper: &Mapper, inputs: &[PathBuf], spool_dir: &Path) -> Result<Checked> {
    let bar = spinner();
    let mut spool = FileSpool::create(spool_dir, input::total_size(inputs))?;
    let mut converter = StreamConverter::new(mapper.clone());
    converter.compress_spool(spool.on_disk());
    let progress = bar.clone();
    // The core counts over all files; the spinner only shows it.
    converter.on_progress(move |n| progress.set_position(n));
    for path in inputs {
        let name = input::name(path);
        bar.set_message(format!("reading {name}:"));
        let bytes = input::read(path)?;
        spool.mark();
        input::with_released(&bytes, |bytes| {
            converter.add_file(&name, bytes, &mut spool).map(drop)
        })?;
        drop(bytes);
        spool.check()?;
        bar.set_position(converter.users_read());
    }
    bar.set_message("checking across users:");
    let mut gathering = converter.finish(&mut spool);
    let mut spool = spool.into_reader()?;
    if !gathering.wanted().is_empty() {
        let wanted = gathering.wanted().to_vec();
        spool.read(Some(&wanted), &mut |block| Ok(gathering.take(block)?))?;
    }
    let resolved = gathering.resolve()?;
    Ok(Checked {
        resolved,
        spool,
        bar,
    })
}

/// Writes the output: every spooled user through `output`, each piece to `emit` (whose
/// first error ends the run).
pub(crate) fn write(
    spool: &mut SpoolReader,
    bar: &ProgressBar,
    mut output: StreamOutput<'_>,
    emit: &mut dyn FnMut(OutputPiece) -> Result<()>,
) -> Result<()> {
    bar.set_message("writing:");
    bar.set_position(0);
    let mut failed = None;
    let mut send = |piece: OutputPiece| {
        if failed.is_none() {
            failed = emit(piece).err();
        }
    };
    let mut blocks = 0u64;
    spool.read(None, &mut |block| {
        output.block(block, &mut send)?;
        blocks += 1;
        if blocks.is_multiple_of(20) {
            bar.set_position(output.users_written());
        }
        Ok(())
    })?;
    output.finish(&mut send)?;
    bar.finish_and_clear();
    failed.map_or(Ok(()), Err)
}

/// The run's summary, for people, on stderr.
pub(crate) fn print_summary(report: &Report) {
    let s = &report.summary;
    for f in &s.files {
        eprintln!(
            "cognito-fusionauth: {}: {} users ({})",
            f.name,
            f.users,
            serde_json::to_value(f.shape)
                .unwrap_or_default()
                .as_str()
                .unwrap_or("")
        );
    }
    let count = |sev| s.severities.get(&sev).copied().unwrap_or(0);
    eprintln!(
        "cognito-fusionauth: {} users read, {} imported in {} file(s), {} excluded, {} link(s); findings: {} error(s), {} warning(s), {} info",
        s.users_read, s.imported, s.chunks, s.excluded, s.links,
        count(Severity::Error), count(Severity::Warning), count(Severity::Info),
    );
    for (code, n) in &s.codes {
        eprintln!("cognito-fusionauth:   {:<22} {n}", code.as_str());
    }
    if let Some(reason) = &s.blocked_reason {
        eprintln!("cognito-fusionauth: output blocked: {reason}");
    }
}
