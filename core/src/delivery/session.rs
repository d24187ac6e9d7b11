//! The delivery state machine: given the plan, the journal so far and the options, it says
//! which request to send next and takes each answer. It decides everything a transport could
//! get wrong: pre-flight, batching, what an answer means, when to look a batch up, when to
//! split it, retries and pacing (the time is passed in). Each step lives in its own module.

mod groups;
mod import;
mod links;
mod preflight;
mod resets;
mod undo;
mod verify;

use std::ops::Range;

use serde_json::Value;

use super::http::{Answer, ApiErrors, Method, Request};
use super::ids::UserId;
use super::journal::{Event, JournalState};
use super::plan::Plan;
use super::report::{PushReport, UserIssue};
use super::stamp::RUN_MARKER;
use crate::fields::is_uuid;

/// Which command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Pre-flight, groups, import, links, resets, verify.
    Push,
    /// Verify alone.
    Verify,
    /// Delete what the run created.
    Undo,
}

impl Command {
    fn name(self) -> &'static str {
        match self {
            Self::Push => "push",
            Self::Verify => "verify",
            Self::Undo => "undo",
        }
    }
}

/// What the person asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The command.
    pub command: Command,
    /// FusionAuth's base URL, as [`base_url`](super::base_url) returns it: the journal of a
    /// run belongs to one.
    pub url: String,
    /// A fresh random UUID (from the transport's CSPRNG): the marker of the run when the
    /// journal has none yet (see [`Event::Target`]).
    pub run_id: String,
    /// The tenant (else the one the journal's run imports into, else the one the files name,
    /// else FusionAuth's only tenant).
    pub tenant_id: Option<String>,
    /// Create missing groups with the ids the rules name.
    pub create_groups: bool,
    /// Send forgot-password emails to the users the run imported.
    pub send_resets: bool,
    /// Reset emails per second.
    pub reset_rate: f64,
    /// Users per import request (else each import file as it is).
    pub batch_size: Option<usize>,
    /// Stop after pre-flight.
    pub dry_run: bool,
    /// Attempts per request for throttled, unavailable or unanswered requests.
    pub max_attempts: u32,
    /// Pre-flight looks up the email and username of at most this many new users (two
    /// requests each); above it, conflicts are found by the import, which FusionAuth refuses
    /// naming each duplicate.
    pub lookup_limit: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            command: Command::Push,
            url: String::new(),
            run_id: String::new(),
            tenant_id: None,
            create_groups: false,
            send_resets: false,
            reset_rate: 5.0,
            batch_size: None,
            dry_run: false,
            max_attempts: 8,
            lookup_limit: 10_000,
        }
    }
}

/// What the transport does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this request, then hand the answer to [`Session::answer`].
    Send(Request),
    /// Wait until this time (ms, the clock the transport passes in), then ask again.
    Wait {
        /// When to ask again.
        until: u64,
    },
    /// Hand this import file's bytes to [`Session::load_file`], then ask again.
    NeedFile(String),
    /// `undo`: show these counts and ask; hand the reply to [`Session::confirm`].
    Confirm {
        /// Users that will be deleted.
        users: usize,
        /// Groups that will be deleted.
        groups: usize,
    },
    /// The run is over: read [`Session::report`].
    Finished,
}

/// Where a user stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserState {
    /// Not yet looked up.
    Unknown,
    /// Absent from FusionAuth; to import.
    New,
    /// Found with the same id before the run sent it: skipped.
    PreExisting,
    /// In FusionAuth because of the run.
    Ours,
    /// Another FusionAuth user holds its email or username.
    Conflict,
    /// FusionAuth refused it.
    Refused,
}

/// Which requests may be sent again as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Idempotent: again on 429, 502, 503, 504 or no answer.
    Transient,
    /// Only when FusionAuth said it did nothing: 429 or 503.
    Throttled,
    /// Never: the step decides.
    Never,
}

