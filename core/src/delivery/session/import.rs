//! Import: one request at a time, each import file's bytes sent as they are. A 200 has no
//! body and no ids, so after any other answer — or none — the batch's ids are looked up:
//! users that are there are done, and only the rest is sent again. A refused batch is
//! narrowed down (re-sent with `validateDbConstraints` for field errors, then split) until
//! the refused users are isolated; every other user still goes in.

use std::ops::Range;
use std::sync::Arc;

use super::{backoff, found_users, Flow, Purpose, Resend, Session, Stop, UserState, SEARCH_CHUNK};
use crate::delivery::http::{Answer, ApiErrors, Method, Request};
use crate::delivery::journal::Event;
use crate::delivery::plan::{fingerprint, user_spans};
use crate::delivery::stamp::stamp_user;

/// Bytes the marker adds to a user: `"cognitoFusionauthRun":"<36>",` and room for `"data":{}`.
const MARKER_LEN: usize = 72;

/// Users sent in one import request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Batch {
    users: Vec<usize>,
    validate: bool,
}

/// The batch whose request failed: its ids are being looked up.
#[derive(Debug)]
struct Lookup {
    batch: Batch,
    failure: Answer,
    next: usize,
    missing: Vec<usize>,
}

#[derive(Debug)]
struct Loaded {
    file: usize,
    bytes: Arc<[u8]>,
    /// Each user's bytes, found the first time a batch is less than the whole file.
    spans: Option<Vec<Range<usize>>>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    loaded: Option<Loaded>,
    /// Batches to send, the next one last.
    queue: Vec<Batch>,
    current: Option<Batch>,
    lookup: Option<Lookup>,
    /// Failed attempts of the batch at the top of the queue (transient failures).
    attempts: u32,
    not_before: u64,
    done: u64,
}

impl Session {
    pub(super) fn import(&mut self) -> Result<Flow, Stop> {
        loop {
            self.progress = (self.import.done, self.report.counts.new);
            if let Some(flow) = self.import_lookup()? {
                return Ok(flow);
            }
            if self.import.queue.is_empty() && !self.queue_next_file()? {
                return Ok(Flow::Next);
            }
            if self.import.queue.is_empty() {
                let name = self.plan.files[self.cursor].name.clone();
                return Ok(Flow::NeedFile(name));
            }
            if self.now < self.import.not_before {
                return Ok(Flow::Wait(self.import.not_before));
            }
            let Some(mut batch) = self.import.queue.pop() else {
                continue;
            };
            batch.users.retain(|&i| self.users[i] == UserState::New);
            if batch.users.is_empty() {
                continue;
            }
            let body = self.import_body(&batch)?;
            self.record(Event::Sending {
                ids: batch
                    .users
                    .iter()
                    .map(|&i| self.plan.users[i].id.to_string())
                    .collect(),
            });
            self.report.counts.import_requests += 1;
            self.import.current = Some(batch);
            let request = Request::new(Method::Post, "/api/user/import")
                .bytes(body)
                .long();
            return Ok(Flow::Send(Purpose::Import, request, Resend::Never));
        }
    }

    /// Queues the batches of the next file with users to send; false when no file is left.
    /// Leaves the queue empty (and the cursor on the file) when the file must be loaded.
    fn queue_next_file(&mut self) -> Result<bool, Stop> {
        while let Some(file) = self.plan.files.get(self.cursor) {
            let pending: Vec<usize> = file
                .users
                .clone()
                .filter(|&i| self.users[i] == UserState::New)
                .collect();
            if pending.is_empty() {
                self.cursor += 1;
                continue;
            }
            if self.import.loaded.as_ref().map(|l| l.file) != Some(self.cursor) {
                return Ok(true);
            }
            let size = self.options.batch_size.unwrap_or(usize::MAX).max(1);
            let batches: Vec<Batch> = pending
                .chunks(size)
                .map(|users| Batch {
                    users: users.to_vec(),
                    validate: false,
                })
                .collect();
            self.import.queue.extend(batches.into_iter().rev());
            self.cursor += 1;
            return Ok(true);
        }
        self.import.loaded = None;
        Ok(false)
    }

