//! The state machine driven by a scripted FusionAuth: the paths the command line's tests
//! against the stand-in cannot reach on purpose (a conflict that appears between pre-flight
//! and import, both duplicate answers, pacing, resuming from a journal).

use std::collections::{BTreeMap, VecDeque};

use serde_json::{json, Value};

use super::*;
use crate::delivery::journal::ResetOutcome;
use crate::delivery::PlanBuilder;
use crate::delivery::RunStatus;
use crate::delivery::{UserId, RUN_MARKER};
use crate::report::Report;

fn uid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

const URL: &str = "https://auth.example.com";
const TENANT: &str = "7e000000-0000-4000-8000-000000000001";
const IDP: &str = "1d000000-0000-4000-8000-000000000001";

/// Options for a new command on `URL`, each with a run marker of its own (as each run of the
/// command line or the console draws one): a resumed run must take its journal's.
fn opts() -> Options {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Options {
        url: URL.into(),
        run_id: format!("a0000000-0000-4000-8000-{n:012}"),
        ..Options::default()
    }
}

/// A plan of `n` users in import files of `per_file`, with a link for user 1.
fn plan(n: usize, per_file: usize) -> (Plan, Vec<(String, Vec<u8>)>) {
    let users: Vec<Value> = (0..n)
        .map(|i| json!({"id": uid(i), "email": format!("u{i}@x.io"), "active": true, "password": "p"}))
        .collect();
    let files: Vec<(String, Vec<u8>)> = users
        .chunks(per_file)
        .enumerate()
        .map(|(k, c)| {
            (
                format!("users-{:04}.json", k + 1),
                format!("{}\n", json!({"users": c})).into_bytes(),
            )
        })
        .collect();
    let mut b = PlanBuilder::new();
    for (name, bytes) in &files {
        b.add_import_file(name, bytes).unwrap();
    }
    b.add_links(json!([{"identityProviderLink": {"identityProviderId": IDP, "identityProviderUserId": "g1", "userId": uid(1)}}]).to_string().as_bytes()).unwrap();
    let mut report = Report::default();
    report.summary.imported = n as u64;
    report.summary.users_read = n as u64;
    b.add_report(&serde_json::to_vec(&report).unwrap()).unwrap();
    (b.finish().unwrap(), files)
}

/// A FusionAuth with one tenant, just enough of each API, and answers to inject.
#[derive(Default)]
struct Fake {
    users: BTreeMap<String, String>,
    /// The run marker each imported user carries in its data.
    markers: BTreeMap<String, String>,
    links: Vec<(String, String)>,
    duplicate: u16,
    /// Answers given instead of handling, for requests whose endpoint matches.
    inject: VecDeque<(String, Answer, bool)>,
    imports: Vec<(usize, bool)>,
    resets: Vec<String>,
    /// Import requests with users answered 503 before anything else.
    unavailable_imports: u32,
}

