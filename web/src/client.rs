//! The page's side of the worker: starting it, sending requests, and turning its answers
//! into the console's signals.
//!
//! Conversions never pile up: while one runs, rule edits only mark that another is due, and
//! it starts with the latest rules when the running one ends. Loading files starts a
//! conversion at once (the worker reads the new files once for both), which supersedes the
//! one running.

use std::cell::RefCell;

use cognito_fusionauth::Rules;
use js_sys::Array;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, Event, MessageEvent, Url, Worker};

use crate::protocol::{users_in, OutputMeta, Request, Response};
use crate::state::{Console, Download, Progress};

/// The worker's loader script (web/worker-loader.js), which Trunk copies next to index.html
/// (relative, so the console works under any S3 prefix).
pub(crate) const WORKER_URL: &str = "./worker-loader.js";

/// The name "Download all" saves under.
pub const ZIP_NAME: &str = "cognito-fusionauth.zip";

/// The name a push's report saves under (the command line's `DIR/push/report.json`).
pub const PUSH_REPORT_NAME: &str = "push-report.json";

#[derive(Default)]
struct Link {
    worker: Option<Worker>,
    /// Messages sent before the worker's WASM is running would be lost; they wait here.
    ready: bool,
    queued: Vec<(Request, Array)>,
    generation: u64,
    converting: bool,
    convert_again: bool,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::default();
}

/// Starts the worker; its answers update `console`.
pub fn start(console: Console) {
    let worker = match Worker::new(WORKER_URL) {
        Ok(worker) => worker,
        Err(e) => {
            console
                .failure
                .set(Some(format!("the worker could not start: {e:?}")));
            return;
        }
    };
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = Array::from(&event.data());
        let extras = Array::from(&data.get(1));
        match data
            .get(0)
            .as_string()
            .map(|json| serde_json::from_str::<Response>(&json))
        {
            Some(Ok(response)) => receive(console, response, &extras),
            _ => console.failure.set(Some(
                "the worker sent a message the page does not know".into(),
            )),
        }
    });
    worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // A worker that dies (the browser out of memory) says so, and the page stops waiting for it.
    let onerror = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        event.prevent_default();
        console.progress.set(None);
        console.converting.set(false);
        console.failure.set(Some(format!(
            "the background worker stopped ({}). If the browser ran out of memory, close other tabs or \
             use the command line, which converts pools of any size. Reload the page to start again.",
            crate::browser::worker_error(&event)
        )));
    });
    worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
    // The handlers live as long as the page.
    onmessage.forget();
    onerror.forget();
    LINK.with(|l| l.borrow_mut().worker = Some(worker));
}

/// Sends `request`, with `extras` (files) beside it.
pub fn send(request: Request, extras: Array) {
    LINK.with(|l| {
        let mut link = l.borrow_mut();
        match (&link.worker, link.ready) {
            (Some(worker), true) => post(worker, &request, &extras),
            _ => link.queued.push((request, extras)),
        }
    });
}

/// Converts the pool with the current rules, now or when the running conversion ends.
pub fn convert(console: Console) {
    // While files load, the page does not know their users yet: their conversion runs again
    // with these rules once it ends.
    let busy = LINK.with(|l| {
        let mut link = l.borrow_mut();
        link.convert_again |= link.converting;
        link.converting
    });
    if busy {
        return;
    }
    if console.files.with_untracked(|f| users_in(f)) == 0 {
        console.digest.set(None);
        replace_downloads(console, Vec::new());
        return;
    }
    let (generation, rules) = start_conversion(console);
    send(Request::Convert { generation, rules }, Array::new());
}

/// Starts the next conversion (superseding any running): its generation and rules.
fn start_conversion(console: Console) -> (u64, Box<Rules>) {
    let generation = LINK.with(|l| {
        let mut link = l.borrow_mut();
        link.converting = true;
        // This conversion takes the latest rules.
        link.convert_again = false;
        link.generation += 1;
        link.generation
    });
    console.converting.set(true);
    (generation, Box::new(console.rules.get_untracked()))
}

/// Loads `files` (the sample pool when none) and converts the pool with the current rules:
/// the worker reads the new files once for both. It answers with the pool's files once every
/// user is read, then with the conversion, which supersedes one still running.
pub fn load(console: Console, files: Option<Array>) {
    let (generation, rules) = start_conversion(console);
    match files {
        Some(files) => send(Request::Load { generation, rules }, files),
        None => send(Request::LoadSample { generation, rules }, Array::new()),
    }
}

/// Runs the preview's search for the current query.
pub fn search(console: Console) {
    send(
        Request::Search {
            query: console.query.get_untracked(),
        },
        Array::new(),
    );
}

