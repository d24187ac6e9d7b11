//! The Web Worker: reads and converts the exports off the page's thread, a slice at a time,
//! so that a pool of millions of users neither freezes the page nor fills WASM memory. It
//! answers each [`Request`] with [`Response`]s, posting progress as it goes.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use cognito_fusionauth::{Mapper, RandomSource, Rules};
use js_sys::{Array, Uint8Array};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, MessageEvent};

use crate::conversion::{self, Converted, Step};
use crate::held::Held;
use crate::mapping::{self, InPlace};
use crate::mapping_workers::{how_many, MappingWorkers};
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
    /// The workers that map a conversion's users.
    mapping: Mapping,
    /// As a mapping worker: the rules of the units it is sent.
    rules: Option<Result<Mapper, String>>,
}

/// The mapping workers, as far as they go.
#[derive(Debug, Default)]
enum Mapping {
    /// Not started yet (no conversion ran, or one of them stopped).
    #[default]
    NotStarted,
    /// Running, kept between conversions.
    Running(MappingWorkers),
    /// They could not start: the worker maps the users itself, and does not try again (a
    /// browser that neither starts nor refuses them would cost every conversion the wait).
    Unavailable,
}

impl Mapping {
    /// Running workers, started if need be (again if one stopped).
    async fn ready(self) -> Self {
        match self {
            Self::Running(workers) if !workers.broken() => Self::Running(workers),
            Self::Unavailable => Self::Unavailable,
            _ => MappingWorkers::start(how_many())
                .await
                .map_or(Self::Unavailable, Self::Running),
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::default();
    /// The requests not yet handled, in order: one is handled at a time, even when it waits
    /// for the mapping workers.
    static QUEUE: RefCell<VecDeque<(Request, Array)>> = RefCell::default();
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Starts answering the page's messages (or, as a mapping worker, the worker's).
pub fn start() {
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let data = Array::from(&event.data());
        let extras = Array::from(&data.get(1));
        let request = data
            .get(0)
            .as_string()
            .and_then(|json| serde_json::from_str::<Request>(&json).ok());
        match request {
            // The person's control of a running push acts at once, never queued behind a
            // conversion a rule edit started.
            Some(Request::StopPush) => crate::delivery::stop(),
            Some(Request::ConfirmUndo { yes }) => crate::delivery::confirm(yes),
            Some(request) => {
                QUEUE.with(|q| q.borrow_mut().push_back((request, extras)));
                if !RUNNING.replace(true) {
                    wasm_bindgen_futures::spawn_local(run());
                }
            }
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

/// Handles the requests queued, one after the other.
async fn run() {
    while let Some((request, extras)) = QUEUE.with(|q| q.borrow_mut().pop_front()) {
        match request {
            Request::Convert { generation, rules } => convert(generation, &rules, None).await,
            Request::Load { generation, rules } => {
                let (added, refused) = files(&extras);
                if let Err(message) = refused {
                    post(&Response::Failed { message }, None);
                }
                convert(generation, &rules, Some(added)).await;
            }
            Request::LoadSample { generation, rules } => {
                let (name, bytes) = SAMPLE;
                match Blob::keep(bytes, "application/json") {
                    Ok(held) => {
                        convert(generation, &rules, Some(vec![(name.to_owned(), held)])).await;
                    }
                    // Nothing added; the page still hears of the pool and the conversion.
                    Err(e) => STATE.with(|s| {
                        let mut s = s.borrow_mut();
                        post(
                            &Response::Loaded {
                                files: s.pool.files(),
                            },
                            None,
                        );
                        answer(&mut s, generation, Err(e));
                    }),
                }
            }
            request => STATE.with(|s| handle(&mut s.borrow_mut(), request, &extras)),
        }
    }
    RUNNING.set(false);
}

/// Converts the pool with `rules`, first adding the files of a load (`added`), read once for
/// both: answers with the pool's files once every user is read (even after a failure), then
/// with the conversion. The users are mapped by the mapping workers (started at the first
/// conversion, again after one stopped), or on this thread when they cannot start.
async fn convert(generation: u64, rules: &Rules, added: Option<Vec<(String, Blob)>>) {
    let (mut pool, mut mappers) = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.outputs.clear();
        (std::mem::take(&mut s.pool), std::mem::take(&mut s.mapping))
    });
    let loading = added.is_some();
    let added = added.unwrap_or_default();
    let total = pool.users();
    let pass = match setup(rules) {
        Ok((mapper, random)) => {
            mappers = mappers.ready().await;
            let mut show = |s| show(s, total);
            let pass = match &mappers {
                Mapping::Running(workers) => {
                    workers.use_rules(rules);
                    mapping::read(&mut pool, added, mapper, workers, &mut show).await
                }
                Mapping::NotStarted | Mapping::Unavailable => {
                    let here = InPlace(mapper.clone());
                    mapping::read(&mut pool, added, mapper, &here, &mut show).await
                }
            };
            pass.map(|pass| (pass, random))
        }
        Err(e) => {
            for (name, held) in added {
                let stage = name.clone();
                pool.add(name, held, &mut |done| {
                    show(Step::Loading(stage.clone(), done), 0);
                });
            }
            Err(e)
        }
    };
    if loading {
        post(
            &Response::Loaded {
                files: pool.files(),
            },
            None,
        );
    }
    let total = pool.users();
    let converted =
        pass.and_then(|(pass, random)| conversion::write(pass, random, &mut |s| show(s, total)));
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.pool = pool;
        s.mapping = mappers;
        answer(&mut s, generation, converted);
    });
}

