//! `push`, `verify` and `undo`: the core's delivery session carried over HTTP, its journal in
//! `DIR/push/<FusionAuth>/journal.jsonl` and its reports beside it.

use std::io::Write;

use anyhow::{bail, Result};
use cognito_fusionauth::delivery::{new_run_id, Command, Options, PushReport, RunStatus, Session};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use crate::args::{PushArgs, TargetArgs, UndoArgs};
use crate::delivery::{
    api_key, drive, now, push_dir, read_plan, Confirmation, JournalFile, Transport,
};
use crate::private::{write_private, Durability};
use crate::ExitStatus;

/// `push`.
pub(crate) fn push(args: &PushArgs) -> Result<ExitStatus> {
    if !(args.reset_rate.is_finite() && args.reset_rate > 0.0 && args.reset_rate <= 1000.0) {
        bail!("--reset-rate must be above 0 and at most 1000 per second");
    }
    let options = Options {
        command: Command::Push,
        tenant_id: args.target.tenant_id.clone(),
        create_groups: args.create_groups,
        send_resets: args.send_resets,
        reset_rate: args.reset_rate,
        batch_size: args.batch_size.map(|n| n as usize),
        dry_run: args.dry_run,
        lookup_limit: args.lookup_limit,
        ..Options::default()
    };
    let name = if args.dry_run {
        "plan.json"
    } else {
        "report.json"
    };
    run(&args.target, options, Confirmation::Given, name)
}

/// `verify`.
pub(crate) fn verify(args: &TargetArgs) -> Result<ExitStatus> {
    let options = Options {
        command: Command::Verify,
        tenant_id: args.tenant_id.clone(),
        ..Options::default()
    };
    run(args, options, Confirmation::Given, "verify.json")
}

/// `undo`.
pub(crate) fn undo(args: &UndoArgs) -> Result<ExitStatus> {
    let options = Options {
        command: Command::Undo,
        tenant_id: args.target.tenant_id.clone(),
        ..Options::default()
    };
    let confirmation = if args.yes {
        Confirmation::Given
    } else {
        Confirmation::Ask
    };
    run(&args.target, options, confirmation, "undo.json")
}

fn run(
    target: &TargetArgs,
    mut options: Options,
    confirmation: Confirmation,
    report_name: &str,
) -> Result<ExitStatus> {
    let key = api_key(target.api_key_file.as_deref())?;
    let transport = Transport::new(&target.url, key, target.timeout, target.allow_http)?;
    let plan = read_plan(&target.dir)?;
    let dir = push_dir(&target.dir, transport.base());
    options.url = transport.base().to_owned();
    // A new run's marker, from a CSPRNG seeded by the operating system.
    let mut rng = ChaCha20Rng::from_entropy();
    options.run_id = new_run_id(&mut |buf: &mut [u8]| rng.fill_bytes(buf));
    let (mut journal, state) = JournalFile::open(&dir)?;
    let mut session = Session::new(plan, options, state, now());
    let timings = drive(
        &mut session,
        &transport,
        &mut journal,
        &target.dir,
        confirmation,
    )?;
    let report = &PushReport {
        timings,
        ..session.into_report()
    };
    let path = dir.join(report_name);
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    write_private(&path, &json, Durability::Synced)?;
    print_report(report)?;
    eprintln!("cognito-fusionauth: report: {}", path.display());
    Ok(match report.status() {
        RunStatus::Complete => ExitStatus::Success,
        RunStatus::Incomplete => ExitStatus::Failure,
        RunStatus::Stopped => ExitStatus::Error,
    })
}

/// The outcome for people, on stderr (the plan of a dry run on stdout).
fn print_report(r: &PushReport) -> Result<()> {
    let mut err = std::io::stderr().lock();
    let p = "cognito-fusionauth:";
    if let Some(v) = &r.fusionauth_version {
        writeln!(
            err,
            "{p} FusionAuth {v}, tenant {}",
            r.tenant_id.as_deref().unwrap_or("?")
        )?;
    }
    for w in &r.warnings {
        writeln!(err, "{p} warning: {w}")?;
    }
    for problem in &r.problems {
        writeln!(err, "{p} problem: {problem}")?;
    }
    if r.dry_run {
        let mut out = std::io::stdout().lock();
        for line in r.plan_lines() {
            writeln!(out, "{line}")?;
        }
    }
    for s in &r.steps {
        let detail = s
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        writeln!(err, "{p} {:<9} {}{detail}", s.step, s.status)?;
    }
    if !r.dry_run {
        for line in r.outcome_lines() {
            writeln!(err, "{p} {line}")?;
        }
    }
    if let Some(reason) = &r.stopped {
        writeln!(err, "{p} stopped: {reason}")?;
    }
    Ok(())
}