    /// The batch's users cut from the file, each with the run's marker written into its
    /// `data` ([`stamp_user`]), nothing else re-serialized.
    fn import_body(&mut self, batch: &Batch) -> Result<Arc<[u8]>, Stop> {
        let Some(loaded) = &mut self.import.loaded else {
            return Ok(Arc::from(&b""[..]));
        };
        let file = &self.plan.files[loaded.file];
        if loaded.spans.is_none() {
            let spans = user_spans(&file.name, &loaded.bytes).map_err(|e| Stop(e.to_string()))?;
            loaded.spans = Some(spans);
        }
        let spans = loaded.spans.as_deref().unwrap_or_default();
        let first = file.users.start;
        let size: usize = batch
            .users
            .iter()
            .map(|&i| spans[i - first].len() + MARKER_LEN)
            .sum();
        let mut body = Vec::with_capacity(size + 48);
        body.extend_from_slice(b"{\"users\":[");
        for (n, &i) in batch.users.iter().enumerate() {
            if n > 0 {
                body.push(b',');
            }
            stamp_user(
                &loaded.bytes[spans[i - first].clone()],
                &self.run,
                &mut body,
            )
            .map_err(|e| {
                Stop(format!(
                    "{} user {}: {e}",
                    file.name,
                    self.plan.user(i).index() + 1
                ))
            })?;
        }
        body.extend_from_slice(b"]");
        if batch.validate {
            body.extend_from_slice(b",\"validateDbConstraints\":true");
        }
        body.extend_from_slice(b"}");
        Ok(body.into())
    }

    /// The bytes of the import file the last [`Action::NeedFile`](super::Action::NeedFile)
    /// named.
    ///
    /// # Errors
    /// The file is not the Import API request it was when the plan was read.
    pub fn load_file(&mut self, name: &str, bytes: Vec<u8>) -> crate::Result<()> {
        let file = self.cursor;
        let expected = self
            .plan
            .files
            .get(file)
            .map(|f| (f.name.as_str(), f.fingerprint));
        if expected != Some((name, fingerprint(&bytes))) {
            return Err(crate::Error::argument(format!(
                "{name} changed since the push started: run it again"
            )));
        }
        self.import.loaded = Some(Loaded {
            file,
            bytes: bytes.into(),
            spans: None,
        });
        Ok(())
    }

    /// The next look-up request of a failed batch, or its conclusion.
    fn import_lookup(&mut self) -> Result<Option<Flow>, Stop> {
        let Some(lookup) = &mut self.import.lookup else {
            return Ok(None);
        };
        let start = lookup.next;
        let end = (start + SEARCH_CHUNK).min(lookup.batch.users.len());
        if start < end {
            lookup.next = end;
            let users = lookup.batch.users[start..end].to_vec();
            let request = self.search_ids(users.iter().map(|&i| self.plan.users[i].id.to_string()));
            return Ok(Some(Flow::Send(
                Purpose::ImportLookup(start..end),
                request,
                Resend::Transient,
            )));
        }
        let Some(lookup) = self.import.lookup.take() else {
            return Ok(None);
        };
        self.narrow(lookup)?;
        Ok(None)
    }

    pub(super) fn on_import(&mut self, purpose: Purpose, answer: Answer) -> Result<(), Stop> {
        match purpose {
            Purpose::Import => {
                let Some(batch) = self.import.current.take() else {
                    return Ok(());
                };
                if answer.code() == Some(200) {
                    self.import.attempts = 0;
                    self.mark_imported(&batch.users, true);
                } else {
                    self.import.lookup = Some(Lookup {
                        batch,
                        failure: answer,
                        next: 0,
                        missing: Vec::new(),
                    });
                }
            }
            Purpose::ImportLookup(range) => {
                let found = found_users(&answer)
                    .filter(|_| answer.code() == Some(200))
                    .ok_or_else(|| {
                        Stop(format!(
                            "FusionAuth answered {} to the look-up of an import batch",
                            answer.describe()
                        ))
                    })?;
                let Some(lookup) = &mut self.import.lookup else {
                    return Ok(());
                };
                let users = lookup.batch.users[range].to_vec();
                let (there, missing): (Vec<usize>, Vec<usize>) = users
                    .into_iter()
                    .partition(|&i| found.contains_key(&self.plan.users[i].id));
                lookup.missing.extend(missing);
                // Only a user with the run's marker is the run's: one made meanwhile with the
                // same id (the Connector, a person) is skipped, never mailed or undone.
                let (ours, elsewhere): (Vec<usize>, Vec<usize>) = there
                    .into_iter()
                    .partition(|&i| self.made_by_run(&found[&self.plan.users[i].id]));
                self.mark_imported(&ours, false);
                self.mark_pre_existing(&elsewhere, "appeared in FusionAuth with this id while the run was sending it, without the run's marker (e.g. a login through the Connector): skipped, no reset email, never undone");
            }
            _ => {}
        }
        Ok(())
    }

    /// Users of the batch in flight that are in FusionAuth: all of them when it answered 200
    /// (`whole`), else the ones a look-up found.
    fn mark_imported(&mut self, users: &[usize], whole: bool) {
        if users.is_empty() {
            return;
        }
        for &i in users {
            self.users[i] = UserState::Ours;
        }
        self.import.done += users.len() as u64;
        self.report.counts.imported_now += users.len() as u64;
        let event = if whole {
            Event::Committed
        } else {
            Event::Imported {
                ids: users
                    .iter()
                    .map(|&i| self.plan.users[i].id.to_string())
                    .collect(),
            }
        };
        self.record(event);
    }