impl Fake {
    fn handle(&mut self, r: &Request) -> Answer {
        if let Some(pos) = self.inject.iter().position(|(e, ..)| *e == r.endpoint()) {
            let (_, answer, commit) = self.inject.remove(pos).unwrap();
            if commit {
                self.handle(r);
            }
            return answer;
        }
        let body: Value = r
            .body
            .as_deref()
            .map(|b| serde_json::from_slice(b).unwrap())
            .unwrap_or(Value::Null);
        let ok = |v: Value| Answer::status(200, v.to_string());
        match (r.method, r.path.as_str()) {
            (Method::Get, "/api/system/version") => ok(json!({"version": "1.62.1"})),
            (Method::Get, "/api/tenant") => ok(
                json!({"tenants": [{"id": TENANT, "emailConfiguration": {"forgotPasswordEmailTemplateId": "m"}}]}),
            ),
            (Method::Get, p) if p == format!("/api/tenant/{TENANT}") => ok(
                json!({"tenant": {"id": TENANT, "emailConfiguration": {"forgotPasswordEmailTemplateId": "m"}}}),
            ),
            (Method::Get, p)
                if p.starts_with("/api/identity-provider/") && !p.ends_with("/link") =>
            {
                ok(json!({"identityProvider": {"enabled": true}}))
            }
            (Method::Post, "/api/user/import") => {
                let users = body["users"].as_array().cloned().unwrap_or_default();
                if users.is_empty() {
                    return Answer::status(400, "{}");
                }
                if self.unavailable_imports > 0 {
                    self.unavailable_imports -= 1;
                    return Answer::status(503, "");
                }
                let validate = body["validateDbConstraints"] == json!(true);
                self.imports.push((users.len(), validate));
                let taken: Vec<&Value> = users
                    .iter()
                    .filter(|u| {
                        self.users
                            .values()
                            .any(|e| Some(e.as_str()) == u["email"].as_str())
                            || self.users.contains_key(u["id"].as_str().unwrap())
                    })
                    .collect();
                if !taken.is_empty() {
                    if validate {
                        let errors: Vec<Value> = taken.iter().map(|u| json!({"code": "[duplicate]user.email", "message": format!("A User with email [{}] already exists.", u["email"].as_str().unwrap().to_uppercase())})).collect();
                        return Answer::status(
                            400,
                            json!({"fieldErrors": {"user.email": errors}}).to_string(),
                        );
                    }
                    return match self.duplicate {
                        400 => Answer::status(400, json!({"generalErrors": [{"code": "[ImportRequestFailed]", "message": "…"}]}).to_string()),
                        _ => Answer::status(500, ""),
                    };
                }
                for u in users {
                    if let Some(marker) = u["data"][RUN_MARKER].as_str() {
                        self.markers
                            .insert(u["id"].as_str().unwrap().into(), marker.into());
                    }
                    self.users.insert(
                        u["id"].as_str().unwrap().into(),
                        u["email"].as_str().unwrap().into(),
                    );
                }
                Answer::status(200, "")
            }
            (Method::Post, "/api/user/search") => {
                let found: Vec<Value> = body["search"]["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|id| {
                        let id = id.as_str().unwrap();
                        self.users.get(id).map(|e| {
                            let mut user = json!({"id": id, "email": e, "active": true});
                            if let Some(marker) = self.markers.get(id) {
                                user["data"] = json!({RUN_MARKER: marker});
                            }
                            user
                        })
                    })
                    .collect();
                ok(json!({"total": found.len(), "users": found}))
            }
            (Method::Get, "/api/user") => {
                let email = &r.query[0].1;
                match self.users.iter().find(|(_, e)| *e == email) {
                    Some((id, _)) => ok(json!({"user": {"id": id}})),
                    None => Answer::status(404, ""),
                }
            }
            (Method::Get, "/api/identity-provider/link") if r.query[0].0 == "userId" => {
                let links: Vec<Value> = self.links.iter().filter(|(_, u)| *u == r.query[0].1).map(|(p, u)| json!({"identityProviderId": IDP, "identityProviderUserId": p, "userId": u})).collect();
                ok(json!({"identityProviderLinks": links}))
            }
            (Method::Get, "/api/identity-provider/link") => {
                match self.links.iter().find(|(p, _)| *p == r.query[1].1) {
                    Some((_, u)) => ok(json!({"identityProviderLink": {"userId": u}})),
                    None => Answer::status(404, ""),
                }
            }
            (Method::Post, "/api/identity-provider/link")
                if body.get("identityProviderLink").is_some() =>
            {
                let l = &body["identityProviderLink"];
                self.links.push((
                    l["identityProviderUserId"].as_str().unwrap().into(),
                    l["userId"].as_str().unwrap().into(),
                ));
                ok(body)
            }
            (Method::Post, "/api/user/forgot-password")
                if body["sendForgotPasswordEmail"] == json!(true) =>
            {
                self.resets.push(body["loginId"].as_str().unwrap().into());
                ok(json!({"changePasswordId": "c"}))
            }
            (Method::Delete, "/api/user/bulk") => {
                let mut total = 0;
                if body["dryRun"] != json!(true) {
                    for id in body["userIds"].as_array().unwrap() {
                        self.markers.remove(id.as_str().unwrap());
                        total += usize::from(self.users.remove(id.as_str().unwrap()).is_some());
                    }
                }
                ok(json!({"total": total}))
            }
            _ => Answer::status(400, "{}"),
        }
    }
}

