//! One module per subcommand; `run` dispatches.

mod connector_user;
mod convert;
mod estimate;
mod export;
mod push;
mod rules;
mod validate;

use anyhow::Result;

use crate::args::{Cli, Command};
use crate::ExitStatus;

/// Runs the parsed command line.
pub(crate) fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Convert(args) => convert::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Rules => rules::run(),
        Command::ConnectorUser(args) => connector_user::run(&args),
        Command::Estimate(args) => estimate::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Push(args) => push::push(&args),
        Command::Verify(args) => push::verify(&args),
        Command::Undo(args) => push::undo(&args),
    }
}
