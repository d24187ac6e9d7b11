//! The Web Worker: reads and converts the exports off the page's thread, so that a
//! million-user pool never freezes the page. It answers each [`Request`] with
//! [`Response`]s, posting progress as it goes.

use std::cell::RefCell;

use cognito_fusionauth::{Conversion, Rules};
use js_sys::Array;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, MessageEvent};

use crate::browser::{blob_bytes, js_message};
use crate::digest::Digest;
use crate::pool::{Pool, Step};
use crate::protocol::{OutputMeta, Request, Response};

/// The demo pool behind "Load sample pool": the guide's users and synthetic ones that show
/// every finding.
const SAMPLE: (&str, &[u8]) = (
    "sample-pool.json",
    include_bytes!("../../tests/fixtures/sample-pool.json"),
);

/// What the worker holds between requests.
#[derive(Default)]
struct State {
    pool: Pool,
    /// The latest conversion's files, kept as `Blob`s (outside WASM memory) for the .zip.
    outputs: Vec<(OutputMeta, Blob)>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
}

/// Starts answering the page's messages.
pub fn start() {
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = Array::from(&event.data());
        let extras = Array::from(&data.get(1));
        let request = data
            .get(0)
            .as_string()
            .and_then(|json| serde_json::from_str::<Request>(&json).ok());
        match request {
            Some(request) => STATE.with(|s| handle(&mut s.borrow_mut(), request, &extras)),
            None => post(
                &Response::Failed {
                    message: "the worker got a message it does not know".into(),
                },
                None,
            ),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    onmessage.forget();
    post(&Response::Ready, None);
}

fn handle(state: &mut State, request: Request, extras: &Array) {
    // Loads and clears answer with the pool's files (even after a failure); the rest answer
    // for themselves.
    let changes_files = matches!(
        request,
        Request::Load | Request::LoadSample | Request::Clear
    );
    let outcome = match request {
        Request::Load => load(state, extras),
        Request::LoadSample => {
            let (name, bytes) = SAMPLE;
            add(state, name.to_owned(), bytes.to_vec());
            Ok(())
        }
        Request::Clear => {
            *state = State::default();
            Ok(())
        }
        Request::Convert { generation, rules } => {
            if let Err(message) = convert(state, generation, &rules) {
                post(
                    &Response::ConvertFailed {
                        generation,
                        message,
                    },
                    None,
                );
            }
            Ok(())
        }
        Request::Search { query } => {
            let users = state.pool.search(&query);
            post(&Response::Found { query, users }, None);
            Ok(())
        }
        Request::Record { file, index } => state.pool.record(file, index).map(|(user, json)| {
            post(&Response::Record { user, json }, None);
        }),
        Request::Zip => zip(state),
        Request::Push {
            command,
            target,
            key,
        } => {
            crate::delivery::start(command, target, key, state.outputs.clone());
            Ok(())
        }
        Request::StopPush => {
            crate::delivery::stop();
            Ok(())
        }
        Request::ConfirmUndo { yes } => {
            crate::delivery::confirm(yes);
            Ok(())
        }
    };
    if let Err(message) = outcome {
        post(&Response::Failed { message }, None);
    }
    if changes_files {
        post(
            &Response::Loaded {
                files: state.pool.files(),
            },
            None,
        );
    }
}

fn load(state: &mut State, files: &Array) -> Result<(), String> {
    for file in files.iter() {
        let file: File = file
            .dyn_into()
            .map_err(|_| "the page sent something that is not a file".to_owned())?;
        let bytes =
            blob_bytes(&file).map_err(|e| format!("{}: cannot be read: {e}", file.name()))?;
        add(state, file.name(), bytes);
    }
    Ok(())
}

fn add(state: &mut State, name: String, bytes: Vec<u8>) {
    let stage = format!("Reading {name}");
    state
        .pool
        .add(name, bytes, &mut |done| progress(&stage, done, 0));
}

fn convert(state: &mut State, generation: u64, rules: &Rules) -> Result<(), String> {
    let mapper = rules.compile().map_err(|e| e.to_string())?;
    let total = state.pool.users();
    let conversion = state.pool.convert(&mapper, &mut |step| match step {
        Step::Read(done) => progress("Converting", done, total),
        Step::Checking => progress("Checking duplicates across all users", 0, 0),
    });
    let digest = Box::new(Digest::new(conversion.report()));
    state.outputs = write_outputs(&conversion)?;
    let outputs: Vec<OutputMeta> = state.outputs.iter().map(|(meta, _)| meta.clone()).collect();
    let blobs: Array = state
        .outputs
        .iter()
        .map(|(_, blob)| JsValue::from(blob))
        .collect();
    post(
        &Response::Converted {
            generation,
            digest,
            outputs,
        },
        Some(&blobs),
    );
    Ok(())
}

/// Writes the output files into `Blob`s, one at a time, so that only one file's text is in
/// WASM memory at once.
fn write_outputs(conversion: &Conversion) -> Result<Vec<(OutputMeta, Blob)>, String> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| {
        format!("no cryptographic random source for the placeholder passwords: {e}")
    })?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut random = |buf: &mut [u8]| rng.fill_bytes(buf);
    let summary = &conversion.report().summary;
    // The import chunks, then login-ids.txt, links.json and report.json; only the report when blocked.
    let total = if summary.blocked {
        1
    } else {
        summary.chunks + 3
    };
    let mut outputs = Vec::new();
    for file in conversion.files(&mut random) {
        progress("Writing files", outputs.len() as u64, total);
        let blob = blob(&file.content, mime_type(&file.name))?;
        outputs.push((
            OutputMeta {
                bytes: file.content.len() as u64,
                name: file.name,
            },
            blob,
        ));
    }
    Ok(outputs)
}

fn zip(state: &State) -> Result<(), String> {
    let total = state.outputs.len() as u64;
    let mut failure = None;
    let files = state
        .outputs
        .iter()
        .enumerate()
        .map_while(|(i, (meta, blob))| {
            progress("Packing the .zip", i as u64, total);
            match blob_bytes(blob) {
                Ok(bytes) => Some((meta.name.clone(), bytes)),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            }
        });
    let bytes = crate::zip::pack(files).map_err(|e| format!("the .zip could not be built: {e}"))?;
    if let Some(e) = failure {
        return Err(format!(
            "an output file could not be read back for the .zip: {e}"
        ));
    }
    let zipped = blob(&bytes, "application/zip")?;
    post(
        &Response::Zipped {
            bytes: bytes.len() as u64,
        },
        Some(&Array::of1(&zipped)),
    );
    Ok(())
}

fn blob(content: &[u8], mime: &str) -> Result<Blob, String> {
    crate::browser::blob(content, mime).map_err(js_message)
}

fn mime_type(name: &str) -> &'static str {
    if name.ends_with(".json") {
        "application/json"
    } else {
        "text/plain;charset=utf-8"
    }
}

fn progress(stage: &str, done: u64, total: u64) {
    post(
        &Response::Progress {
            stage: stage.to_owned(),
            done,
            total,
        },
        None,
    );
}

/// Posts `response` to the page, with `extras` (`Blob`s) beside it.
pub(crate) fn post(response: &Response, extras: Option<&Array>) {
    // Serializing plain data cannot fail.
    let json = serde_json::to_string(response).unwrap_or_default();
    let message = Array::of2(
        &JsValue::from(json),
        &extras.map_or_else(|| Array::new().into(), JsValue::from),
    );
    // Posting structured-cloneable values cannot fail.
    let _ = scope().post_message(&message);
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}