/// Runs a session against the fake; returns the journal it wrote and the waits it asked for.
fn drive(
    session: &mut Session,
    fake: &mut Fake,
    files: &[(String, Vec<u8>)],
    journal: &mut Vec<Event>,
) -> Vec<u64> {
    let mut now = 1_000;
    let mut waits = Vec::new();
    for _ in 0..100_000 {
        let action = session.next(now);
        journal.extend(session.take_events());
        match action {
            Action::Send(r) => {
                let answer = fake.handle(&r);
                session.answer(answer, now);
                journal.extend(session.take_events());
            }
            Action::Wait { until } => {
                waits.push(until - now);
                now = until;
            }
            Action::NeedFile(name) => {
                let bytes = files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
                session.load_file(&name, bytes).unwrap();
            }
            Action::Confirm { .. } => session.confirm(true),
            Action::Finished => return waits,
        }
    }
    panic!("the session never finished");
}

fn push(
    options: Options,
    fake: &mut Fake,
    n: usize,
    per_file: usize,
    journal: &mut Vec<Event>,
) -> (PushReport, Vec<u64>) {
    let (plan, files) = plan(n, per_file);
    let mut session = Session::new(plan, options, JournalState::replay(&*journal), 0);
    let waits = drive(&mut session, fake, &files, journal);
    (session.report().clone(), waits)
}

#[test]
fn a_conflict_that_appears_after_preflight_is_isolated_under_both_duplicate_answers() {
    for duplicate in [500, 400] {
        let mut fake = Fake {
            duplicate,
            ..Fake::default()
        };
        let (plan, files) = plan(10, 10);
        let mut session = Session::new(plan, opts(), JournalState::default(), 0);
        let mut journal = Vec::new();
        // Pre-flight runs against an empty FusionAuth; the intruder arrives before the import.
        while !matches!(session.next(0), Action::NeedFile(_)) {
            let Action::Send(r) = session.next(0) else {
                continue;
            };
            let a = fake.handle(&r);
            session.answer(a, 0);
        }
        fake.users.insert(
            "ffffffff-0000-4000-8000-000000000000".into(),
            "u3@x.io".into(),
        );
        drive(&mut session, &mut fake, &files, &mut journal);
        let report = session.report();
        assert_eq!(report.conflicts.len(), 1, "{duplicate}");
        assert_eq!(report.conflicts[0].id, uid(3));
        assert!(report.conflicts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("[duplicate]user.email"));
        assert_eq!(report.counts.imported, 9);
        assert_eq!(fake.users.len(), 10);
        // The duplicate answer, then the validated retry that names the email, then the rest.
        assert_eq!(fake.imports, [(10, false), (10, true), (9, true)]);
        assert_eq!(report.status(), RunStatus::Incomplete);
    }
}

