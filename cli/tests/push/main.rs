//! `push`, `verify` and `undo` run as users run them, against the FusionAuth stand-in (see
//! `standin.rs`: FusionAuth cannot run here), with faults injected at every step: answers
//! lost after a commit, 5xx and 429 before it, slow answers, and the CLI killed with SIGKILL
//! in the middle of each step. Every test also checks that the API key appears in no output,
//! journal or report.

mod ownership;
mod standin;
mod world;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;

use serde_json::{json, Value};
use standin::StandIn;
use world::*;

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn log(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", text(&o.stdout), text(&o.stderr))
}

/// No import request carried a user FusionAuth already held (nobody sent twice after
/// FusionAuth had them), and every id was committed at most once.
fn assert_exactly_once(state: &Value) {
    let mut committed: BTreeMap<String, u32> = BTreeMap::new();
    for import in state["imports"].as_array().unwrap() {
        assert_eq!(
            import["alreadyPresent"],
            json!([]),
            "an import re-sent users FusionAuth had: {import}"
        );
        if import["committed"] == json!(true) {
            for id in import["ids"].as_array().unwrap() {
                *committed
                    .entry(id.as_str().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    assert!(committed.values().all(|&n| n == 1));
}

fn ids(range: impl Iterator<Item = usize>) -> Vec<String> {
    let mut v: Vec<String> = range.map(id).collect();
    v.sort();
    v
}

#[test]
fn a_clean_run_imports_links_resets_and_verifies_a_few_thousand_users() {
    let n = 3000;
    let world = World::new(&pool(n, |_, _| {}));
    let fa = StandIn::start(&target());
    let o = world.run(
        "push",
        &fa.url(),
        &["--send-resets", "--reset-rate", "1000"],
    );
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..n));
    assert_exactly_once(&state);
    // The import files went as they are: one request per file, no validation pass.
    let imports = state["imports"].as_array().unwrap();
    let real: Vec<&Value> = imports.iter().filter(|i| i["users"] != json!(0)).collect();
    assert_eq!(real.len(), 6);
    assert!(real
        .iter()
        .all(|i| i["validateDbConstraints"] == json!(false)));
    // Every user is registered, staff are members, links are in place.
    let users = state["users"].as_array().unwrap();
    assert!(users
        .iter()
        .all(|u| u["registrations"][0]["applicationId"] == json!(APP)));
    let staff = users
        .iter()
        .filter(|u| u["memberships"].as_array().is_some_and(|m| !m.is_empty()))
        .count();
    assert_eq!(staff, (0..n).filter(|i| i % 5 == 1).count());
    let links = state["links"].as_array().unwrap();
    assert_eq!(links.len(), (0..n).filter(|i| i % 7 == 3).count());
    // One reset email per user, to the user's email.
    let resets = state["forgotPassword"].as_array().unwrap();
    let real_resets: BTreeSet<&str> = resets
        .iter()
        .filter(|r| r["sendEmail"] == json!(true))
        .map(|r| r["loginId"].as_str().unwrap())
        .collect();
    assert_eq!(real_resets.len(), n);
    assert_eq!(
        resets
            .iter()
            .filter(|r| r["sendEmail"] == json!(true))
            .count(),
        n
    );
    // Every call carried the key, every call after the tenant check its header, and JSON
    // bodies their content type.
    for r in state["requests"].as_array().unwrap() {
        let path = r["path"].as_str().unwrap();
        if path != "/api/system/version" && !path.starts_with("/api/tenant") {
            assert_eq!(r["tenantHeader"], json!(TENANT), "{r}");
        }
        assert_eq!(r["authorization"], json!(true));
        if r["bodyBytes"].as_u64().unwrap_or(0) > 0 {
            assert_eq!(r["contentType"], json!("application/json"), "{r}");
        }
    }
    let report = world.report("report.json");
    let c = &report["counts"];
    assert_eq!(c["imported"], json!(n));
    assert_eq!(c["verified"], json!(n));
    assert_eq!(c["resetsSent"], json!(n));
    assert_eq!(c["linksCreated"], json!(links.len()));
    assert_eq!(c["reconciled"], json!(true));
    assert!(report["warnings"][0].as_str().unwrap().contains("600 s"));
    assert!(text(&o.stderr).contains("600 s"));
    // Files of personal data and ids are private.
    assert_eq!(mode(&world.out().join("push")), 0o700);
    assert_eq!(mode(&world.run_dir()), 0o700);
    assert_eq!(mode(&world.run_dir().join("journal.jsonl")), 0o600);
    assert_eq!(mode(&world.run_dir().join("report.json")), 0o600);
    // The journal holds ids, not personal data.
    let journal = world.journal();
    assert!(!journal.contains("@example.com") && !journal.contains("Given"));

    // verify alone agrees, and a second push changes nothing.
    let v = world.run("verify", &fa.url(), &[]);
    assert_eq!(code(&v), Some(0), "{}", log(&v));
    assert_eq!(world.report("verify.json")["counts"]["verified"], json!(n));
    let again = world.run("push", &fa.url(), &["--send-resets"]);
    assert_eq!(code(&again), Some(0), "{}", log(&again));
    let after = fa.state();
    assert_eq!(
        after["imports"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["users"] != json!(0))
            .count(),
        6
    );
    assert_eq!(
        after["forgotPassword"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["sendEmail"] == json!(true))
            .count(),
        n
    );
}

#[test]
fn a_user_already_there_is_skipped_without_a_reset_and_a_taken_email_is_a_conflict() {
    let world = World::new(&pool(60, |_, _| {}));
    let mut config = target();
    // User 10 was migrated by the Connector already (same id); somebody else holds user 20's email.
    config["users"] = json!([
        {"id": id(10), "tenantId": TENANT, "email": email(10), "active": true},
        {"id": "0ddba11e-0000-4000-8000-000000000001", "tenantId": TENANT, "email": email(20)},
    ]);
    let fa = StandIn::start(&config);
    // A dry run exits 1 when the push would leave somebody out.
    let dry = world.run("push", &fa.url(), &["--dry-run", "--send-resets"]);
    assert_eq!(code(&dry), Some(1), "{}", log(&dry));
    assert!(
        text(&dry.stdout).contains("to import:        58"),
        "{}",
        log(&dry)
    );
    assert_eq!(user_ids(&fa.state()).len(), 2, "a dry run writes nothing");

    let o = world.run(
        "push",
        &fa.url(),
        &["--send-resets", "--reset-rate", "1000"],
    );
    assert_eq!(code(&o), Some(1), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state).len(), 60);
    assert_exactly_once(&state);
    let reset_logins: Vec<&str> = state["forgotPassword"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["sendEmail"] == json!(true))
        .map(|r| r["loginId"].as_str().unwrap())
        .collect();
    assert_eq!(reset_logins.len(), 58);
    assert!(!reset_logins.contains(&email(10).as_str()));
    assert!(!reset_logins.contains(&email(20).as_str()));
    let report = world.report("report.json");
    assert_eq!(report["skipped"][0]["id"], json!(id(10)));
    assert_eq!(report["skipped"][0]["username"], json!("user10"));
    assert_eq!(report["conflicts"][0]["id"], json!(id(20)));
    assert!(report["conflicts"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("0ddba11e"));
    let c = &report["counts"];
    assert_eq!(
        (
            c["imported"].clone(),
            c["skipped"].clone(),
            c["conflicts"].clone()
        ),
        (json!(58), json!(1), json!(1))
    );
    assert_eq!(c["reconciled"], json!(true));
}

#[test]
fn a_refused_user_in_the_middle_of_a_batch_is_isolated_and_the_others_go_in() {
    // FusionAuth refuses a username over 191 characters, with a field error that does not say
    // which user: the batch is split until that user is alone.
    let long = "x".repeat(200);
    let world = World::new(&pool(120, move |i, u| {
        if i == 77 {
            u["Username"] = json!(long.clone());
        }
    }));
    let fa = StandIn::start(&target());
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(1), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids((0..120).filter(|&i| i != 77)));
    assert_exactly_once(&state);
    let report = world.report("report.json");
    assert_eq!(report["refused"].as_array().unwrap().len(), 1);
    assert_eq!(report["refused"][0]["id"], json!(id(77)));
    assert!(report["refused"][0]["error"]
        .as_str()
        .unwrap()
        .contains("[tooLong]user.username"));
    assert_eq!(report["counts"]["reconciled"], json!(true));
}

#[test]
fn an_import_that_commits_and_then_drops_the_connection_is_not_sent_again() {
    let world = World::new(&pool(1200, |_, _| {}));
    let fa = StandIn::start(&target());
    fa.faults(&json!([{"method": "POST", "path": "/api/user/import", "skip": 2, "action": "drop", "commit": true}]));
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..1200));
    assert_exactly_once(&state);
    // The dropped batch was looked up by id, found, and not re-sent.
    assert_eq!(
        state["imports"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["committed"] == json!(true))
            .count(),
        3
    );
}