    /// Users found with their id but without the run's marker: made elsewhere, skipped.
    pub(super) fn mark_pre_existing(&mut self, users: &[usize], reason: &str) {
        if users.is_empty() {
            return;
        }
        let mut ids = Vec::new();
        for &i in users {
            self.users[i] = UserState::PreExisting;
            let issue = self.issue(i, reason, None);
            self.report.skipped.push(issue);
            let id = self.plan.users[i].id;
            if !self.journal.pre_existing(id) {
                ids.push(id.to_string());
            }
        }
        self.import.done += users.len() as u64;
        if !ids.is_empty() {
            self.record(Event::PreExisting { ids });
        }
    }

    /// Decides what to do with the users of a failed batch that are not in FusionAuth.
    fn narrow(&mut self, lookup: Lookup) -> Result<(), Stop> {
        let Lookup {
            batch,
            failure,
            missing,
            ..
        } = lookup;
        if missing.is_empty() {
            self.import.attempts = 0;
            return Ok(());
        }
        // A redirect (never followed) says nothing about the batch, like no answer: the
        // users not found go again, whole, after a pause.
        if failure.transient() || failure.is_redirect() {
            self.import.attempts += 1;
            if self.import.attempts >= self.options.max_attempts {
                return Err(Stop(format!(
                    "an import of {} users failed {} times ({}); stopped: run again to resume",
                    missing.len(),
                    self.import.attempts,
                    failure.describe()
                )));
            }
            let retry_after = match &failure {
                Answer::Status { retry_after, .. } => *retry_after,
                Answer::NoAnswer { .. } => None,
            };
            self.import.not_before = self.now + backoff(self.import.attempts, retry_after);
            self.import.queue.push(Batch {
                users: missing,
                validate: batch.validate,
            });
            return Ok(());
        }
        self.import.attempts = 0;
        let errors = match &failure {
            Answer::Status { body, .. } => ApiErrors::parse(body),
            Answer::NoAnswer { .. } => ApiErrors::default(),
        };
        let status = failure.code();
        if status == Some(400) && !errors.fields.is_empty() {
            let taken = self.duplicates(&errors, &missing);
            if !taken.is_empty() {
                for &i in &taken {
                    self.users[i] = UserState::Conflict;
                    let issue = self.issue(
                        i,
                        "FusionAuth reports its email, username or id as taken by another user: not imported over it",
                        Some(failure.describe()),
                    );
                    self.report.conflicts.push(issue);
                    self.import.done += 1;
                }
                let rest: Vec<usize> = missing.into_iter().filter(|i| !taken.contains(i)).collect();
                if !rest.is_empty() {
                    self.import.queue.push(Batch {
                        users: rest,
                        validate: true,
                    });
                }
                return Ok(());
            }
        } else if !batch.validate && matches!(status, Some(400 | 500)) {
            // A duplicate without validateDbConstraints is a bare 500 or [ImportRequestFailed]:
            // ask again with the checks that name the field.
            self.import.queue.push(Batch {
                users: missing,
                validate: true,
            });
            return Ok(());
        }
        if let [only] = missing[..] {
            self.users[only] = UserState::Refused;
            let issue = self.issue(
                only,
                "FusionAuth refused the user",
                Some(failure.describe()),
            );
            self.report.refused.push(issue);
            self.import.done += 1;
            return Ok(());
        }
        let half = missing.len() / 2;
        self.import.queue.push(Batch {
            users: missing[half..].to_vec(),
            validate: batch.validate,
        });
        self.import.queue.push(Batch {
            users: missing[..half].to_vec(),
            validate: batch.validate,
        });
        Ok(())
    }

    /// The users of `missing` whose email, username or id a `[duplicate]` field error names
    /// (`A User with email [x] already exists.`).
    fn duplicates(&self, errors: &ApiErrors, missing: &[usize]) -> Vec<usize> {
        let mut taken = Vec::new();
        for (field, code, message) in &errors.fields {
            if !code.starts_with("[duplicate]") {
                continue;
            }
            let Some(value) = message
                .rsplit_once('[')
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(v, _)| v.to_lowercase())
            else {
                continue;
            };
            for &i in missing {
                let u = self.plan.user(i);
                let hit = match field.as_str() {
                    "user.email" => u.email().is_some_and(|e| e.to_lowercase() == value),
                    "user.username" => u.username().is_some_and(|n| n.to_lowercase() == value),
                    "user.id" => u.id().to_string() == value,
                    _ => false,
                };
                if hit && !taken.contains(&i) {
                    taken.push(i);
                }
            }
        }
        taken
    }
}
