//! The worker's mapping workers: more instances of the worker program, which the worker
//! starts to map a conversion's units side by side ([`Mappers`]; how many: [`how_many`]).
//! They share no memory: each unit goes to one as a transferred `Uint8Array` and comes back
//! mapped the same way. One that stops fails the units waiting on it, never leaves them
//! waiting.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use cognito_fusionauth::Rules;
use futures::channel::oneshot;
use futures::future::{select, Either, LocalBoxFuture};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, MessageEvent, Worker, WorkerGlobalScope};

use crate::browser::{js_message, worker_error};
use crate::client::WORKER_URL;
use crate::mapping::{Mapped, Mappers};
use crate::protocol::{Request, Response};

/// A mapped unit, or why it is not.
type Answer = Result<Mapped, String>;

/// The units waiting for an answer, by id, and why the workers broke, if they did.
#[derive(Default)]
struct Waiting {
    units: HashMap<u64, oneshot::Sender<Answer>>,
    broken: Option<String>,
}

impl Waiting {
    /// A worker stopped: every unit waiting, and every later one, fails with `why`.
    fn break_all(&mut self, why: String) {
        self.broken.get_or_insert(why);
        // Dropping the senders ends their units' waits.
        self.units.clear();
    }

    fn why(&self) -> String {
        self.broken
            .clone()
            .unwrap_or_else(|| "a mapping worker stopped".to_owned())
    }
}

/// The handlers a mapping worker's messages and errors go to (kept as long as it runs).
type Handlers = (Closure<dyn FnMut(MessageEvent)>, Closure<dyn FnMut(Event)>);

/// The running mapping workers.
pub struct MappingWorkers {
    workers: Vec<(Worker, Handlers)>,
    waiting: Rc<RefCell<Waiting>>,
    next_id: Cell<u64>,
}

impl std::fmt::Debug for MappingWorkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappingWorkers")
            .field("workers", &self.workers.len())
            .field("broken", &self.broken())
            .finish_non_exhaustive()
    }
}

impl Drop for MappingWorkers {
    fn drop(&mut self) {
        for (worker, _) in &self.workers {
            worker.terminate();
        }
    }
}

/// How many mapping workers to start: one per core beyond this worker's, at least two (on
/// two cores, a million users converted again in 12.9 s with two, 14.9 s with one: this
/// worker's own share leaves room) and at most four (this worker's reading and cutting keeps
/// up with about four, and each holds about 50 MB of WASM memory).
pub fn how_many() -> usize {
    let cores = js_sys::global()
        .dyn_into::<WorkerGlobalScope>()
        .map_or(2.0, |scope| scope.navigator().hardware_concurrency());
    (cores as usize).saturating_sub(1).clamp(2, 4)
}

impl MappingWorkers {
    /// Starts `n` mapping workers and waits until each runs.
    ///
    /// # Errors
    /// When the browser will not start one, or one fails as it starts.
    pub async fn start(n: usize) -> Result<Self, String> {
        let waiting = Rc::new(RefCell::new(Waiting::default()));
        let mut workers = Vec::with_capacity(n);
        let mut started = Vec::with_capacity(n);
        for _ in 0..n {
            let worker = Worker::new(WORKER_URL).map_err(js_message)?;
            let (ready, running) = oneshot::channel::<()>();
            let handlers = handlers(&waiting, ready);
            worker.set_onmessage(Some(handlers.0.as_ref().unchecked_ref()));
            worker.set_onerror(Some(handlers.1.as_ref().unchecked_ref()));
            workers.push((worker, handlers));
            started.push(running);
        }
        let workers = Self {
            workers,
            waiting,
            next_id: Cell::new(0),
        };
        // One that neither runs nor fails (a browser that does not say) is given up on too.
        let mut deadline = after(START_WITHIN_MS);
        for running in started {
            match select(running, &mut deadline).await {
                Either::Left((Ok(()), _)) => {}
                Either::Left((Err(_), _)) => {
                    return Err(format!(
                        "a mapping worker could not start: {}",
                        workers.waiting.borrow().why()
                    ))
                }
                Either::Right(_) => return Err("a mapping worker did not start in time".into()),
            }
        }
        Ok(workers)
    }