#[test]
fn failures_before_a_commit_are_retried_with_back_off() {
    let world = World::new(&pool(1100, |_, _| {}));
    let fa = StandIn::start(&target());
    fa.faults(&json!([
        {"method": "POST", "path": "/api/user/import", "skip": 1, "action": "status", "status": 503},
        {"method": "POST", "path": "/api/user/import", "skip": 1, "action": "status", "status": 500},
        {"method": "POST", "path": "/api/user/import", "action": "drop", "commit": false},
        {"method": "POST", "path": "/api/user/search", "action": "status", "status": 429, "retryAfter": 1},
        {"method": "GET", "path": "/api/identity-provider/link", "skip": 3, "action": "status", "status": 502},
    ]));
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..1100));
    assert_exactly_once(&state);
    // The 429's Retry-After was honoured: the second search came a second later at least.
    assert!(state["faults"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["matched"].as_u64().unwrap() >= 1));
}

#[test]
fn an_answer_slower_than_the_timeout_is_looked_up_then_the_rest_is_sent() {
    let world = World::new(&pool(600, |_, _| {}));
    let fa = StandIn::start(&target());
    // The first file's import is held past the 2 s timeout; FusionAuth commits it late.
    fa.faults(&json!([{"method": "POST", "path": "/api/user/import", "skip": 1, "action": "delay", "seconds": 4}]));
    let o = world.run("push", &fa.url(), &["--timeout", "2"]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    std::thread::sleep(std::time::Duration::from_secs(3));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..600));
    let v = world.run("verify", &fa.url(), &[]);
    assert_eq!(code(&v), Some(0), "{}", log(&v));
}

