//! `gen-export`: writes a synthetic Amazon Cognito `aws cognito-idp list-users` export (the
//! inputs of `bench/run.sh` and `bench/console.mjs`), fast enough for pools of millions.
//!
//! ```text
//! gen-export N OUT [--dup-rate R] [--seed S] [--format cli2|wire|backup]
//! ```
//!
//! Deterministic for a seed (default 7): the same arguments give the same bytes, and a larger
//! N only appends users. The users mix the shapes seen in real pools: custom attributes,
//! federated users (an `identities` JSON string), unverified, unconfirmed and disabled users,
//! missing emails, case-variant duplicate emails (about R of the users reuse one of the
//! previous 1,000 emails, upper-cased), unicode names, phone numbers. `--format`: `cli2`
//! (ISO-8601 dates with an offset, as `aws` v2 prints them), `wire` (epoch seconds, as the API
//! sends them), `backup` (UTC ISO-8601 with milliseconds).
//!
//! Users are written as they are generated, through a buffered writer: memory stays at a few
//! megabytes whatever N.

mod export;

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use export::{Format, Options};

const USAGE: &str = "\
usage: gen-export N OUT [--dup-rate R] [--seed S] [--format cli2|wire|backup]

Writes a synthetic Cognito list-users export of N users to OUT.
  --dup-rate R   share of users that reuse an earlier email, upper-cased (0 to 1; default 0)
  --seed S       seed of the generator, an unsigned integer (default 7)
  --format F     cli2: ISO-8601 dates with an offset (default); wire: epoch seconds;
                 backup: UTC ISO-8601 with milliseconds";

/// What the command line asks for.
#[derive(Debug)]
struct Args {
    n: u64,
    out: PathBuf,
    options: Options,
}

/// What to do.
#[derive(Debug)]
enum Parsed {
    Run(Args),
    Help,
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("gen-export: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match write(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-export: {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}

fn write(args: &Args) -> std::io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&args.out)?);
    export::write(&mut out, args.n, &args.options)?;
    out.flush()
}

/// Parses `N OUT [--dup-rate R] [--seed S] [--format F]`; options may come anywhere, as
/// `--name value` or `--name=value`.
fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut positional = Vec::new();
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg
            .to_str()
            .ok_or_else(|| format!("not valid UTF-8: {arg:?}"))?
            .to_owned();
        if text == "-h" || text == "--help" {
            return Ok(Parsed::Help);
        }
        let Some(option) = text.strip_prefix("--") else {
            positional.push(arg);
            continue;
        };
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("--{option} needs a value"))?;
                let value = value
                    .into_string()
                    .map_err(|v| format!("not valid UTF-8: {v:?}"))?;
                (option.to_owned(), value)
            }
        };
        match name.as_str() {
            "dup-rate" => {
                options.dup_rate = value
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        format!("--dup-rate must be a number from 0 to 1, got '{value}'")
                    })?;
            }
            "seed" => {
                options.seed = value
                    .parse()
                    .map_err(|_| format!("--seed must be an unsigned integer, got '{value}'"))?;
            }
            "format" => {
                options.format = match value.as_str() {
                    "cli2" => Format::Cli2,
                    "wire" => Format::Wire,
                    "backup" => Format::Backup,
                    _ => {
                        return Err(format!(
                            "--format must be cli2, wire or backup, got '{value}'"
                        ))
                    }
                };
            }
            _ => return Err(format!("unknown option --{name}")),
        }
    }
    let [n, out]: [OsString; 2] = positional
        .try_into()
        .map_err(|p: Vec<OsString>| format!("expected N and OUT, got {} argument(s)", p.len()))?;
    let n = n
        .to_str()
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| format!("N must be a non-negative integer, got {n:?}"))?;
    Ok(Parsed::Run(Args {
        n,
        out: out.into(),
        options,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Parsed, String> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn options_anywhere_in_either_form() {
        let Ok(Parsed::Run(args)) = parse(&[
            "--dup-rate",
            "0.001",
            "10",
            "--format=wire",
            "out.json",
            "--seed",
            "9",
        ]) else {
            panic!("not parsed");
        };
        assert_eq!(args.n, 10);
        assert_eq!(args.out, PathBuf::from("out.json"));
        assert_eq!(args.options.dup_rate, 0.001);
        assert_eq!(args.options.seed, 9);
        assert_eq!(args.options.format, Format::Wire);
    }

    #[test]
    fn defaults_are_the_python_generators() {
        let Ok(Parsed::Run(args)) = parse(&["5", "o"]) else {
            panic!("not parsed");
        };
        assert_eq!(args.options.seed, 7);
        assert_eq!(args.options.dup_rate, 0.0);
        assert_eq!(args.options.format, Format::Cli2);
    }

    #[test]
    fn bad_arguments_are_explained() {
        for (args, expected) in [
            (&["5"][..], "expected N and OUT"),
            (&["5", "o", "x"][..], "expected N and OUT"),
            (&["-5", "o"][..], "N must be"),
            (&["5", "o", "--dup-rate", "2"][..], "--dup-rate must be"),
            (&["5", "o", "--seed", "-1"][..], "--seed must be"),
            (&["5", "o", "--format", "csv"][..], "--format must be"),
            (&["5", "o", "--seed"][..], "needs a value"),
            (&["5", "o", "--color", "x"][..], "unknown option --color"),
        ] {
            match parse(args) {
                Err(message) => assert!(message.contains(expected), "{args:?}: {message}"),
                Ok(parsed) => panic!("{args:?} parsed: {parsed:?}"),
            }
        }
        assert!(matches!(parse(&["--help"]), Ok(Parsed::Help)));
    }
}
