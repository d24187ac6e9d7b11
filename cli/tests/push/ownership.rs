//! A run touches only what it made, on the FusionAuth it made it on: its journal is bound to
//! one FusionAuth and tenant, a user counts as the run's only when it carries the run's marker
//! (`data.cognitoFusionauthRun`), redirects are never followed, ids never reach a path
//! unchecked, and a journal cut short by a crash resumes any number of times. Against the
//! FusionAuth stand-in (FusionAuth cannot run here), with users made through its side door as
//! the Connector would make them.

use std::io::Write;

use serde_json::{json, Value};

use crate::standin::StandIn;
use crate::world::*;
use crate::{assert_exactly_once, code, ids, log};

/// Pool user `i` as the Connector makes it: same id (the `sub`) and email, no run marker.
fn connector_user(i: usize) -> Value {
    json!({"id": id(i), "tenantId": TENANT, "email": email(i), "data": {"migratedFrom": "cognito"}})
}

/// Emails FusionAuth was asked to send a reset to.
fn mailed(state: &Value) -> Vec<String> {
    state["forgotPassword"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["sendEmail"] == json!(true))
        .map(|r| r["loginId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn undo_and_push_against_another_fusionauth_never_touch_its_users() {
    let n = 40;
    let world = World::new(&pool(n, |_, _| {}));
    let staging = StandIn::start(&target());
    let o = world.run("push", &staging.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    // Production: the Connector has migrated every user there already.
    let mut prod_config = target();
    prod_config["users"] = json!((0..n).map(connector_user).collect::<Vec<_>>());
    let prod = StandIn::start(&prod_config);
    let undo = world.run("undo", &prod.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert_eq!(
        user_ids(&prod.state()),
        ids(0..n),
        "nobody deleted on production"
    );
    assert!(prod.state()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["method"] != json!("DELETE")));
    let push = world.run("push", &prod.url(), &["--send-resets"]);
    assert_eq!(code(&push), Some(0), "{}", log(&push));
    assert!(
        mailed(&prod.state()).is_empty(),
        "nobody mailed on production"
    );
    assert_eq!(world.run_dirs().len(), 2, "a run folder per FusionAuth");
    let undo = world.run("undo", &prod.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert_eq!(user_ids(&prod.state()), ids(0..n));
    // Staging's run is still its own: its undo removes exactly its users.
    let undo = world.run("undo", &staging.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert!(user_ids(&staging.state()).is_empty());
}

#[test]
fn another_tenant_on_the_same_fusionauth_is_refused_naming_both() {
    let world = World::new(&pool(10, |_, _| {}));
    let mut config = target();
    config["tenants"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": OTHER_TENANT, "name": "Other"}));
    let fa = StandIn::start(&config);
    let o = world.run("push", &fa.url(), &["--tenant-id", TENANT]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let before = fa.state()["requests"].as_array().unwrap().len();
    for command in ["push", "verify", "undo"] {
        let o = world.run(
            command,
            &fa.url(),
            &["--tenant-id", OTHER_TENANT, "--yes"][..if command == "undo" { 3 } else { 2 }],
        );
        assert_eq!(code(&o), Some(2), "{command}: {}", log(&o));
        let err = text(&o.stderr);
        assert!(err.contains(TENANT) && err.contains(OTHER_TENANT), "{err}");
    }
    assert_eq!(
        fa.state()["requests"].as_array().unwrap().len(),
        before,
        "refused before any request"
    );
    // Without naming a tenant, the run goes on in its own.
    let v = world.run("verify", &fa.url(), &[]);
    assert_eq!(code(&v), Some(0), "{}", log(&v));
}

#[test]
fn a_user_the_connector_makes_while_its_batch_is_lost_is_skipped_not_mailed_not_undone() {
    let n = 30;
    let world = World::new(&pool(n, |_, _| {}));
    let fa = StandIn::start(&target());
    // The first import is lost (the connection drops, nothing committed) and, at that moment,
    // user 7 logs in through the Connector.
    fa.faults(
        &json!([{"method": "POST", "path": "/api/user/import", "action": "drop",
        "sideDoor": [connector_user(7)]}]),
    );
    let o = world.run(
        "push",
        &fa.url(),
        &["--send-resets", "--reset-rate", "1000"],
    );
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..n));
    assert!(!mailed(&state).contains(&email(7)), "not mailed");
    assert_eq!(mailed(&state).len(), n - 1);
    let report = world.report("report.json");
    assert_eq!(report["counts"]["skipped"], json!(1));
    assert_eq!(report["skipped"][0]["id"], json!(id(7)));
    let undo = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert_eq!(
        user_ids(&fa.state()),
        vec![id(7)],
        "the Connector's user stays"
    );
}

#[test]
fn a_user_the_connector_makes_between_preflight_and_its_batch_is_skipped() {
    let n = 20;
    let world = World::new(&pool(n, |_, _| {}));
    let fa = StandIn::start(&target());
    // The import arrives after user 3 logged in through the Connector: FusionAuth refuses
    // the batch (a duplicate), the look-up finds user 3 without the run's marker.
    fa.faults(
        &json!([{"method": "POST", "path": "/api/user/import", "action": "delay",
        "seconds": 0, "sideDoor": [connector_user(3)]}]),
    );
    let o = world.run(
        "push",
        &fa.url(),
        &["--send-resets", "--reset-rate", "1000"],
    );
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_exactly_once(&state);
    assert_eq!(user_ids(&state), ids(0..n));
    assert!(!mailed(&state).contains(&email(3)));
    assert_eq!(
        world.report("report.json")["skipped"][0]["id"],
        json!(id(3))
    );
    let users = state["users"].as_array().unwrap();
    let marked = users
        .iter()
        .filter(|u| u["data"]["cognitoFusionauthRun"].is_string())
        .count();
    assert_eq!(
        marked,
        n - 1,
        "every user the run imported carries its marker"
    );
}

#[test]
fn a_journal_cut_short_resumes_any_number_of_times() {
    let n = 60;
    let world = World::new(&pool(n, |_, _| {}));
    let fa = StandIn::start(&target());
    let args = [
        "--batch-size",
        "10",
        "--send-resets",
        "--reset-rate",
        "1000",
    ];
    for skip in [1, 1, 1] {
        fa.faults(
            &json!([{"method": "POST", "path": "/api/user/import", "skip": skip,
            "action": "hold", "commit": true}]),
        );
        world.kill_while_held(&fa, "push", &args);
        // The crash also cut the last line short.
        let mut journal = std::fs::OpenOptions::new()
            .append(true)
            .open(world.run_dir().join("journal.jsonl"))
            .unwrap();
        journal
            .write_all(br#"{"event":"sending","ids":["5ca1"#)
            .unwrap();
    }
    fa.faults(&json!([]));
    let o = world.run("push", &fa.url(), &args);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..n));
    assert_exactly_once(&state);
    let journal = world.journal();
    assert!(journal.ends_with('\n') && !journal.contains("\"ids\":[\"5ca1\n"));
    let v = world.run("verify", &fa.url(), &[]);
    assert_eq!(code(&v), Some(0), "{}", log(&v));
    let undo = world.run("undo", &fa.url(), &["--yes"]);
    assert_eq!(code(&undo), Some(0), "{}", log(&undo));
    assert!(user_ids(&fa.state()).is_empty());
}

#[test]
fn redirects_are_never_followed() {
    let world = World::new(&pool(25, |_, _| {}));
    let elsewhere = StandIn::start(&target());
    let fa = StandIn::start(&target());
    // A maintenance page answers the first import with a redirect to another host.
    fa.faults(
        &json!([{"method": "POST", "path": "/api/user/import", "action": "status",
        "status": 302, "location": format!("{}/api/user/import", elsewhere.url())}]),
    );
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(0), "{}", log(&o));
    let state = fa.state();
    assert_eq!(user_ids(&state), ids(0..25));
    assert_exactly_once(&state);
    assert!(
        elsewhere.state()["requests"].as_array().unwrap().is_empty(),
        "the key never went to the redirect's host"
    );
    // A redirect where pre-flight expects FusionAuth stops the run.
    let world = World::new(&pool(5, |_, _| {}));
    fa.faults(
        &json!([{"path": "/api/system/version", "action": "status", "status": 301,
        "location": format!("{}/api/system/version", elsewhere.url())}]),
    );
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(text(&o.stderr).contains("redirect"), "{}", log(&o));
    assert!(elsewhere.state()["requests"].as_array().unwrap().is_empty());
}

#[test]
fn hostile_ids_and_urls_are_refused_before_any_request() {
    let world = World::new(&pool(5, |_, _| {}));
    let fa = StandIn::start(&target());
    let o = world.run("push", &fa.url(), &["--tenant-id", "../user/bulk"]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(
        text(&o.stderr).contains("not a FusionAuth id"),
        "{}",
        log(&o)
    );
    let port = fa.url().rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("http://user@127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}\\@evil.example"),
        format!("http://127.0.0.1:{port}/?x=1"),
    ] {
        let o = world.run("push", &url, &[]);
        assert_eq!(code(&o), Some(2), "{url}: {}", log(&o));
    }
    assert!(fa.state()["requests"].as_array().unwrap().is_empty());
    // An id in the folder that is not a UUID stops the run before any request, naming it.
    let file = world.out().join("users-0001.json");
    let text_of = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text_of.replace(APP, "../../api/user/bulk")).unwrap();
    let o = world.run("push", &fa.url(), &[]);
    assert_eq!(code(&o), Some(2), "{}", log(&o));
    assert!(text(&o.stderr).contains("users-0001.json"), "{}", log(&o));
    assert!(fa.state()["requests"].as_array().unwrap().is_empty());
}