/// What a request was for, to route its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Purpose {
    Version,
    Tenants,
    Tenant,
    Application(String),
    Group(String),
    Provider(String),
    Probe,
    Search(Range<usize>),
    Lookup(usize, &'static str),
    CreateGroup(String),
    CheckGroup(String),
    Import,
    ImportLookup(Range<usize>),
    LinkGet(usize),
    LinkCreate(usize),
    Reset(usize),
    Verify(Range<usize>),
    VerifyLinks(usize),
    UndoSearch(Range<usize>),
    UndoDelete,
    UndoGroupCheck(String),
    UndoGroup(String),
}

#[derive(Debug, Clone)]
struct InFlight {
    purpose: Purpose,
    request: Request,
    attempt: u32,
    resend: Resend,
}

/// The steps, in the order a push runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Preflight,
    Groups,
    Import,
    Links,
    Resets,
    Verify,
    UndoPlan,
    UndoConfirm,
    UndoDelete,
    UndoGroups,
    Done,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Self::Preflight => "preflight",
            Self::Groups => "groups",
            Self::Import => "import",
            Self::Links => "links",
            Self::Resets => "resets",
            Self::Verify => "verify",
            Self::UndoPlan | Self::UndoConfirm | Self::UndoDelete | Self::UndoGroups => "undo",
            Self::Done => "done",
        }
    }
}

/// What a step does next.
enum Flow {
    Send(Purpose, Request, Resend),
    Wait(u64),
    NeedFile(String),
    Confirm(usize, usize),
    /// The step is over.
    Next,
}

/// How far the current step has come, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// `preflight`, `import`, ...
    pub step: &'static str,
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

/// Why a run stops.
struct Stop(String);

/// A push, verify or undo in progress. See the module docs.
#[derive(Debug)]
pub struct Session {
    plan: Plan,
    options: Options,
    journal: JournalState,
    events: Vec<Event>,
    report: PushReport,
    users: Vec<UserState>,
    step: Step,
    /// Position within the current step (meaning per step).
    cursor: usize,
    progress: (u64, u64),
    in_flight: Option<InFlight>,
    retry_at: Option<u64>,
    tenant: Option<String>,
    /// The tenant is known to exist: requests carry its header from now on.
    tenant_checked: bool,
    now: u64,
    pre: preflight::State,
    import: import::State,
    links: links::State,
    resets: resets::State,
    undo: undo::State,
    /// Attempts of the current step's non-idempotent request (group create, link create).
    attempts: u32,
    /// The run's marker: the journal's, else [`Options::run_id`].
    run: String,
}

/// Ids per search request.
const SEARCH_CHUNK: usize = 1_000;

impl Session {
    /// A session for `plan`, resuming from what the journal adds up to (see
    /// [`read_journal`](super::read_journal)). `now` is the time in ms.
    pub fn new(plan: Plan, options: Options, journal: JournalState, now: u64) -> Self {
        let users = vec![UserState::Unknown; plan.users.len()];
        let tenant = options.tenant_id.clone().or_else(|| plan.tenant_id.clone());
        let mut report = PushReport {
            command: options.command.name().into(),
            dry_run: options.dry_run,
            ..PushReport::default()
        };
        report.counts.users_read = plan.users_read;
        report.counts.excluded_at_convert = plan.excluded_at_convert;
        report.counts.planned = plan.users.len() as u64;
        let step = match options.command {
            Command::Push | Command::Verify => Step::Preflight,
            Command::Undo => Step::UndoPlan,
        };
        let mut session = Self {
            plan,
            journal,
            events: vec![Event::Started {
                command: options.command.name().into(),
                at: now,
            }],
            report,
            users,
            step,
            cursor: 0,
            progress: (0, 0),
            in_flight: None,
            retry_at: None,
            tenant,
            tenant_checked: options.command == Command::Undo,
            now,
            pre: preflight::State::default(),
            import: import::State::default(),
            links: links::State::default(),
            resets: resets::State::default(),
            undo: undo::State::default(),
            attempts: 0,
            run: options.run_id.clone(),
            options,
        };
        session.bind();
        session
    }