/// Kills the CLI (SIGKILL) while FusionAuth holds the request a fault matches, then runs push
/// again: everybody is in FusionAuth exactly once and every link and reset email happened once.
fn kill_then_rerun(fault: Value, commit: bool) {
    let n = 700;
    let world = World::new(&pool(n, |_, _| {}));
    let fa = StandIn::start(&target());
    let mut fault = fault;
    fault["action"] = json!("hold");
    fault["commit"] = json!(commit);
    fa.faults(&json!([fault]));
    let args = ["--send-resets", "--reset-rate", "1000", "--create-groups"];
    world.kill_while_held(&fa, "push", &args);
    let o = world.run("push", &fa.url(), &args);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..n));
    assert_exactly_once(&state);
    let links = state["links"].as_array().unwrap();
    assert_eq!(links.len(), (0..n).filter(|i| i % 7 == 3).count());
    let mut mails: BTreeMap<&str, u32> = BTreeMap::new();
    for r in state["forgotPassword"].as_array().unwrap() {
        if r["sendEmail"] == json!(true) && r["status"] == json!(200) {
            *mails.entry(r["loginId"].as_str().unwrap()).or_default() += 1;
        }
    }
    assert!(mails.values().all(|&m| m == 1), "a reset email went twice");
    let report = world.report("report.json");
    let c = &report["counts"];
    // A reset in flight at the kill is unconfirmed, never sent twice.
    assert_eq!(
        c["resetsSent"].as_u64().unwrap() + c["resetsUnconfirmed"].as_u64().unwrap(),
        n as u64
    );
    assert_eq!(c["reconciled"], json!(true), "{report}");
}

#[test]
fn killed_during_preflight_then_rerun() {
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/user/search", "skip": 0}),
        false,
    );
}

#[test]
fn killed_during_an_import_that_commits_then_rerun() {
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/user/import", "skip": 1}),
        true,
    );
}

#[test]
fn killed_during_an_import_that_does_not_commit_then_rerun() {
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/user/import", "skip": 1}),
        false,
    );
}

#[test]
fn killed_while_linking_then_rerun() {
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/identity-provider/link", "skip": 5}),
        true,
    );
}

#[test]
fn killed_while_sending_reset_emails_then_rerun() {
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/user/forgot-password", "skip": 40}),
        true,
    );
}

#[test]
fn killed_while_verifying_then_rerun() {
    // Searches: pre-flight's first, then verification's.
    kill_then_rerun(
        json!({"method": "POST", "path": "/api/user/search", "skip": 1}),
        false,
    );
}

