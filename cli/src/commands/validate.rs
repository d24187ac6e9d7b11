//! `validate`: the report on stdout, the summary on stderr; no files.

use std::io::Write;

use anyhow::Result;

use crate::args::ValidateArgs;
use crate::conversion::{self, Checked};
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ValidateArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    let spool_dir = args.spool_dir.clone().unwrap_or_else(std::env::temp_dir);
    let Checked {
        resolved,
        mut spool,
        bar,
    } = conversion::convert(&mapper, &args.inputs, &spool_dir)?;
    let report = resolved.report().clone();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    conversion::write(&mut spool, &bar, resolved.report_output(), &mut |piece| {
        Ok(stdout.write_all(&piece.bytes)?)
    })?;
    stdout.flush()?;
    conversion::print_summary(&report);
    Ok(if report.summary.blocked {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
