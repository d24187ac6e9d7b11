//! "Send to FusionAuth", in the worker: the core's delivery session — the same protocol as
//! the command line's `push`, `verify` and `undo` — with its requests carried by
//! [`fetch`](fetch::Fetch) and its journal in the browser's private storage
//! ([`journal::Journal`]), so a push stopped by a reload resumes where it was.

mod fetch;
mod journal;

use std::cell::RefCell;

use cognito_fusionauth::delivery::{
    base_url, is_import_file, new_run_id, Action, Answer, Command, Method, Options, Plan,
    PlanBuilder, PushReport, Session,
};
use js_sys::{Array, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Blob, WorkerGlobalScope};

use crate::browser::blob_bytes;
use crate::protocol::{ApiKey, OutputMeta, PushCommand, Response, Target};
use fetch::Fetch;
use journal::Journal;

/// What the page asked of the running push.
#[derive(Default)]
struct Control {
    running: bool,
    stop: bool,
    confirm: Option<bool>,
    /// Aborts the request in flight: Stop does not wait for its answer.
    abort: Option<AbortController>,
}

thread_local! {
    static CONTROL: RefCell<Control> = RefCell::default();
}

/// The least time between two progress messages.
const PROGRESS_EVERY_MS: f64 = 100.0;

/// Starts `command` on `outputs` (the conversion's files); answers come as
/// [`Response::PushProgress`], [`Response::PushConfirm`], then [`Response::PushFinished`] or
/// [`Response::PushFailed`].
pub fn start(command: PushCommand, target: Target, key: ApiKey, outputs: Vec<(OutputMeta, Blob)>) {
    let busy = CONTROL.with(|c| {
        let mut c = c.borrow_mut();
        if c.running {
            return true;
        }
        *c = Control {
            running: true,
            ..Control::default()
        };
        false
    });
    if busy {
        post(&Response::PushFailed {
            message: "a push is already running: stop it first".into(),
        });
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match run(command, &target, key, &outputs).await {
            Ok((report, unreachable)) => {
                let mut json = serde_json::to_vec_pretty(&report).unwrap_or_default();
                json.push(b'\n');
                let blob = crate::browser::blob(&json, "application/json").ok();
                crate::worker::post(
                    &Response::PushFinished {
                        report: Box::new(report),
                        unreachable,
                    },
                    blob.map(|b| Array::of1(&b)).as_ref(),
                );
            }
            Err(message) => post(&Response::PushFailed { message }),
        }
        CONTROL.with(|c| c.borrow_mut().running = false);
    });
}

/// Stops the running push at once: the request in flight is abandoned (the journal holds it,
/// and the next run looks it up before anything else, as after a crash).
pub fn stop() {
    let abort = CONTROL.with(|c| {
        let mut c = c.borrow_mut();
        c.stop = c.running;
        c.abort.take()
    });
    if let Some(abort) = abort {
        abort.abort();
    }
}

/// Hands the person's answer to the running undo.
pub fn confirm(yes: bool) {
    CONTROL.with(|c| c.borrow_mut().confirm = Some(yes));
}

