//! `rules`: prints the default rules.

use std::io::Write;

use anyhow::Result;
use cognito_fusionauth::Rules;

use crate::ExitStatus;

pub(crate) fn run() -> Result<ExitStatus> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &Rules::defaults())?;
    writeln!(stdout)?;
    Ok(ExitStatus::Success)
}
