//! `gen-shapes`: Cognito exports of a given size built for the worst cases of the conversion,
//! each the most of one thing a file of that size can hold (the inputs of `bench/shapes.sh`
//! and of `bench/gen/tests/shapes.rs`).
//!
//! ```text
//! gen-shapes SHAPE OUT [--bytes N]     (N defaults to 1,000,000)
//! gen-shapes --list
//! ```
//!
//! Every shape is deterministic (no randomness: the same arguments give the same bytes) and
//! written as a `list-users` page, a JSON Lines file or a CSV; each stops at the last whole
//! item that keeps the file within N bytes (a shape of one long value or name fills it
//! exactly).

mod shapes;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use shapes::SHAPES;

const USAGE: &str = "\
usage: gen-shapes SHAPE OUT [--bytes N]
       gen-shapes --list

Writes a Cognito export of about N bytes (default 1000000) of one worst-case shape to OUT.
--list prints each shape's name and what it holds.";

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
    {
        Ok(args) => args,
        Err(a) => {
            eprintln!("gen-shapes: not valid UTF-8: {a:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match parse(&args) {
        Ok(Command::List) => {
            for shape in SHAPES {
                println!("{}\t{}", shape.name, shape.about);
            }
            ExitCode::SUCCESS
        }
        Ok(Command::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Command::Write { shape, out, bytes }) => {
            let written = File::create(&out).and_then(|file| {
                let mut out = BufWriter::new(file);
                (shape.write)(&mut out, bytes)?;
                out.flush()
            });
            match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("gen-shapes: {}: {e}", out.display());
                    ExitCode::FAILURE
                }
            }
        }
        Err(message) => {
            eprintln!("gen-shapes: {message}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// What the command line asks for.
enum Command {
    List,
    Help,
    Write {
        shape: &'static shapes::Shape,
        out: PathBuf,
        bytes: usize,
    },
}

/// Parses `SHAPE OUT [--bytes N]`, `--list` or `--help`.
fn parse(args: &[String]) -> Result<Command, String> {
    let mut positional = Vec::new();
    let mut bytes = 1_000_000;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => return Ok(Command::List),
            "-h" | "--help" => return Ok(Command::Help),
            "--bytes" => {
                let value = args.next().ok_or("--bytes needs a value")?;
                bytes = value.parse().ok().filter(|n| *n >= 1_000).ok_or_else(|| {
                    format!("--bytes must be an integer of 1000 or more, got '{value}'")
                })?;
            }
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            _ => positional.push(arg.as_str()),
        }
    }
    let [name, out] = positional[..] else {
        return Err(format!(
            "expected SHAPE and OUT, got {} argument(s)",
            positional.len()
        ));
    };
    let shape = SHAPES.iter().find(|s| s.name == name).ok_or_else(|| {
        let names: Vec<&str> = SHAPES.iter().map(|s| s.name).collect();
        format!("unknown shape '{name}'; one of {}", names.join(", "))
    })?;
    Ok(Command::Write {
        shape,
        out: out.into(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_shape_an_output_and_a_size() {
        let Ok(Command::Write { shape, out, bytes }) =
            parse(&args(&["repeat", "o.json", "--bytes", "5000"]))
        else {
            panic!("not parsed");
        };
        assert_eq!((shape.name, bytes), ("repeat", 5_000));
        assert_eq!(out, PathBuf::from("o.json"));
        assert!(matches!(parse(&args(&["--list"])), Ok(Command::List)));
    }

    #[test]
    fn bad_arguments_are_explained() {
        for (list, expected) in [
            (&["nope", "o"][..], "unknown shape 'nope'"),
            (&["repeat"][..], "expected SHAPE and OUT"),
            (&["repeat", "o", "--bytes", "10"][..], "--bytes must be"),
            (&["repeat", "o", "--bytes"][..], "--bytes needs a value"),
            (&["repeat", "o", "--fast"][..], "unknown option --fast"),
        ] {
            let Err(message) = parse(&args(list)) else {
                panic!("{list:?} parsed");
            };
            assert!(message.contains(expected), "{list:?}: {message}");
        }
    }
}