/// Runs the session to its end; the report, and whether FusionAuth was unreachable.
async fn run(
    command: PushCommand,
    target: &Target,
    key: ApiKey,
    outputs: &[(OutputMeta, Blob)],
) -> Result<(PushReport, bool), String> {
    let base = base_url(&target.url, false).map_err(|e| e.to_string())?;
    let plan = read_plan(outputs)?;
    let (mut journal, state) = Journal::open(&journal_name(&plan, &base)).await?;
    // The run's marker, from crypto.getRandomValues.
    let mut seed = [0u8; 16];
    getrandom::getrandom(&mut seed)
        .map_err(|e| format!("this browser gives the page no secure random numbers: {e}"))?;
    let mut random = |buf: &mut [u8]| buf.copy_from_slice(&seed[..buf.len()]);
    let options = Options {
        url: base.clone(),
        run_id: new_run_id(&mut random),
        command: match command {
            PushCommand::Check | PushCommand::Send => Command::Push,
            PushCommand::Verify => Command::Verify,
            PushCommand::Undo => Command::Undo,
        },
        tenant_id: target.tenant_id.clone(),
        create_groups: target.create_groups,
        send_resets: target.send_resets,
        reset_rate: target.reset_rate,
        dry_run: command == PushCommand::Check,
        ..Options::default()
    };
    let mut session = Session::new(plan, options, state, now());
    let fetch = Fetch::new(base.clone(), key);
    // Methods FusionAuth has answered in this run: a request of another method that gets no
    // answer most likely never left the browser (CORS), and is not tried again.
    let mut answered: Vec<Method> = Vec::new();
    let mut unreachable = false;
    let mut progress = ProgressPoster::default();
    loop {
        if take(|c| std::mem::take(&mut c.stop)) {
            session.halt("stopped in the console: press the same button again to resume");
        }
        let action = session.next(now());
        journal.append(&session.take_events())?;
        progress.post(&session, false);
        match action {
            Action::Send(request) => {
                let abort = AbortController::new().map_err(crate::browser::js_message)?;
                let signal = abort.signal();
                take(|c| c.abort = Some(abort));
                let answer = fetch.send(&request, &signal).await;
                take(|c| c.abort = None);
                if take(|c| c.stop) {
                    // Stopped while the request was out: its answer is not taken, the
                    // journal announced it, and a later run looks it up.
                    continue;
                }
                match &answer {
                    Answer::NoAnswer { reason } if !answered.contains(&request.method) => {
                        unreachable = true;
                        session.halt(format!(
                            "FusionAuth at {base} did not answer {} from this page ({reason}): the \
                             browser blocked the request (CORS) or could not connect",
                            request.endpoint()
                        ));
                    }
                    Answer::NoAnswer { .. } => session.answer(answer, now()),
                    Answer::Status { .. } => {
                        answered.push(request.method);
                        session.answer(answer, now());
                    }
                }
                journal.append(&session.take_events())?;
            }
            Action::Wait { until } => {
                // In short naps, so that Stop is heard.
                sleep(until.saturating_sub(now()).min(250)).await;
            }
            Action::NeedFile(name) => {
                let bytes = output_bytes(outputs, &name)?;
                session.load_file(&name, bytes).map_err(|e| e.to_string())?;
            }
            Action::Confirm { users, groups } => {
                post(&Response::PushConfirm { users, groups });
                let yes = loop {
                    if let Some(yes) = take(|c| c.confirm.take()) {
                        break yes;
                    }
                    if take(|c| std::mem::take(&mut c.stop)) {
                        break false;
                    }
                    sleep(100).await;
                };
                session.confirm(yes);
            }
            Action::Finished => break,
        }
    }
    journal.append(&session.take_events())?;
    progress.post(&session, true);
    Ok((session.into_report(), unreachable))
}

/// The journal of this push: one per set of users and FusionAuth, so the same exports
/// pushed to the same FusionAuth resume, whatever the placeholder passwords.
fn journal_name(plan: &Plan, base: &str) -> String {
    format!("cognito-fusionauth-push-{}.jsonl", plan.run_key(base))
}

/// The plan of the conversion's files (as `push` reads a `convert --out` folder).
fn read_plan(outputs: &[(OutputMeta, Blob)]) -> Result<Plan, String> {
    let mut builder = PlanBuilder::new();
    let mut names: Vec<&str> = outputs
        .iter()
        .map(|(meta, _)| meta.name.as_str())
        .filter(|n| is_import_file(n))
        .collect();
    names.sort_unstable();
    if names.is_empty() {
        return Err("there are no import files to send: load exports first".into());
    }
    for name in names {
        builder
            .add_import_file(name, &output_bytes(outputs, name)?)
            .map_err(|e| e.to_string())?;
    }
    builder
        .add_links(&output_bytes(outputs, "links.json")?)
        .map_err(|e| e.to_string())?;
    builder
        .add_login_ids(&output_bytes(outputs, "login-ids.txt")?)
        .map_err(|e| e.to_string())?;
    builder
        .add_report(&output_bytes(outputs, "report.json")?)
        .map_err(|e| e.to_string())?;
    builder.finish().map_err(|e| e.to_string())
}

fn output_bytes(outputs: &[(OutputMeta, Blob)], name: &str) -> Result<Vec<u8>, String> {
    let (_, blob) = outputs
        .iter()
        .find(|(meta, _)| meta.name == name)
        .ok_or_else(|| format!("the conversion has no {name}"))?;
    blob_bytes(blob).map_err(|e| format!("{name} cannot be read back: {e}"))
}

/// Progress messages, at most one per [`PROGRESS_EVERY_MS`] unless the step changes.
#[derive(Default)]
struct ProgressPoster {
    step: &'static str,
    at: f64,
}

impl ProgressPoster {
    fn post(&mut self, session: &Session, last: bool) {
        let progress = session.progress();
        let now = js_sys::Date::now();
        if !last && progress.step == self.step && now - self.at < PROGRESS_EVERY_MS {
            return;
        }
        self.step = progress.step;
        self.at = now;
        post(&Response::PushProgress {
            step: progress.step.to_owned(),
            done: progress.done,
            total: progress.total,
            counts: Box::new(session.report().counts.clone()),
        });
    }
}

fn take<T>(f: impl FnOnce(&mut Control) -> T) -> T {
    CONTROL.with(|c| f(&mut c.borrow_mut()))
}

fn post(response: &Response) {
    crate::worker::post(response, None);
}

/// Milliseconds since the epoch: the clock the session is given.
fn now() -> u64 {
    js_sys::Date::now() as u64
}

async fn sleep(ms: u64) {
    let promise = Promise::new(&mut |resolve, _| {
        let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
        let _ = scope
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.min(60_000) as i32);
    });
    let _ = JsFuture::from(promise).await;
}
