//! `validate`: the report on stdout, the summary on stderr; no files.

use std::io::Write;

use anyhow::Result;

use crate::args::ValidateArgs;
use crate::conversion;
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ValidateArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    let conversion = conversion::convert(&mapper, &args.inputs)?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, conversion.report())?;
    writeln!(stdout)?;
    conversion::print_summary(conversion.report());
    Ok(if conversion.blocked() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