fn receive(console: Console, response: Response, extras: &Array) {
    let push = console.push;
    if !matches!(
        response,
        Response::Progress { .. }
            | Response::PushProgress { .. }
            | Response::PushConfirm { .. }
            | Response::PushFinished { .. }
            | Response::PushFailed { .. }
    ) {
        console.progress.set(None);
    }
    match response {
        Response::Ready => flush(),
        Response::Progress { stage, done, total } => {
            console.progress.set(Some(Progress { stage, done, total }))
        }
        Response::Loaded { files } => {
            let empty = users_in(&files) == 0;
            console.files.set(files);
            if empty {
                // Nothing to convert: no verdict, no files.
                console.record.set(None);
                console.digest.set(None);
                replace_downloads(console, Vec::new());
            }
            search(console);
        }
        Response::Converted {
            generation,
            digest,
            outputs,
        } => {
            // A pool with no user read has no verdict (its files show their errors).
            let users = console.files.with_untracked(|f| users_in(f));
            if generation == LINK.with(|l| l.borrow().generation) && users > 0 {
                console.digest.set(Some(*digest));
                replace_downloads(console, downloads(&outputs, extras));
                console.failure.set(None);
            }
            conversion_ended(console, generation);
        }
        Response::ConvertFailed {
            generation,
            message,
        } => {
            // The worker let the earlier files go when this conversion started: none are
            // offered (or sent) until one succeeds. (One a load superseded has nothing to say.)
            if generation == LINK.with(|l| l.borrow().generation) {
                console.digest.set(None);
                replace_downloads(console, Vec::new());
                console.failure.set(Some(message));
            }
            conversion_ended(console, generation);
        }
        Response::Found { query, users } => {
            if query == console.query.get_untracked() {
                if console.record.with_untracked(Option::is_none) {
                    if let Some(first) = users.first() {
                        send(
                            Request::Record {
                                file: first.file,
                                index: first.index,
                            },
                            Array::new(),
                        );
                    }
                }
                console.hits.set(users);
            }
        }
        Response::Record { user, json } => console.record.set(Some((user, json))),
        Response::Zipped { bytes } => {
            let meta = OutputMeta {
                name: ZIP_NAME.into(),
                bytes,
            };
            if let Some(zip) = downloads(&[meta], extras).pop() {
                crate::browser::download(&zip.url, &zip.name);
                if let Some(old) = console.zip.get_untracked() {
                    revoke(&old);
                }
                console.zip.set(Some(zip));
            }
        }
        Response::PushProgress {
            step,
            done,
            total,
            counts,
        } => push.on_progress(step, done, total, *counts),
        Response::PushConfirm { users, groups } => push.confirm.set(Some((users, groups))),
        Response::PushFinished {
            report,
            unreachable,
        } => {
            let meta = OutputMeta {
                name: PUSH_REPORT_NAME.into(),
                bytes: 0,
            };
            let download = downloads(&[meta], extras).pop();
            push.on_finished(*report, unreachable, download);
        }
        Response::PushFailed { message } => push.on_failed(message),
        Response::Failed { message } => console.failure.set(Some(message)),
        // A mapping worker's answers go to the worker that started it, never to the page.
        Response::Mapped { .. } | Response::MapFailed { .. } => {}
    }
}

fn flush() {
    LINK.with(|l| {
        let mut link = l.borrow_mut();
        link.ready = true;
        let queued = std::mem::take(&mut link.queued);
        if let Some(worker) = &link.worker {
            for (request, extras) in queued {
                post(worker, &request, &extras);
            }
        }
    });
}

/// After conversion `generation` ends: the next one if rules changed meanwhile, unless a
/// later conversion (a load's) is already on its way.
fn conversion_ended(console: Console, generation: u64) {
    let again = LINK.with(|l| {
        let mut link = l.borrow_mut();
        if generation != link.generation {
            return None;
        }
        link.converting = false;
        Some(std::mem::take(&mut link.convert_again))
    });
    let Some(again) = again else { return };
    if again {
        convert(console);
    } else {
        console.converting.set(false);
    }
}

fn post(worker: &Worker, request: &Request, extras: &Array) {
    // Serializing plain data cannot fail, nor posting files and strings.
    let json = serde_json::to_string(request).unwrap_or_default();
    let _ = worker.post_message(&Array::of2(&JsValue::from(json), extras));
}

/// `blob:` URLs for the files that came beside `outputs`.
fn downloads(outputs: &[OutputMeta], blobs: &Array) -> Vec<Download> {
    outputs
        .iter()
        .zip(blobs.iter())
        .filter_map(|(meta, blob)| {
            let url = Url::create_object_url_with_blob(blob.dyn_ref::<Blob>()?).ok()?;
            Some(Download {
                name: meta.name.clone(),
                bytes: meta.bytes,
                url,
            })
        })
        .collect()
}

fn replace_downloads(console: Console, new: Vec<Download>) {
    for old in console
        .downloads
        .get_untracked()
        .iter()
        .chain(console.zip.get_untracked().iter())
    {
        revoke(old);
    }
    console.zip.set(None);
    console.downloads.set(new);
}

/// Frees a download's `blob:` URL.
pub fn revoke(download: &Download) {
    let _ = Url::revoke_object_url(&download.url);
}
