//! `estimate`: the slow-migration share after D days, or the days to reach a share.

use anyhow::Result;
use cognito_fusionauth::{days_to_reach, estimate};

use crate::args::EstimateArgs;
use crate::ExitStatus;

pub(crate) fn run(args: &EstimateArgs) -> Result<ExitStatus> {
    let p = args.probability;
    match (args.days, args.target) {
        (Some(d), _) => {
            let s = estimate(p, d)?;
            println!("{s:.6}");
            eprintln!(
                "cognito-fusionauth: after {d} days, {:.2}% of users have logged in and migrated",
                s * 100.0
            );
        }
        (None, Some(s)) => {
            let d = days_to_reach(p, s)?;
            println!("{d:.3}");
            eprintln!(
                "cognito-fusionauth: {:.2}% of users migrate within {} days",
                s * 100.0,
                d.ceil()
            );
        }
        (None, None) => anyhow::bail!("give --days or --target"),
    }
    Ok(ExitStatus::Success)
}
