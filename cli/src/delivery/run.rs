//! The loop that runs a session: each action of the core carried out, each event written to
//! the journal before the next request goes out, a progress bar per step on a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use cognito_fusionauth::delivery::{Action, Progress, Session, StepTiming};
use indicatif::{ProgressBar, ProgressStyle};

use super::folder::read;
use super::{JournalFile, Transport};

/// How `undo` gets its go-ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmation {
    /// `--yes`.
    Given,
    /// Ask on the terminal.
    Ask,
}

/// Runs `session` to its end; returns where each step's time went.
pub(crate) fn drive(
    session: &mut Session,
    transport: &Transport,
    journal: &mut JournalFile,
    dir: &Path,
    confirmation: Confirmation,
) -> Result<Vec<StepTiming>> {
    let mut bars = Bars::default();
    let mut timings: Vec<StepTiming> = Vec::new();
    let mut mark = Instant::now();
    loop {
        let action = session.next(now());
        journal.append(&session.take_events())?;
        let progress = session.progress();
        bars.show(progress);
        let timing = match timings.iter().position(|t| t.step == progress.step) {
            Some(i) => &mut timings[i],
            None => {
                timings.push(StepTiming {
                    step: progress.step.to_owned(),
                    ..StepTiming::default()
                });
                timings.last_mut().expect("just pushed")
            }
        };
        timing.own_micros += mark.elapsed().as_micros() as u64;
        mark = Instant::now();
        match action {
            Action::Send(request) => {
                let answer = transport.send(&request);
                timing.requests += 1;
                timing.fusionauth_micros += mark.elapsed().as_micros() as u64;
                mark = Instant::now();
                session.answer(answer, now());
                journal.append(&session.take_events())?;
            }
            Action::Wait { until } => {
                std::thread::sleep(Duration::from_millis(
                    until.saturating_sub(now()).min(60_000),
                ));
                mark = Instant::now();
            }
            Action::NeedFile(name) => session.load_file(&name, read(dir, &name)?)?,
            Action::Confirm { users, groups } => {
                bars.clear();
                let yes = confirmation == Confirmation::Given || ask(users, groups)?;
                session.confirm(yes);
                mark = Instant::now();
            }
            Action::Finished => break,
        }
    }
    bars.clear();
    journal.append(&session.take_events())?;
    timings.retain(|t| t.requests > 0);
    Ok(timings)
}

/// Milliseconds since the epoch: the clock the core's session is given.
pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn ask(users: usize, groups: usize) -> Result<bool> {
    let mut err = std::io::stderr();
    if !std::io::stdin().is_terminal() {
        writeln!(
            err,
            "cognito-fusionauth: undo would hard-delete {users} user(s) and {groups} group(s); pass --yes to go on without a terminal"
        )?;
        return Ok(false);
    }
    write!(
        err,
        "cognito-fusionauth: hard-delete {users} user(s) this run imported and {groups} group(s) it created? This cannot be undone. Type yes: "
    )?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().eq_ignore_ascii_case("yes"))
}

/// One progress bar per step, on stderr when it is a terminal.
#[derive(Default)]
struct Bars {
    step: &'static str,
    bar: Option<ProgressBar>,
}

impl Bars {
    fn show(&mut self, progress: Progress) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        if self.step != progress.step {
            self.clear();
            self.step = progress.step;
            let bar = ProgressBar::new(progress.total);
            bar.set_style(
                ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_message(progress.step);
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            bar.set_length(progress.total);
            bar.set_position(progress.done);
        }
    }

    fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.step = "";
    }
}
