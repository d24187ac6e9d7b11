//! `export`: a Cognito user pool into a list-users JSON file (see [`crate::export`]).

use anyhow::{Context, Result};

use crate::args::ExportArgs;
use crate::export::{self, Connection, Request};
use crate::ExitStatus;

/// Stops the export after this many pages, as if it were interrupted: for the tests only.
const STOP_AFTER_PAGES: &str = "COGNITO_FUSIONAUTH_EXPORT_STOP_AFTER_PAGES";

/// Runs the export and prints its summary; every failure is exit status 2.
pub(crate) fn run(args: &ExportArgs) -> Result<ExitStatus> {
    let request = Request {
        connection: Connection {
            user_pool_id: &args.user_pool_id,
            region: args.region.as_deref(),
            profile: args.profile.as_deref(),
            endpoint_url: args.endpoint_url.as_deref(),
        },
        groups: args.groups,
        mfa: args.mfa.then_some(args.mfa_rate),
        resume: args.resume,
        max_attempts: args.max_attempts,
        out: &args.out,
        stop_after_pages: std::env::var(STOP_AFTER_PAGES)
            .ok()
            .and_then(|n| n.parse().ok()),
    };
    // The rest of the CLI is synchronous; only the export needs the SDK's async runtime. One
    // thread: requests go one at a time (each page's token comes from the previous one), except
    // the AdminGetUser requests of --mfa, which wait for their answers together on that thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(export::export(&request))?;
    summary.print();
    Ok(ExitStatus::Success)
}
