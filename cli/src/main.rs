//! `cognito-fusionauth`: exports Amazon Cognito user pools and converts the exports into
//! FusionAuth import files.

mod args;
mod commands;
mod conversion;
mod dates;
mod delivery;
mod export;
mod input;
mod private;
mod spool;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// How a run ended, as the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Output was written (warnings allowed): 0.
    Success,
    /// Findings blocked the output; the report was still written: 1.
    Failure,
    /// The run could not be done: bad arguments, unreadable input, invalid rules: 2.
    Error,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        })
    }
}

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            // A closed stdout (e.g. `| head`) is not a failure.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let mut stderr = std::io::stderr().lock();
            writeln!(stderr, "cognito-fusionauth: error: {err}").ok();
            for cause in err.chain().skip(1) {
                writeln!(stderr, "  Cause: {cause}").ok();
            }
            ExitStatus::Error.into()
        }
    }
}