    /// Holds the run to the FusionAuth and tenant its journal names: another URL or tenant
    /// stops the run before any request (a journal belongs to one target; a person who wants
    /// another starts another run). Ids that go into request paths are checked first.
    fn bind(&mut self) {
        if let Some(t) = self.tenant.clone().filter(|t| !is_uuid(t)) {
            self.stop(format!(
                "the tenant id {t:?} is not a FusionAuth id (a lower-case UUID): nothing was sent"
            ));
            return;
        }
        if !is_uuid(&self.run) {
            self.stop("the run's marker is not a UUID: nothing was sent".into());
            return;
        }
        let Some(target) = self.journal.target.clone() else {
            return;
        };
        if target.url != self.options.url {
            self.stop(format!(
                "this run was pushed to {} (tenant {}), not to {}: a run belongs to one FusionAuth. \
                 Nothing was sent; to import into {} start a new run from a fresh conversion",
                target.url, target.tenant_id, self.options.url, self.options.url
            ));
            return;
        }
        if let Some(asked) = self.tenant.clone().filter(|t| *t != target.tenant_id) {
            self.stop(format!(
                "this run imports into tenant {} of {}, not tenant {asked}: a run belongs to one \
                 tenant. Nothing was sent; leave the tenant out to go on with this run, or start a \
                 new run from a fresh conversion to import into tenant {asked}",
                target.tenant_id, target.url
            ));
            return;
        }
        self.tenant = Some(target.tenant_id);
        self.run = target.run;
    }

    /// True when a user FusionAuth holds carries this run's marker: the run imported it. A
    /// user made elsewhere with the same id (the Connector, another tool, a person, another
    /// run) does not, and is never counted, mailed or deleted as the run's.
    fn made_by_run(&self, user: &Value) -> bool {
        user.get("data")
            .and_then(|d| d.get(RUN_MARKER))
            .and_then(Value::as_str)
            == Some(self.run.as_str())
    }

    /// Journal events produced since the last call: the transport appends and flushes them
    /// before it carries out the next action.
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The report so far (final once [`Action::Finished`] was returned).
    pub fn report(&self) -> &PushReport {
        &self.report
    }

    /// The report, the session done with (no copy of its lists).
    pub fn into_report(self) -> PushReport {
        self.report
    }

    /// The current step and how far it has come.
    pub fn progress(&self) -> Progress {
        Progress {
            step: self.step.name(),
            done: self.progress.0,
            total: self.progress.1,
        }
    }

    /// What to do next, at time `now` (ms).
    pub fn next(&mut self, now: u64) -> Action {
        self.now = now;
        if self.report.stopped.is_some() {
            return Action::Finished;
        }
        if let Some(flight) = &self.in_flight {
            if let Some(at) = self.retry_at {
                if now < at {
                    return Action::Wait { until: at };
                }
                self.retry_at = None;
            }
            return Action::Send(flight.request.clone());
        }
        loop {
            let flow = match self.run_step() {
                Ok(flow) => flow,
                Err(Stop(reason)) => {
                    self.stop(reason);
                    return Action::Finished;
                }
            };
            match flow {
                Flow::Send(purpose, mut request, resend) => {
                    if request.tenant_id.is_none() && self.tenant_checked {
                        request.tenant_id = self.tenant.clone();
                    }
                    self.in_flight = Some(InFlight {
                        purpose,
                        request: request.clone(),
                        attempt: 1,
                        resend,
                    });
                    return Action::Send(request);
                }
                Flow::Wait(until) => return Action::Wait { until },
                Flow::NeedFile(name) => return Action::NeedFile(name),
                Flow::Confirm(users, groups) => return Action::Confirm { users, groups },
                Flow::Next => {
                    let name = self.step.name();
                    if self.step != Step::Done && !self.report.steps.iter().any(|s| s.step == name)
                    {
                        self.report.step(name, "done", None);
                    }
                    self.advance();
                    if self.step == Step::Done {
                        self.finish();
                        return Action::Finished;
                    }
                }
            }
        }
    }

