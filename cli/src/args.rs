//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use cognito_fusionauth::DuplicatePolicy;

/// Export Amazon Cognito user pools and convert the exports into FusionAuth import files.
#[derive(Debug, Parser)]
#[command(name = "cognito-fusionauth", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Convert exports into Import API files, login-ids.txt, links.json and report.json.
    Convert(ConvertArgs),
    /// Validate exports and print the report (JSON) on stdout; writes no files.
    Validate(ValidateArgs),
    /// Print the default mapping rules (the format of --rules).
    Rules,
    /// Map one GetUser/AdminGetUser response to a Generic Connector response.
    ConnectorUser(ConnectorArgs),
    /// Slow-migration estimate: S = 1 - (1 - P)^D, or the days D to reach S.
    Estimate(EstimateArgs),
    /// Export a Cognito user pool (ListUsers) into a list-users JSON file, resumably.
    Export(ExportArgs),
    /// Push a folder written by `convert` into FusionAuth: pre-flight, groups, import, links,
    /// reset emails, verify. Resumable; the API key comes from FUSIONAUTH_API_KEY.
    Push(PushArgs),
    /// Check that every user of a pushed folder is in FusionAuth as the files say.
    Verify(TargetArgs),
    /// Delete from FusionAuth exactly the users and groups a push of this folder created.
    Undo(UndoArgs),
}

/// Where to deliver: the folder and the FusionAuth instance.
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// A folder written by `convert --out`.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// FusionAuth's base URL, e.g. https://auth.example.com.
    #[arg(long, value_name = "URL")]
    pub(crate) url: String,
    /// The tenant to import into (else the one the files name, else FusionAuth's only one).
    #[arg(long, value_name = "UUID")]
    pub(crate) tenant_id: Option<String>,
    /// Read the API key from this file instead of the FUSIONAUTH_API_KEY variable.
    #[arg(long, value_name = "FILE")]
    pub(crate) api_key_file: Option<PathBuf>,
    /// Seconds to wait for an answer to an import or a bulk delete (other calls: 60 s at most).
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) timeout: u64,
    /// Allow a plain-HTTP URL that is not loopback (the API key would cross the network in clear).
    #[arg(long)]
    pub(crate) allow_http: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PushArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Create missing groups with the ids the rules name.
    #[arg(long)]
    pub(crate) create_groups: bool,
    /// Send a forgot-password email to every user this run imports.
    #[arg(long)]
    pub(crate) send_resets: bool,
    /// Reset emails per second.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    pub(crate) reset_rate: f64,
    /// Users per import request (default: each import file as it is).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub(crate) batch_size: Option<u64>,
    /// Run the pre-flight only and print the plan; change nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Pre-flight looks up the email and username of at most N new users (two requests each);
    /// above it, the import finds conflicts (FusionAuth names each duplicate).
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub(crate) lookup_limit: usize,
}

#[derive(Debug, Args)]
pub(crate) struct UndoArgs {
    #[command(flatten)]
    pub(crate) target: TargetArgs,
    /// Do not ask before deleting.
    #[arg(long)]
    pub(crate) yes: bool,
}

/// Settings that override the rules file.
#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    /// A rules file (see `cognito-fusionauth rules`); the defaults when absent.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// FusionAuth tenant id set on every user.
    #[arg(long, value_name = "UUID")]
    pub(crate) tenant_id: Option<String>,
    /// Register every user to this application (repeatable).
    #[arg(long = "application-id", value_name = "UUID")]
    pub(crate) application_ids: Vec<String>,
    /// Users per import file (1 to 100000).
    #[arg(long, value_name = "N")]
    pub(crate) chunk_size: Option<usize>,
    /// What to do with users sharing an email, username or id.
    #[arg(long, value_name = "POLICY", value_parser = policy_parser())]
    pub(crate) on_duplicate: Option<DuplicatePolicy>,
}

/// `--on-duplicate`'s values: the core's policies, each with what it does.
fn policy_parser() -> impl clap::builder::TypedValueParser<Value = DuplicatePolicy> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        DuplicatePolicy::ALL.map(|p| PossibleValue::new(p.name()).help(p.description())),
    )
    // Only the names listed reach here.
    .map(|name| DuplicatePolicy::from_name(&name).unwrap_or_default())
}

#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// Seed the placeholder passwords, for reproducible test output only.
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// The folder to write the files to (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Where the conversion keeps the mapped users between its passes: a file with no name,
    /// about as large as the import files, gone when the run ends (default: the --out folder).
    #[arg(long, value_name = "DIR")]
    pub(crate) spool_dir: Option<PathBuf>,
    /// Cognito export files: list-users JSON, AdminGetUser/GetUser, arrays, JSON Lines, import CSV.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
    /// Where the validation keeps the mapped users between its passes: a file with no name,
    /// gone when the run ends (default: the system's temporary folder, $TMPDIR).
    #[arg(long, value_name = "DIR")]
    pub(crate) spool_dir: Option<PathBuf>,
    /// Cognito export files.
    #[arg(required = true, value_name = "INPUT")]
    pub(crate) inputs: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ConnectorArgs {
    /// A GetUser or AdminGetUser response (JSON).
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    #[command(flatten)]
    pub(crate) rules: RuleArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("goal").required(true).args(["days", "target"])))]
pub(crate) struct EstimateArgs {
    /// The probability that a given user logs in on a given day, in (0, 1].
    #[arg(long, value_name = "P")]
    pub(crate) probability: f64,
    /// Days of slow migration: prints the share of users migrated.
    #[arg(long, value_name = "D")]
    pub(crate) days: Option<f64>,
    /// Target share of users migrated, in [0, 1): prints the days needed.
    #[arg(long, value_name = "S")]
    pub(crate) target: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The user pool, e.g. us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID")]
    pub(crate) user_pool_id: String,
    /// AWS Region; by default the one the user pool id starts with.
    #[arg(long, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// A named profile of the AWS config and credentials files.
    #[arg(long, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    /// Send requests to this endpoint instead of Cognito's (a VPC endpoint, an emulator).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// Attach each user's group names (`Groups`), from ListGroups and ListUsersInGroup.
    #[arg(long)]
    pub(crate) groups: bool,
    /// Attach each user's MFA settings (`UserMFASettingList`, `PreferredMfaSetting`), which
    /// ListUsers leaves out: one AdminGetUser request per user.
    #[arg(long)]
    pub(crate) mfa: bool,
    /// AdminGetUser requests per second with --mfa (Cognito's UserRead quota, shared by the
    /// account: 120 per second unless raised).
    #[arg(long, value_name = "N", default_value_t = crate::export::DEFAULT_USER_READ_RATE, value_parser = request_rate, requires = "mfa")]
    pub(crate) mfa_rate: f64,
    /// Continue the export that `<FILE>.checkpoint` records.
    #[arg(long)]
    pub(crate) resume: bool,
    /// Attempts per request before the export stops (throttling and transient errors).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(crate) max_attempts: u32,
    /// The list-users JSON file to write (mode 0600; written as FILE.partial, then renamed).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// A request rate: a number of requests per second from 1 to 10,000.
fn request_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (1.0..=10_000.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate from 1 to 10000 requests per second"
        )),
    }
}