#[test]
fn killed_while_creating_a_group_then_rerun_and_undo_removes_it() {
    let world = World::new(&pool(50, |_, _| {}));
    let mut config = target();
    config["groups"] = json!([]);
    let fa = StandIn::start(&config);
    fa.faults(&json!([{"method": "POST", "path": format!("/api/group/{STAFF}"), "action": "hold", "commit": true}]));
    world.kill_while_held(&fa, "push", &["--create-groups"]);
    let o = world.run("push", &fa.url(), &["--create-groups"]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(state["groups"].as_array().unwrap().len(), 1);
    assert_eq!(state["groups"][0]["name"], json!("staff"));
    let undo = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    let after = fa.state();
    assert!(after["users"].as_array().unwrap().is_empty());
    assert!(
        after["groups"].as_array().unwrap().is_empty(),
        "the run's group is gone"
    );
}

#[test]
fn a_rerun_after_a_fixed_reconversion_imports_only_what_is_missing() {
    let long = "y".repeat(200);
    let broken = pool(300, move |i, u| {
        if i == 123 {
            u["Username"] = json!(long.clone());
        }
    });
    let world = World::new(&broken);
    let fa = StandIn::start(&target());
    let first = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&first), Some(1), "{}", log(&first));
    assert_eq!(user_ids(&fa.state()).len(), 299);
    // The person fixes the export and converts again (a different chunk size, even).
    world.convert(&pool(300, |_, _| {}), 70);
    let before = fa.state()["imports"].as_array().unwrap().len();
    let second = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&second), Some(0), "{}", log(&second));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..300));
    assert_exactly_once(&state);
    let new_imports: Vec<&Value> = state["imports"].as_array().unwrap()[before..]
        .iter()
        .filter(|i| i["users"] != json!(0))
        .collect();
    assert_eq!(new_imports.len(), 1);
    assert_eq!(new_imports[0]["ids"], json!([id(123)]));
    assert_eq!(
        world.report("report.json")["counts"]["importedNow"],
        json!(1)
    );
}

#[test]
fn undo_deletes_exactly_the_runs_users_after_asking() {
    let world = World::new(&pool(80, |_, _| {}));
    let mut config = target();
    config["users"] = json!([
        {"id": id(5), "tenantId": TENANT, "email": email(5)},
        {"id": "0ddba11e-0000-4000-8000-000000000002", "tenantId": TENANT, "email": "someone@else.io"},
    ]);
    let fa = StandIn::start(&config);
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    assert_eq!(user_ids(&fa.state()).len(), 81);
    // Without --yes and without a terminal to ask on, nothing is deleted.
    let refused = world.run("undo", &fa.url(), &[]);
    assert_eq!(code(&refused), Some(2), "{}", log(&refused));
    assert!(
        text(&refused.stderr).contains("79 user(s)"),
        "{}",
        log(&refused)
    );
    assert_eq!(user_ids(&fa.state()).len(), 81);
    let undo = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    let mut left = vec![id(5), "0ddba11e-0000-4000-8000-000000000002".to_owned()];
    left.sort();
    assert_eq!(user_ids(&fa.state()), left);
    assert_eq!(world.report("undo.json")["counts"]["deleted"], json!(79));
    // By explicit ids in the body, never by query.
    let state = fa.state();
    let deletes = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == json!("DELETE"));
    assert!(deletes
        .into_iter()
        .all(|r| r["path"] == json!("/api/user/bulk") && r["query"] == json!("")));
    // Undone users are new again: a push re-imports them.
    let again = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&again), Some(0), "{}", log(&again));
    assert_eq!(user_ids(&fa.state()).len(), 81);
}