fn handle(state: &mut State, request: Request, extras: &Array) {
    let outcome = match request {
        // Handled by `run`.
        Request::Load { .. } | Request::LoadSample { .. } | Request::Convert { .. } => Ok(()),
        Request::Clear => {
            *state = State::default();
            post(&Response::Loaded { files: Vec::new() }, None);
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
        // Handled as they arrive (`start`).
        Request::StopPush | Request::ConfirmUndo { .. } => Ok(()),
        Request::UseRules { rules } => {
            state.rules = Some(rules.compile().map_err(|e| e.to_string()));
            Ok(())
        }
        Request::MapUnit { id, index } => {
            map(state, id, index, extras);
            Ok(())
        }
    };
    if let Err(message) = outcome {
        post(&Response::Failed { message }, None);
    }
}

/// As a mapping worker: maps the unit beside the request (packing its users for the search
/// when `index` is set) and sends it back.
fn map(state: &State, id: u64, index: bool, extras: &Array) {
    let unit = Uint8Array::new(&extras.get(0)).to_vec();
    let mapped = match &state.rules {
        Some(Ok(mapper)) => mapping::map_here(mapper, &unit, index),
        Some(Err(e)) => Err(e.clone()),
        None => Err("no rules to map with".to_owned()),
    };
    drop(unit);
    match mapped {
        Ok(mapped) => {
            let unit = Uint8Array::from(&mapped.unit[..]);
            let entries = Uint8Array::from(&mapped.entries[..]);
            let message = message(&Response::Mapped { id }, &Array::of2(&unit, &entries));
            let transfer = Array::of2(&unit.buffer(), &entries.buffer());
            // Posting a message whose buffers are ours to hand over cannot fail.
            let _ = scope().post_message_with_transfer(&message, &transfer);
        }
        Err(message) => post(&Response::MapFailed { id, message }, None),
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
    let message = message(response, &extras.cloned().unwrap_or_default());
    // Posting structured-cloneable values cannot fail.
    let _ = scope().post_message(&message);
}

/// A message as the protocol has it: the JSON of `response`, then `extras`.
fn message(response: &Response, extras: &Array) -> Array {
    // Serializing plain data cannot fail.
    let json = serde_json::to_string(response).unwrap_or_default();
    Array::of2(&JsValue::from(json), extras)
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}