    /// Takes the answer to the request of the last [`Action::Send`], at time `now` (ms).
    pub fn answer(&mut self, answer: Answer, now: u64) {
        self.now = now;
        let Some(mut flight) = self.in_flight.take() else {
            return;
        };
        let endpoint = flight.request.endpoint();
        if answer.code() == Some(401) {
            self.stop(format!(
                "FusionAuth answered 401 to {endpoint}: the API key is not valid, or it lacks the \
                 permission for {endpoint} (grant it under Settings → API Keys)"
            ));
            return;
        }
        if let Answer::Status {
            status: 400, body, ..
        } = &answer
        {
            if ApiErrors::parse(body).has_general("[TenantIdRequired]") {
                self.stop(format!(
                    "FusionAuth needs a tenant for {endpoint} (it has several): name it with --tenant-id"
                ));
                return;
            }
        }
        let resend = match flight.resend {
            Resend::Transient => answer.transient(),
            Resend::Throttled => matches!(answer.code(), Some(429 | 503)),
            Resend::Never => false,
        };
        if resend {
            if flight.attempt >= self.options.max_attempts {
                self.stop(format!(
                    "FusionAuth answered {} to {endpoint} {} times; stopped (run again to resume)",
                    answer.describe(),
                    flight.attempt
                ));
                return;
            }
            let retry_after = match &answer {
                Answer::Status { retry_after, .. } => *retry_after,
                Answer::NoAnswer { .. } => None,
            };
            self.retry_at = Some(now + backoff(flight.attempt, retry_after));
            flight.attempt += 1;
            self.in_flight = Some(flight);
            return;
        }
        let result = match flight.purpose {
            Purpose::Version
            | Purpose::Tenants
            | Purpose::Tenant
            | Purpose::Application(_)
            | Purpose::Group(_)
            | Purpose::Provider(_)
            | Purpose::Probe
            | Purpose::Search(_)
            | Purpose::Lookup(..) => self.on_preflight(flight.purpose, &flight.request, answer),
            Purpose::CreateGroup(_) | Purpose::CheckGroup(_) => {
                self.on_group(flight.purpose, answer)
            }
            Purpose::Import | Purpose::ImportLookup(_) => self.on_import(flight.purpose, answer),
            Purpose::LinkGet(_) | Purpose::LinkCreate(_) => self.on_link(flight.purpose, answer),
            Purpose::Reset(i) => self.on_reset(i, answer),
            Purpose::Verify(_) | Purpose::VerifyLinks(_) => self.on_verify(flight.purpose, answer),
            Purpose::UndoSearch(_)
            | Purpose::UndoDelete
            | Purpose::UndoGroupCheck(_)
            | Purpose::UndoGroup(_) => self.on_undo(flight.purpose, answer),
        };
        if let Err(Stop(reason)) = result {
            self.stop(reason);
        }
    }

    fn run_step(&mut self) -> Result<Flow, Stop> {
        match self.step {
            Step::Preflight => self.preflight(),
            Step::Groups => Ok(self.groups()),
            Step::Import => self.import(),
            Step::Links => Ok(self.links()),
            Step::Resets => Ok(self.resets()),
            Step::Verify => Ok(self.verify()),
            Step::UndoPlan | Step::UndoConfirm | Step::UndoDelete | Step::UndoGroups => {
                Ok(self.undo())
            }
            Step::Done => Ok(Flow::Next),
        }
    }

    /// Moves to the next step the command runs.
    fn advance(&mut self) {
        let push = self.options.command == Command::Push;
        self.cursor = 0;
        self.attempts = 0;
        self.progress = (0, 0);
        self.step = match self.step {
            Step::Preflight if self.options.command == Command::Verify => Step::Verify,
            Step::Preflight if self.options.dry_run => Step::Done,
            Step::Preflight if self.options.create_groups => Step::Groups,
            Step::Preflight | Step::Groups => Step::Import,
            Step::Import => Step::Links,
            Step::Links if push && self.options.send_resets => Step::Resets,
            Step::Links | Step::Resets => Step::Verify,
            Step::Verify => Step::Done,
            Step::UndoPlan => Step::UndoConfirm,
            Step::UndoConfirm => Step::UndoDelete,
            Step::UndoDelete => Step::UndoGroups,
            Step::UndoGroups | Step::Done => Step::Done,
        };
        if self.step == Step::Resets && !self.options.send_resets {
            self.report
                .step("resets", "skipped", Some("--send-resets not given".into()));
        }
    }