#[test]
fn a_bad_key_a_missing_permission_an_unknown_tenant_and_a_missing_group_stop_the_run() {
    let world = World::new(&pool(30, |_, _| {}));
    let fa = StandIn::start(&target());
    let bad = world
        .command("push", &fa.url(), &[])
        .env("FUSIONAUTH_API_KEY", "wrong-key")
        .output()
        .unwrap();
    assert_eq!(code(&bad), Some(2), "{}", log(&bad));
    assert!(text(&bad.stderr).contains("401"), "{}", log(&bad));
    assert!(!text(&bad.stderr).contains("wrong-key"));

    let mut limited = target();
    limited["keys"] = json!({KEY: {"endpoints": {
        "/api/system/version": ["GET"], "/api/tenant": ["GET"], "/api/application": ["GET"],
        "/api/group": ["GET"], "/api/identity-provider": ["GET"], "/api/user/search": ["POST"]}}});
    let fa2 = StandIn::start(&limited);
    let o = world.run("push", &fa2.url(), &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(
        text(&o.stderr).contains("POST /api/user/import"),
        "{}",
        log(&o)
    );
    assert!(fa2.state()["users"].as_array().unwrap().is_empty());

    let o = world.run("push", &fa.url(), &["--tenant-id", OTHER_TENANT]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(
        text(&o.stderr).contains(&format!("the tenant {OTHER_TENANT} does not exist")),
        "{}",
        log(&o)
    );

    let mut no_group = target();
    no_group["groups"] = json!([]);
    let fa3 = StandIn::start(&no_group);
    let o = world.run("push", &fa3.url(), &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(
        text(&o.stderr).contains(&format!(
            "the group {STAFF} (Cognito group 'staff') does not exist"
        )),
        "{}",
        log(&o)
    );
    assert!(fa3.state()["users"].as_array().unwrap().is_empty());
    let o = world.run("push", &fa3.url(), &["--create-groups"]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    assert_eq!(fa3.state()["groups"][0]["id"], json!(STAFF));
}

#[test]
fn several_tenants_need_a_tenant_id() {
    // Files without a tenant id, FusionAuth with two tenants.
    let world = World::new(&pool(20, |_, _| {}));
    let mut files = world.out();
    files.push("users-0001.json");
    let text_file = std::fs::read_to_string(&files)
        .unwrap()
        .replace(&format!("\"tenantId\":\"{TENANT}\","), "");
    std::fs::write(&files, text_file).unwrap();
    let mut config = target();
    config["tenants"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": OTHER_TENANT, "name": "Other"}));
    let fa = StandIn::start(&config);
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(text(&o.stderr).contains("--tenant-id"), "{}", log(&o));
    let o = world.run("push", &fa.url(), &["--tenant-id", TENANT]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
}

#[test]
fn plain_http_to_another_host_is_refused_without_a_request() {
    let world = World::new(&pool(5, |_, _| {}));
    let o = world.run("push", "http://fusionauth.example.com", &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(text(&o.stderr).contains("--allow-http"), "{}", log(&o));
    let no_key = bin()
        .args(["push"])
        .arg(world.out())
        .args(["--url", "https://a.example"])
        .env_remove("FUSIONAUTH_API_KEY")
        .output()
        .unwrap();
    assert_eq!(code(&no_key), Some(2));
    assert!(text(&no_key.stderr).contains("FUSIONAUTH_API_KEY"));
}

#[test]
fn above_the_lookup_limit_the_import_finds_conflicts_under_both_duplicate_answers() {
    for duplicate in [500, 400] {
        let world = World::new(&pool(700, |_, _| {}));
        let mut config = target();
        config["importDuplicateStatus"] = json!(duplicate);
        config["users"] = json!([
            {"id": "0ddba11e-0000-4000-8000-000000000001", "tenantId": TENANT, "email": email(620)},
        ]);
        let fa = StandIn::start(&config);
        let o = world.run("push", &fa.url(), &["--lookup-limit", "10"]);
        assert_eq!(code(&o), Some(1), "{}", log(&o));
        assert!(text(&o.stderr).contains("look-up limit"), "{}", log(&o));
        let state = fa.state();
        assert_eq!(user_ids(&state).len(), 700);
        assert_exactly_once(&state);
        let report = world.report("report.json");
        assert_eq!(report["conflicts"][0]["id"], json!(id(620)));
        assert!(report["conflicts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("[duplicate]user.email"));
        assert_eq!(report["counts"]["reconciled"], json!(true));
        // No per-user look-ups were made.
        let lookups = state["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["path"] == json!("/api/user"))
            .count();
        assert_eq!(lookups, 0);
    }
}

#[test]
fn killed_during_undo_then_undo_again() {
    let world = World::new(&pool(1200, |_, _| {}));
    let mut config = target();
    config["users"] = json!([{"id": id(7), "tenantId": TENANT, "email": email(7)}]);
    let fa = StandIn::start(&config);
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    // The bulk delete commits while the CLI is killed: the journal says a chunk was under way.
    fa.faults(&json!([{"method": "DELETE", "path": "/api/user/bulk", "skip": 1, "action": "hold", "commit": true}]));
    world.kill_while_held(&fa, "undo", &["--yes"]);
    let undo = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert_eq!(user_ids(&fa.state()), [id(7)]);
    // Nothing is left to undo.
    let again = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&again), Some(0), "{}", log(&again));
    assert_eq!(world.report("undo.json")["counts"]["deleted"], json!(0));
}