#[test]
fn each_user_sent_is_its_bytes_with_the_run_marker_added() {
    let (plan, files) = plan(5, 5);
    let options = Options {
        batch_size: Some(2),
        ..opts()
    };
    let run = options.run_id.clone();
    let mut session = Session::new(plan.clone(), options, JournalState::default(), 0);
    let mut bodies = Vec::new();
    let mut fake = Fake::default();
    loop {
        match session.next(0) {
            Action::Send(r) => {
                if r.path == "/api/user/import" && r.body.as_ref().is_some_and(|b| b.len() > 20) {
                    bodies.push(r.body.as_deref().unwrap().to_vec());
                }
                let a = fake.handle(&r);
                session.answer(a, 0);
            }
            Action::NeedFile(name) => session.load_file(&name, files[0].1.clone()).unwrap(),
            Action::Finished => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(bodies.len(), 3);
    let spans = user_spans_of(&files[0].1);
    let stamp = |span: &str| {
        let cut = span.len() - 1;
        format!("{},\"data\":{{\"{RUN_MARKER}\":\"{run}\"}}}}", &span[..cut])
    };
    let expected = format!("{{\"users\":[{},{}]}}", stamp(&spans[0]), stamp(&spans[1]));
    assert_eq!(String::from_utf8(bodies[0].clone()).unwrap(), expected);
    assert!(fake.markers.values().all(|m| *m == run) && fake.markers.len() == 5);
}

fn user_spans_of(bytes: &[u8]) -> Vec<String> {
    crate::delivery::user_spans("f", bytes)
        .unwrap()
        .into_iter()
        .map(|s| String::from_utf8(bytes[s].to_vec()).unwrap())
        .collect()
}

#[test]
fn throttling_waits_for_retry_after_and_transient_failures_back_off() {
    let mut fake = Fake::default();
    let throttled = Answer::Status {
        status: 429,
        body: Vec::new(),
        retry_after: Some(7),
    };
    fake.inject
        .push_back(("POST /api/user/search".into(), throttled, false));
    fake.unavailable_imports = 1;
    let mut journal = Vec::new();
    let (report, waits) = push(opts(), &mut fake, 4, 4, &mut journal);
    assert_eq!(report.status(), RunStatus::Complete, "{report:?}");
    assert_eq!(waits, [7_000, 500]);
    assert_eq!(fake.imports, [(4, false)]);
}

#[test]
fn a_failure_that_never_ends_stops_the_run_and_names_the_endpoint() {
    let mut fake = Fake::default();
    for _ in 0..8 {
        fake.inject.push_back((
            "GET /api/system/version".into(),
            Answer::NoAnswer {
                reason: "refused".into(),
            },
            false,
        ));
    }
    let (report, waits) = push(opts(), &mut fake, 2, 2, &mut Vec::new());
    assert_eq!(report.status(), RunStatus::Stopped);
    assert!(report
        .stopped
        .as_deref()
        .unwrap()
        .contains("GET /api/system/version"));
    assert_eq!(waits.len(), 7);
}

#[test]
fn a_rerun_after_a_crash_finds_the_batch_in_flight_and_does_not_resend_it() {
    let mut fake = Fake::default();
    // The first attempt's import commits, and the process dies before the answer.
    let (plan, files) = plan(6, 3);
    let mut session = Session::new(plan, opts(), JournalState::default(), 0);
    let mut journal = Vec::new();
    loop {
        let action = session.next(0);
        journal.extend(session.take_events());
        match action {
            Action::Send(r)
                if r.path == "/api/user/import"
                    && r.body.as_ref().is_some_and(|b| b.len() > 20) =>
            {
                fake.handle(&r);
                break;
            }
            Action::Send(r) => {
                let a = fake.handle(&r);
                session.answer(a, 0);
            }
            Action::NeedFile(name) => session.load_file(&name, files[0].1.clone()).unwrap(),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(journal.last(), Some(Event::Sending { ids }) if ids.len() == 3));
    let options = Options {
        send_resets: true,
        ..opts()
    };
    let (report, _) = push(options, &mut fake, 6, 3, &mut journal);
    assert_eq!(fake.imports, [(3, false), (3, false)]);
    assert_eq!(report.counts.imported, 6);
    assert_eq!(report.counts.imported_now, 3);
    assert!(
        report.skipped.is_empty(),
        "the run's own users are not 'already present'"
    );
    assert_eq!(
        fake.resets.len(),
        6,
        "the crashed run's users get their reset too"
    );
    assert_eq!(report.status(), RunStatus::Complete);
}

#[test]
fn a_reset_sent_before_a_crash_is_not_sent_again() {
    let mut fake = Fake::default();
    let mut journal = Vec::new();
    push(opts(), &mut fake, 3, 3, &mut journal);
    journal.push(Event::ResetSending { id: uid(0) });
    let options = Options {
        send_resets: true,
        ..opts()
    };
    let (report, waits) = push(options, &mut fake, 3, 3, &mut journal);
    assert_eq!(fake.resets, ["u1@x.io", "u2@x.io"]);
    assert_eq!(report.reset_issues[0].outcome, ResetOutcome::Unconfirmed);
    assert_eq!(report.counts.resets_unconfirmed, 1);
    // Paced at 5 a second by default.
    assert_eq!(waits, [200]);
}

#[test]
fn undo_deletes_only_what_the_run_sent_and_forgets_it() {
    let mut fake = Fake::default();
    fake.users.insert(uid(2), "u2@x.io".into());
    let mut journal = Vec::new();
    let (report, _) = push(opts(), &mut fake, 4, 4, &mut journal);
    assert_eq!(report.skipped.len(), 1);
    let undo = Options {
        command: Command::Undo,
        ..opts()
    };
    let (report, _) = push(undo, &mut fake, 4, 4, &mut journal);
    assert_eq!(report.counts.deleted, 3);
    assert_eq!(fake.users.keys().collect::<Vec<_>>(), [&uid(2)]);
    let state = JournalState::replay(&journal);
    assert!(state.undo_candidates().is_empty());
    assert!(state.pre_existing(UserId::parse(&uid(2)).unwrap()));
}

#[test]
fn links_are_created_once_and_verified() {
    let mut fake = Fake::default();
    // The create commits but its answer is lost: the look-up finds the link and counts it.
    fake.inject.push_back((
        "POST /api/identity-provider/link".into(),
        Answer::NoAnswer {
            reason: "reset".into(),
        },
        true,
    ));
    let (report, _) = push(opts(), &mut fake, 3, 3, &mut Vec::new());
    assert_eq!(fake.links.len(), 1);
    assert_eq!(report.counts.links_created, 1);
    assert!(report.counts.reconciled);
}

#[test]
fn a_file_that_changed_since_the_plan_is_refused() {
    let (plan, files) = plan(3, 3);
    let mut session = Session::new(plan, opts(), JournalState::default(), 0);
    let mut fake = Fake::default();
    loop {
        match session.next(0) {
            Action::Send(r) => {
                let a = fake.handle(&r);
                session.answer(a, 0);
            }
            Action::NeedFile(name) => {
                let mut changed = files[0].1.clone();
                changed[20] ^= 1;
                let e = session.load_file(&name, changed).unwrap_err();
                assert!(e.to_string().contains("changed since the push started"));
                assert!(session.load_file(&name, files[0].1.clone()).is_ok());
                break;
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_halt_ends_the_run_and_a_rerun_finishes_it_without_resending() {
    let mut fake = Fake::default();
    let (plan, files) = plan(6, 3);
    let mut session = Session::new(plan, opts(), JournalState::default(), 0);
    let mut journal = Vec::new();
    // Stopped by the person right after the first import answered.
    loop {
        let action = session.next(0);
        journal.extend(session.take_events());
        match action {
            Action::Send(r) => {
                let import = r.path == "/api/user/import";
                let a = fake.handle(&r);
                session.answer(a, 0);
                journal.extend(session.take_events());
                if import && !fake.imports.is_empty() {
                    session.halt("stopped in the console");
                }
            }
            Action::NeedFile(name) => {
                let bytes = files.iter().find(|(n, _)| *n == name).unwrap().1.clone();
                session.load_file(&name, bytes).unwrap();
            }
            Action::Finished => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        session.report().stopped.as_deref(),
        Some("stopped in the console")
    );
    assert_eq!(session.report().status(), RunStatus::Stopped);
    assert_eq!(session.next(0), Action::Finished);
    let (report, _) = push(opts(), &mut fake, 6, 3, &mut journal);
    assert_eq!(fake.imports.len(), 2, "each batch sent once");
    assert_eq!(report.counts.imported, 6);
    assert_eq!(report.status(), RunStatus::Complete);
}

#[test]
fn resets_go_only_to_the_users_login_ids_txt_lists() {
    let (plan, files) = plan(4, 4);
    let mut b = PlanBuilder::new();
    for (name, bytes) in &files {
        b.add_import_file(name, bytes).unwrap();
    }
    // u1 (federated-only) and u3 (disabled) are not listed; the list's case does not matter.
    b.add_login_ids(b"U0@x.io\nu2@x.io\n").unwrap();
    let mut report = Report::default();
    report.summary.imported = 4;
    report.summary.users_read = 4;
    b.add_report(&serde_json::to_vec(&report).unwrap()).unwrap();
    let listed = b.finish().unwrap();
    assert_eq!(
        (0..4)
            .map(|i| listed.user(i).password_reset())
            .collect::<Vec<_>>(),
        [true, false, true, false]
    );
    assert!(
        (0..4).all(|i| plan.user(i).password_reset()),
        "without the file, everyone"
    );
    let mut fake = Fake::default();
    let options = Options {
        send_resets: true,
        ..opts()
    };
    let mut session = Session::new(listed, options, JournalState::default(), 0);
    drive(&mut session, &mut fake, &files, &mut Vec::new());
    assert_eq!(fake.resets, ["u0@x.io", "u2@x.io"]);
    let counts = &session.report().counts;
    assert_eq!((counts.resets_sent, counts.resets_not_listed), (2, 2));
    assert_eq!(session.report().status(), RunStatus::Complete);
}

/// Runs pre-flight (and anything before the first import) against the fake.
fn until_first_import(session: &mut Session, fake: &mut Fake, journal: &mut Vec<Event>) {
    loop {
        let action = session.next(0);
        journal.extend(session.take_events());
        match action {
            Action::NeedFile(_) => return,
            Action::Send(r) => {
                let a = fake.handle(&r);
                session.answer(a, 0);
                journal.extend(session.take_events());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_user_made_elsewhere_between_preflight_and_its_batch_is_never_the_runs() {
    let (plan, files) = plan(4, 4);
    let options = Options {
        send_resets: true,
        ..opts()
    };
    let mut session = Session::new(plan, options, JournalState::default(), 0);
    let mut fake = Fake::default();
    let mut journal = Vec::new();
    until_first_import(&mut session, &mut fake, &mut journal);
    // The person logs in through the Connector: FusionAuth now holds user 2, unmarked.
    fake.users.insert(uid(2), "u2@x.io".into());
    drive(&mut session, &mut fake, &files, &mut journal);
    let report = session.report();
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].id, uid(2));
    assert_eq!(report.counts.imported, 3);
    assert_eq!(
        fake.resets,
        ["u0@x.io", "u1@x.io", "u3@x.io"],
        "no reset for them"
    );
    assert!(!fake.markers.contains_key(&uid(2)));
    // Undo deletes the run's three and leaves the Connector's user.
    let undo = Options {
        command: Command::Undo,
        ..opts()
    };
    let (report, _) = push(undo, &mut fake, 4, 4, &mut journal);
    assert_eq!(report.counts.deleted, 3);
    assert_eq!(fake.users.keys().collect::<Vec<_>>(), [&uid(2)]);
}

#[test]
fn a_user_made_elsewhere_while_a_lost_batch_is_looked_up_after_a_crash_is_skipped() {
    let (plan, files) = plan(4, 4);
    let mut fake = Fake::default();
    let mut session = Session::new(plan, opts(), JournalState::default(), 0);
    let mut journal = Vec::new();
    until_first_import(&mut session, &mut fake, &mut journal);
    // The import is sent and lost (never reaches FusionAuth); the process dies.
    session.load_file(&files[0].0, files[0].1.clone()).unwrap();
    assert!(matches!(session.next(0), Action::Send(r) if r.path == "/api/user/import"));
    journal.extend(session.take_events());
    // Meanwhile the Connector migrates user 1 with the same id.
    fake.users.insert(uid(1), "u1@x.io".into());
    let options = Options {
        send_resets: true,
        ..opts()
    };
    let (report, _) = push(options, &mut fake, 4, 4, &mut journal);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].id, uid(1));
    assert_eq!(report.counts.imported, 3);
    assert!(!fake.resets.contains(&"u1@x.io".to_owned()));
    let state = JournalState::replay(&journal);
    let one = UserId::parse(&uid(1)).unwrap();
    assert!(state.pre_existing(one));
    assert!(!state.undo_candidates().contains(&one));
}

#[test]
fn a_journal_belongs_to_one_fusionauth_and_one_tenant() {
    let mut fake = Fake::default();
    let mut journal = Vec::new();
    push(opts(), &mut fake, 3, 3, &mut journal);
    let target = JournalState::replay(&journal).target.unwrap();
    assert_eq!(
        (target.url.as_str(), target.tenant_id.as_str()),
        (URL, TENANT)
    );
    for command in [Command::Push, Command::Verify, Command::Undo] {
        let elsewhere = Options {
            command,
            url: "https://prod.example.com".into(),
            ..opts()
        };
        let (three, _) = plan(3, 3);
        let mut session = Session::new(three, elsewhere, JournalState::replay(&journal), 0);
        assert_eq!(session.next(0), Action::Finished, "nothing is sent");
        let stopped = session.report().stopped.clone().unwrap();
        assert!(
            stopped.contains(URL) && stopped.contains("https://prod.example.com"),
            "{stopped}"
        );
        assert_eq!(session.report().status(), RunStatus::Stopped);
        let other_tenant = Options {
            command,
            tenant_id: Some("7e000000-0000-4000-8000-000000000002".into()),
            ..opts()
        };
        let (three, _) = plan(3, 3);
        let mut session = Session::new(three, other_tenant, JournalState::replay(&journal), 0);
        assert_eq!(session.next(0), Action::Finished);
        let stopped = session.report().stopped.clone().unwrap();
        assert!(
            stopped.contains(TENANT) && stopped.contains("000000000002"),
            "{stopped}"
        );
    }
    // The same target goes on, without naming the tenant again.
    let (report, _) = push(opts(), &mut fake, 3, 3, &mut journal);
    assert_eq!(report.status(), RunStatus::Complete);
    assert_eq!(fake.imports.len(), 1);
}

#[test]
fn undo_on_a_fusionauth_the_run_never_imported_into_deletes_nothing() {
    // Another FusionAuth holds the same users (migrated there by the Connector), and this
    // command's journal is new: none is the run's.
    let mut fake = Fake::default();
    for i in 0..3 {
        fake.users.insert(uid(i), format!("u{i}@x.io"));
    }
    let mut journal = vec![Event::Sending {
        ids: vec![uid(0), uid(1), uid(2)],
    }];
    let undo = Options {
        command: Command::Undo,
        ..opts()
    };
    let (report, _) = push(undo, &mut fake, 3, 3, &mut journal);
    assert_eq!(report.counts.deleted, 0);
    assert_eq!(fake.users.len(), 3);
}

#[test]
fn a_tenant_id_that_is_not_a_uuid_stops_before_any_request() {
    let (plan, _) = plan(2, 2);
    let options = Options {
        tenant_id: Some("../user/bulk".into()),
        ..opts()
    };
    let mut session = Session::new(plan, options, JournalState::default(), 0);
    assert_eq!(session.next(0), Action::Finished);
    assert!(session
        .report()
        .stopped
        .as_deref()
        .unwrap()
        .contains("not a FusionAuth id"));
}

#[test]
fn a_redirected_import_is_looked_up_never_taken_as_committed() {
    let mut fake = Fake::default();
    fake.inject.push_back((
        "POST /api/user/import".into(),
        Answer::status(302, ""),
        false,
    ));
    let (report, _) = push(opts(), &mut fake, 3, 3, &mut Vec::new());
    // Not committed: the look-up finds nobody, and the batch goes again, whole.
    assert_eq!(fake.imports, [(3, false)]);
    assert_eq!(report.counts.imported, 3);
    assert_eq!(report.status(), RunStatus::Complete);
    assert!(Answer::redirect().describe().contains("never follows"));
}