    /// Ends the run at once, for `reason` (the person pressed Stop): the next
    /// [`Session::next`] is [`Action::Finished`]. Nothing the journal holds is lost; a run
    /// with the same journal resumes, looking up a request that was in flight.
    pub fn halt(&mut self, reason: impl Into<String>) {
        if self.report.stopped.is_none() {
            self.stop(reason.into());
        }
    }

    fn stop(&mut self, reason: String) {
        self.report
            .step(self.step.name(), "stopped", Some(reason.clone()));
        self.report.stopped = Some(reason);
        self.finish();
    }

    /// Final counts.
    fn finish(&mut self) {
        let c = &mut self.report.counts;
        c.skipped = self.report.skipped.len() as u64;
        c.conflicts = self.report.conflicts.len() as u64;
        c.refused = self.report.refused.len() as u64;
        c.missing = self.report.missing.len() as u64;
        c.mismatched = self
            .report
            .mismatches
            .iter()
            .map(|m| m.id.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u64;
        c.imported = self.users.iter().filter(|s| **s == UserState::Ours).count() as u64;
        c.reconciled = self.report.stopped.is_none()
            && self
                .report
                .steps
                .iter()
                .any(|s| s.step == "verify" && s.status == "done")
            && c.users_read
                == c.imported + c.skipped + c.refused + c.conflicts + c.excluded_at_convert
            && c.missing == 0
            && c.mismatched == 0;
    }

    /// A user as the report names it.
    fn issue(&self, i: usize, reason: impl Into<String>, error: Option<String>) -> UserIssue {
        let u = self.plan.user(i);
        UserIssue {
            id: u.id().to_string(),
            file: self.plan.files[u.file()].name.clone(),
            index: u.index(),
            username: u.cognito_username().map(str::to_owned),
            reason: reason.into(),
            error,
        }
    }

    /// Applies an event to the journal state and queues it for the transport to write.
    fn record(&mut self, event: Event) {
        self.journal.apply(&event);
        self.events.push(event);
    }

    /// `POST /api/user/search` for the ids of these users.
    fn search(&self, range: &Range<usize>) -> Request {
        self.search_ids(
            self.plan.users[range.clone()]
                .iter()
                .map(|u| u.id.to_string()),
        )
    }

    fn search_ids(&self, ids: impl Iterator<Item = String>) -> Request {
        let ids: Vec<String> = ids.collect();
        Request::new(Method::Post, "/api/user/search").json(&serde_json::json!({
            "search": {"ids": ids, "numberOfResults": ids.len()}
        }))
    }
}

/// The users of a search answer, by id (a user whose id is not a UUID cannot be a planned
/// one and is left out).
fn found_users(answer: &Answer) -> Option<std::collections::HashMap<UserId, Value>> {
    let mut body = answer.json()?;
    let users = body
        .get_mut("users")
        .map(Value::take)
        .unwrap_or(Value::Array(Vec::new()));
    let Value::Array(users) = users else {
        return None;
    };
    Some(
        users
            .into_iter()
            .filter_map(|u| Some((UserId::parse(u.get("id")?.as_str()?)?, u)))
            .collect(),
    )
}

/// Milliseconds to wait before attempt `attempt + 1`: `Retry-After` when sent (capped at 10
/// minutes), else 0.5 s doubling up to 30 s.
fn backoff(attempt: u32, retry_after: Option<u64>) -> u64 {
    match retry_after {
        Some(seconds) => seconds.min(600) * 1000,
        None => (500u64 << attempt.saturating_sub(1).min(6)).min(30_000),
    }
}

#[cfg(test)]
mod tests;
