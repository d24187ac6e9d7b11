//! The Web Worker: reads and converts the exports off the page's thread, a slice at a time,
//! so that a pool of millions of users neither freezes the page nor fills WASM memory. It
//! answers each [`Request`] with [`Response`]s, posting progress as it goes.

use std::cell::RefCell;

use cognito_fusionauth::{Mapper, RandomSource, Rules};
use js_sys::Array;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, MessageEvent};

use crate::conversion::{self, Converted, Step};
use crate::held::Held;
use crate::pool::Pool;
use crate::protocol::{OutputMeta, Request, Response};
use crate::zip::ZipStream;

/// The demo pool behind "Load sample pool": the guide's users and synthetic ones that show
/// every finding.
const SAMPLE: (&str, &[u8]) = (
    "sample-pool.json",
    include_bytes!("../../tests/fixtures/sample-pool.json"),
);

/// What the worker holds between requests.
#[derive(Default)]
struct State {
    pool: Pool<Blob>,
    /// The latest conversion's files, kept as `Blob`s (outside WASM memory).
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
    let outcome = match request {
        Request::Load { generation, rules } => {
            let (added, refused) = files(extras);
            load(state, added, generation, &rules);
            refused
        }
        Request::LoadSample { generation, rules } => {
            let (name, bytes) = SAMPLE;
            match Blob::keep(bytes, "application/json") {
                Ok(held) => load(state, vec![(name.to_owned(), held)], generation, &rules),
                // Nothing added; the page still hears of the pool and the conversion.
                Err(e) => {
                    post(
                        &Response::Loaded {
                            files: state.pool.files(),
                        },
                        None,
                    );
                    answer(state, generation, Err(e));
                }
            }
            Ok(())
        }
        Request::Clear => {
            *state = State::default();
            post(&Response::Loaded { files: Vec::new() }, None);
            Ok(())
        }
        Request::Convert { generation, rules } => {
            state.outputs.clear();
            let total = state.pool.users();
            let converted = setup(&rules).and_then(|(mapper, random)| {
                conversion::convert(&mut state.pool, mapper, random, &mut |s| show(s, total))
            });
            answer(state, generation, converted);
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
}

/// The `File`s sent beside a load, with their names, and an error if something else was.
fn files(extras: &Array) -> (Vec<(String, Blob)>, Result<(), String>) {
    let mut refused = Ok(());
    let mut added = Vec::new();
    for file in extras.iter() {
        match file.dyn_into::<File>() {
            Ok(file) => added.push((file.name(), file.into())),
            Err(_) => refused = Err("the page sent something that is not a file".to_owned()),
        }
    }
    (added, refused)
}

/// Adds `added` to the pool and converts the pool with `rules`, reading the new files once
/// for both: answers with the pool's files once every user is read (even after a failure),
/// then with the conversion.
fn load(state: &mut State, added: Vec<(String, Blob)>, generation: u64, rules: &Rules) {
    state.outputs.clear();
    let total = state.pool.users();
    let pass = match setup(rules) {
        Ok((mapper, random)) => {
            conversion::read(&mut state.pool, added, mapper, &mut |s| show(s, total))
                .map(|pass| (pass, random))
        }
        Err(e) => {
            for (name, held) in added {
                let stage = name.clone();
                state.pool.add(name, held, &mut |done| {
                    show(Step::Loading(stage.clone(), done), 0);
                });
            }
            Err(e)
        }
    };
    post(
        &Response::Loaded {
            files: state.pool.files(),
        },
        None,
    );
    let total = state.pool.users();
    let converted =
        pass.and_then(|(pass, random)| conversion::write(pass, random, &mut |s| show(s, total)));
    answer(state, generation, converted);
}

/// The compiled rules, and placeholder passwords from a CSPRNG seeded by the browser.
fn setup(rules: &Rules) -> Result<(Mapper, impl RandomSource + use<>), String> {
    let mapper = rules.compile().map_err(|e| e.to_string())?;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| {
        format!("no cryptographic random source for the placeholder passwords: {e}")
    })?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    Ok((mapper, move |buf: &mut [u8]| rng.fill_bytes(buf)))
}

/// Shows a conversion's step as progress (`total`: the users of the files loaded before).
fn show(step: Step, total: u64) {
    match step {
        Step::Loading(name, done) => progress(&format!("Reading {name}"), done, 0),
        Step::Read(done) => progress("Converting", done, total),
        Step::Checking => progress("Checking duplicates across all users", 0, 0),
        Step::Writing(done, total) => progress("Writing files", done, total),
    }
}

/// Keeps a conversion's files and answers the page (the earlier files were let go when it
/// started, and the page drops them too when it fails).
fn answer(state: &mut State, generation: u64, converted: Result<Converted<Blob>, String>) {
    let converted = match converted {
        Ok(converted) => converted,
        Err(message) => {
            state.outputs.clear();
            post(
                &Response::ConvertFailed {
                    generation,
                    message,
                },
                None,
            );
            return;
        }
    };
    state.outputs = converted.outputs;
    let outputs: Vec<OutputMeta> = state.outputs.iter().map(|(meta, _)| meta.clone()).collect();
    let blobs: Array = state
        .outputs
        .iter()
        .map(|(_, blob)| JsValue::from(blob))
        .collect();
    post(
        &Response::Converted {
            generation,
            digest: Box::new(converted.digest),
            outputs,
        },
        Some(&blobs),
    );
}

/// Packs every output file into one .zip, a slice at a time: the archive is gathered as
/// `Blob`s of about a mebibyte, so WASM memory holds a slice and a piece whatever the size.
fn zip(state: &State) -> Result<(), String> {
    const ZIP: &str = "application/zip";
    const MB: u64 = 1_000_000;
    let total: u64 = state.outputs.iter().map(|(meta, _)| meta.bytes).sum();
    let mut parts: Vec<Blob> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut out = |bytes: &[u8]| -> Result<(), String> {
        pending.extend_from_slice(bytes);
        if pending.len() >= 1 << 20 {
            parts.push(Blob::keep(&pending, ZIP)?);
            pending.clear();
        }
        Ok(())
    };
    let mut archive = ZipStream::new(&mut out);
    let mut done = 0u64;
    for (meta, blob) in &state.outputs {
        archive
            .file(&meta.name, meta.bytes, |each| {
                blob.slices(&mut |slice| {
                    each(slice)?;
                    done += slice.len() as u64;
                    progress("Packing the .zip (MB)", done / MB, total / MB);
                    Ok(true)
                })
            })
            .map_err(|e| format!("the .zip could not be built: {e}"))?;
    }
    let bytes = archive
        .finish()
        .map_err(|e| format!("the .zip could not be built: {e}"))?;
    parts.push(Blob::keep(&pending, ZIP)?);
    let zipped = Blob::join(&parts, ZIP)?;
    post(&Response::Zipped { bytes }, Some(&Array::of1(&zipped)));
    Ok(())
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
