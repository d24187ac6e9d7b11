//! `connector-user`: the Generic Connector response for one GetUser/AdminGetUser response.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use cognito_fusionauth::connector_user;

use crate::args::ConnectorArgs;
use crate::dates::iso_8601;
use crate::{input, ExitStatus};

pub(crate) fn run(args: &ConnectorArgs) -> Result<ExitStatus> {
    let mapper = input::mapper(&args.rules)?;
    let bytes = input::read(&args.file)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let response = connector_user(&input::name(&args.file), &bytes, &mapper, &iso_8601(now))?;
    for f in &response.findings {
        eprintln!(
            "cognito-fusionauth: {}: {}: {}",
            f.code.as_str(),
            f.field,
            f.message
        );
    }
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &response)?;
    writeln!(stdout)?;
    Ok(ExitStatus::Success)
}