    /// Whether a worker has stopped (these workers map nothing more).
    pub fn broken(&self) -> bool {
        self.waiting.borrow().broken.is_some()
    }

    /// Tells every worker the rules of the conversion that follows.
    pub fn use_rules(&self, rules: &Rules) {
        let request = Request::UseRules {
            rules: Box::new(rules.clone()),
        };
        for (worker, _) in &self.workers {
            if let Err(e) = worker.post_message(&message(&request, &Array::new())) {
                self.waiting.borrow_mut().break_all(js_message(e));
            }
        }
    }
}

/// How long the mapping workers have to start (they take a fraction of a second).
const START_WITHIN_MS: i32 = 10_000;

/// A future that ends after `ms` milliseconds.
fn after(ms: i32) -> JsFuture {
    JsFuture::from(js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(scope) = js_sys::global().dyn_into::<WorkerGlobalScope>() {
            // A timer that cannot be set leaves the wait to the workers' own answers.
            let _ = scope.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    }))
}

/// A message as the worker's protocol has it: the JSON, then what travels beside.
fn message(request: &Request, extras: &Array) -> JsValue {
    // Serializing plain data cannot fail.
    let json = serde_json::to_string(request).unwrap_or_default();
    Array::of2(&JsValue::from(json), extras).into()
}

/// A mapping worker's handlers: its first `Ready` sends on `ready`, its answers end the
/// units waiting, an error breaks them all.
fn handlers(waiting: &Rc<RefCell<Waiting>>, ready: oneshot::Sender<()>) -> Handlers {
    let mut ready = Some(ready);
    let answers = waiting.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = Array::from(&event.data());
        let response = data
            .get(0)
            .as_string()
            .and_then(|json| serde_json::from_str::<Response>(&json).ok());
        let (id, answer) = match response {
            Some(Response::Ready) => {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(());
                }
                return;
            }
            Some(Response::Mapped { id }) => {
                let beside = Array::from(&data.get(1));
                let bytes = |n| Uint8Array::new(&beside.get(n)).to_vec();
                (
                    id,
                    Ok(Mapped {
                        unit: bytes(0),
                        entries: bytes(1),
                    }),
                )
            }
            Some(Response::MapFailed { id, message }) => (id, Err(message)),
            _ => return,
        };
        if let Some(unit) = answers.borrow_mut().units.remove(&id) {
            let _ = unit.send(answer);
        }
    });
    let broken = waiting.clone();
    let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
        event.prevent_default();
        let why = format!("a mapping worker stopped: {}", worker_error(&event));
        broken.borrow_mut().break_all(why);
    });
    (on_message, on_error)
}

impl Mappers for MappingWorkers {
    fn map(&self, unit: Vec<u8>, index: bool) -> LocalBoxFuture<'static, Answer> {
        if self.broken() {
            let why = self.waiting.borrow().why();
            return Box::pin(async move { Err(why) });
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let (send, receive) = oneshot::channel();
        self.waiting.borrow_mut().units.insert(id, send);
        let bytes = Uint8Array::from(&unit[..]);
        drop(unit);
        let (worker, _) = &self.workers[id as usize % self.workers.len()];
        let sent = worker.post_message_with_transfer(
            &message(&Request::MapUnit { id, index }, &Array::of1(&bytes)),
            &Array::of1(&bytes.buffer()),
        );
        if let Err(e) = sent {
            self.waiting.borrow_mut().break_all(js_message(e));
        }
        let waiting = self.waiting.clone();
        Box::pin(async move {
            match receive.await {
                Ok(answer) => answer,
                Err(_) => Err(waiting.borrow().why()),
            }
        })
    }

    fn in_flight(&self) -> usize {
        // One being mapped and two waiting at each worker.
        3 * self.workers.len()
    }
}
