//! The conversion `convert` and `validate` both run (not a subcommand of its own), with progress
//! and the summary on stderr.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use cognito_fusionauth::{Conversion, Converter, Mapper, Report, Severity};
use indicatif::{ProgressBar, ProgressStyle};

use crate::input;

/// Reads every input into one conversion. A spinner with users per second runs on stderr
/// when it is a terminal.
pub(crate) fn convert(mapper: &Mapper, inputs: &[PathBuf]) -> Result<Conversion> {
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} users ({per_sec}, {elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut converter = Converter::new(mapper);
    let progress = bar.clone();
    // The core counts over all files; the spinner only shows it.
    converter.on_progress(move |n| progress.set_position(n));
    for path in inputs {
        let name = input::name(path);
        bar.set_message(format!("reading {name}:"));
        let bytes = input::read(path)?;
        converter.add_file(&name, &bytes)?;
        bar.set_position(converter.users_read());
    }
    bar.set_message("validating:");
    let conversion = converter.finish();
    bar.finish_and_clear();
    Ok(conversion)
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
