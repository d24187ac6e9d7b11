//! `export --mfa` against moto: each user's `UserMFASettingList` and `PreferredMfaSetting` from
//! AdminGetUser, merged into the file; the file otherwise byte for byte what an export without
//! `--mfa` writes; a kill in the middle and the resume; users deleted between ListUsers and
//! AdminGetUser; a request the policy denies; throttling; the pacing at `--mfa-rate`; and
//! `convert` carrying the methods to `data.cognito.mfa`.
//!
//! moto 5.2.1 reports SMS_MFA and SOFTWARE_TOKEN_MFA, not EMAIL_OTP (pool.py says why); a fake
//! Cognito behind the proxy answers EMAIL_OTP.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::moto::{delete_user, Moto};
use super::proxy::{Answer, Proxy};
use super::{
    assert_matches_truth, busiest_second, export, export_command, sibling, stderr, user_list_times,
};

/// A user's MFA as the export wrote it: `(UserMFASettingList, PreferredMfaSetting)`, `None`
/// for each key left out.
type Written = (Option<Value>, Option<Value>);

fn written_mfa(user: &Value) -> Written {
    (
        user.get("UserMFASettingList").cloned(),
        user.get("PreferredMfaSetting").cloned(),
    )
}

/// What the export should write for a user whose AdminGetUser said `truth`
/// (`{"methods", "preferred"}`): each key only when it has a value.
fn expected_mfa(truth: &Value) -> Written {
    let methods = truth["methods"].as_array().expect("methods");
    let preferred = truth["preferred"].as_str().expect("preferred");
    (
        (!methods.is_empty()).then(|| json!(methods)),
        (!preferred.is_empty()).then(|| json!(preferred)),
    )
}

/// The users of a list-users document (or of the whole pages of a partial file), by username.
fn users_by_name(text: &str) -> BTreeMap<String, Value> {
    let body = text.strip_prefix("{\"Users\":[\n").expect("the header");
    body.lines()
        .map(|l| l.trim_end_matches(','))
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let user: Value = serde_json::from_str(l).expect("a user line");
            (user["Username"].as_str().unwrap().to_owned(), user)
        })
        .collect()
}

/// Every user of `text` carries the MFA keys `truth` gives it, and no others.
fn assert_mfa_matches(text: &str, truth: &Value) {
    let users = users_by_name(text);
    assert!(!users.is_empty());
    for (name, user) in &users {
        assert_eq!(
            written_mfa(user),
            expected_mfa(&truth["mfa"][name]),
            "user {name}"
        );
    }
}

/// `text` without the two keys `--mfa` adds.
fn without_mfa_keys(text: &str) -> String {
    let mut text = text.to_owned();
    for (key, end) in [
        (",\"UserMFASettingList\":[", ']'),
        (",\"PreferredMfaSetting\":\"", '"'),
    ] {
        while let Some(start) = text.find(key) {
            let value = start + key.len();
            let stop = value + text[value..].find(end).expect("the value's end") + 1;
            text.replace_range(start..stop, "");
        }
    }
    text
}

/// Users with MFA set up in the truth, and per method.
fn mfa_counts(truth: &Value) -> (usize, BTreeMap<String, usize>) {
    let mut users = 0;
    let mut methods = BTreeMap::new();
    for settings in truth["mfa"].as_object().unwrap().values() {
        let list = settings["methods"].as_array().unwrap();
        if !list.is_empty() || settings["preferred"] != "" {
            users += 1;
        }
        for m in list {
            *methods.entry(m.as_str().unwrap().to_owned()).or_insert(0) += 1;
        }
    }
    (users, methods)
}

/// `convert` of `input` into `dir`: the imported users by username.
fn convert(input: &Path, dir: &Path) -> BTreeMap<String, Value> {
    let c = Command::new(env!("CARGO_BIN_EXE_cognito-fusionauth"))
        .args(["convert", "--seed", "1", "--out"])
        .arg(dir)
        .arg(input)
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    let chunk: Value =
        serde_json::from_slice(&std::fs::read(dir.join("users-0001.json")).unwrap()).unwrap();
    chunk["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["username"].as_str().unwrap().to_owned(), u.clone()))
        .collect()
}

#[test]
fn export_mfa_adds_each_users_mfa_settings_and_changes_nothing_else() {
    let moto = Moto::start();
    let pool = moto.seed(130);
    let truth = moto.set_up_mfa(&pool);
    let (users_with_mfa, methods) = mfa_counts(&truth);
    // SMS alone, a software token alone, both; preferred or not.
    let kinds: Vec<Written> = truth["mfa"]
        .as_object()
        .unwrap()
        .values()
        .map(expected_mfa)
        .collect();
    for kind in [
        (Some(json!(["SMS_MFA"])), Some(json!("SMS_MFA"))),
        (Some(json!(["SMS_MFA"])), None),
        (
            Some(json!(["SOFTWARE_TOKEN_MFA"])),
            Some(json!("SOFTWARE_TOKEN_MFA")),
        ),
        (
            Some(json!(["SOFTWARE_TOKEN_MFA", "SMS_MFA"])),
            Some(json!("SOFTWARE_TOKEN_MFA")),
        ),
        (None, None),
    ] {
        assert!(kinds.contains(&kind), "the pool has {kind:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    let (plain, with_mfa) = (dir.path().join("plain.json"), dir.path().join("mfa.json"));
    // Without --mfa: no AdminGetUser, and no MFA key but ListUsers' own MFAOptions.
    let proxy = Proxy::start(&moto.addr, Box::new(|_, _, _| Answer::Forward));
    let o = export(&proxy.endpoint, &pool, &plain, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(proxy
        .seen()
        .iter()
        .all(|s| s.operation == "DescribeUserPool" || s.operation == "ListUsers"));
    assert!(!stderr(&o).contains("AdminGetUser"), "{}", stderr(&o));
    let plain_text = std::fs::read_to_string(&plain).unwrap();
    assert!(!plain_text.contains("UserMFASettingList") && !plain_text.contains("PreferredMfa"));

    let o = export(&moto.endpoint, &pool, &with_mfa, &["--mfa"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    let methods_line = methods
        .iter()
        .map(|(m, n)| format!("{m} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    for expected in [
        "exported 130 users in 3 pages".to_owned(),
        "130 AdminGetUser requests in this run".to_owned(),
        format!("{users_with_mfa} users have MFA set up: {methods_line}"),
    ] {
        assert!(e.contains(&expected), "{expected:?} in:\n{e}");
    }
    assert!(!e.contains("deleted between"), "{e}");
    let mfa_text = std::fs::read_to_string(&with_mfa).unwrap();
    assert_mfa_matches(&mfa_text, &truth);
    assert_matches_truth(&with_mfa, &moto.truth(&pool), false);
    // Take the two keys away and the file is, byte for byte, the one without --mfa.
    assert_eq!(without_mfa_keys(&mfa_text), plain_text);
    assert_ne!(mfa_text, plain_text);

    // `convert` reads the keys: the default rules copy the methods to `data.cognito.mfa`.
    let converted = convert(&with_mfa, &dir.path().join("converted"));
    assert_eq!(converted.len(), 130);
    for (name, settings) in truth["mfa"].as_object().unwrap() {
        let mut expected: Vec<Value> = settings["methods"].as_array().unwrap().clone();
        if settings["preferred"] != "" && !expected.contains(&settings["preferred"]) {
            expected.push(settings["preferred"].clone());
        }
        let mfa = &converted[name]["data"]["cognito"]["mfa"];
        if expected.is_empty() {
            assert!(mfa.is_null(), "{name}: {mfa}");
        } else {
            assert_eq!(mfa, &json!(expected), "{name}");
        }
    }
}

#[test]
fn a_killed_mfa_export_resumes_without_losing_mfa_or_reading_written_pages_again() {
    let moto = Moto::start();
    let pool = moto.seed(130);
    let truth = moto.set_up_mfa(&pool);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let (partial, checkpoint) = (sibling(&out, ".partial"), sibling(&out, ".checkpoint"));

    // The 76th AdminGetUser (the second page's 16th) is held until the export is killed.
    let (held, release) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let reads = AtomicUsize::new(0);
    let (rule_held, rule_release) = (held.clone(), release.clone());
    let proxy = Proxy::start(
        &moto.addr,
        Box::new(move |_, operation, _| {
            if operation == "AdminGetUser" && reads.fetch_add(1, Ordering::SeqCst) == 75 {
                rule_held.store(true, Ordering::SeqCst);
                while !rule_release.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            Answer::Forward
        }),
    );
    let mut child = export_command(&proxy.endpoint, &pool, &out, &["--mfa"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !held.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the export never reached page 2");
        assert!(child.try_wait().unwrap().is_none(), "the export ended");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    release.store(true, Ordering::SeqCst);
    drop(proxy);

    assert!(!out.exists());
    let saved: Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    assert_eq!(
        [
            &saved["version"],
            &saved["mfa"],
            &saved["usersWritten"],
            &saved["pages"]
        ],
        [&json!(2), &json!(true), &json!(60), &json!(1)]
    );
    // The saved page carries its users' MFA already.
    let bytes = saved["partialBytes"].as_u64().unwrap() as usize;
    let text = std::fs::read_to_string(&partial).unwrap();
    let first_page = users_by_name(&text[..bytes]);
    assert_eq!(first_page.len(), 60);
    assert_mfa_matches(&text[..bytes], &truth);

    // Resuming without --mfa would mix users with and without it: refused.
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("was made with --mfa: resume with it"),
        "{}",
        stderr(&o)
    );

    let proxy = Proxy::start(&moto.addr, Box::new(|_, _, _| Answer::Forward));
    let o = export(&proxy.endpoint, &pool, &out, &["--mfa", "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (users_with_mfa, _) = mfa_counts(&truth);
    let e = stderr(&o);
    for expected in [
        "exported 130 users in 3 pages".to_owned(),
        "(70 in this run)".to_owned(),
        "70 AdminGetUser requests in this run".to_owned(),
        format!("{users_with_mfa} users have MFA set up"),
    ] {
        assert!(e.contains(&expected), "{expected:?} in:\n{e}");
    }
    // The resume starts at the second page, and reads no user of the first one again.
    let seen = proxy.seen();
    let list_users: Vec<_> = seen.iter().filter(|s| s.operation == "ListUsers").collect();
    assert!(
        list_users[0].body.contains("PaginationToken"),
        "{list_users:#?}"
    );
    let reads: Vec<_> = seen
        .iter()
        .filter(|s| s.operation == "AdminGetUser")
        .collect();
    assert_eq!(reads.len(), 70);
    for read in reads {
        let name: Value = serde_json::from_str(&read.body).unwrap();
        assert!(!first_page.contains_key(name["Username"].as_str().unwrap()));
    }
    assert_mfa_matches(&std::fs::read_to_string(&out).unwrap(), &truth);
    assert_matches_truth(&out, &moto.truth(&pool), false);
    assert!(!partial.exists() && !checkpoint.exists());
}

#[test]
fn users_deleted_before_their_admin_get_user_keep_their_list_users_data_and_faults_are_retried() {
    let moto = Moto::start();
    let pool = moto.seed(70);
    let truth = moto.set_up_mfa(&pool);
    let before = moto.truth(&pool);
    // On the last page (a user created again earlier would be listed again on a later page),
    // user0066 is deleted once ListUsers has listed it, and user0061 deleted and created again
    // under the same name (another sub); both had MFA. Some reads are throttled or fail.
    let deleted = Mutex::new(Vec::new());
    let reads = AtomicUsize::new(0);
    let (endpoint, pool_id) = (moto.endpoint.clone(), pool.clone());
    let proxy = Proxy::start(
        &moto.addr,
        Box::new(move |_, operation, body| {
            if operation != "AdminGetUser" {
                return Answer::Forward;
            }
            for (name, recreate) in [("user0066", false), ("user0061", true)] {
                let mut deleted = deleted.lock().unwrap();
                if body.contains(&format!("\"Username\":\"{name}\"")) && !deleted.contains(&name) {
                    delete_user(&endpoint, &pool_id, name, recreate);
                    deleted.push(name);
                    return Answer::Forward;
                }
            }
            match reads.fetch_add(1, Ordering::SeqCst) % 20 {
                3 | 13 => Answer::Throttle,
                7 => Answer::ServerError,
                _ => Answer::Forward,
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(&proxy.endpoint, &pool, &out, &["--mfa"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Both are written as ListUsers listed them, without MFA keys; everyone else with theirs.
    assert_matches_truth(&out, &before, false);
    let users = users_by_name(&std::fs::read_to_string(&out).unwrap());
    for (name, user) in &users {
        let expected = if name == "user0066" || name == "user0061" {
            assert_ne!(expected_mfa(&truth["mfa"][name]), (None, None));
            (None, None)
        } else {
            expected_mfa(&truth["mfa"][name])
        };
        assert_eq!(written_mfa(user), expected, "user {name}");
    }

    let seen = proxy.seen();
    let count = |answer: Answer| seen.iter().filter(|s| s.answer == answer).count();
    let (throttled, failed) = (count(Answer::Throttle), count(Answer::ServerError));
    assert!(throttled >= 3 && failed >= 1, "{throttled} {failed}");
    let e = stderr(&o);
    for expected in [
        format!("{} requests (", seen.len()),
        format!("{throttled} throttled retries, {failed} other retries"),
        format!(
            "{} AdminGetUser requests in this run",
            seen.iter()
                .filter(|s| s.operation == "AdminGetUser")
                .count()
        ),
        "2 users were deleted between ListUsers and AdminGetUser: written with their ListUsers \
         data, without MFA settings"
            .to_owned(),
    ] {
        assert!(e.contains(&expected), "{expected:?} in:\n{e}");
    }
}

#[test]
fn an_admin_get_user_the_policy_denies_stops_the_export_naming_the_user() {
    let moto = Moto::start();
    let pool = moto.seed(70);
    let truth = moto.set_up_mfa(&pool);
    let proxy = Proxy::start(
        &moto.addr,
        Box::new(|_, operation, body| {
            if operation == "AdminGetUser" && body.contains("\"Username\":\"user0065\"") {
                Answer::Denied
            } else {
                Answer::Forward
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(&proxy.endpoint, &pool, &out, &["--mfa"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the export stopped: 60 users from 1 pages are saved in")
            && e.contains("AdminGetUser of user \"user0065\" (page 2) failed after 1 attempt(s)")
            && e.contains("AccessDeniedException: User: arn:aws:iam::123456789012:user/exporter")
            && e.contains("(HTTP 400)"),
        "{e}"
    );
    assert_eq!(
        proxy
            .seen()
            .iter()
            .filter(|s| s.answer == Answer::Denied)
            .count(),
        1,
        "not retried"
    );

    // Once the policy allows it, the export resumes with the second page.
    let o = export(&moto.endpoint, &pool, &out, &["--mfa", "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("(10 in this run)"), "{}", stderr(&o));
    assert_mfa_matches(&std::fs::read_to_string(&out).unwrap(), &truth);
    assert_matches_truth(&out, &moto.truth(&pool), false);
}

#[test]
fn mfa_reads_are_paced_at_the_mfa_rate_and_email_otp_reaches_convert() {
    // A Cognito that answers at once: 3 pages of 60 users. AdminGetUser as Cognito answers it
    // (keys left out when empty): user n gets every method, preferring EMAIL_OTP, when n % 3
    // is 0; a software token, no preference, when it is 1; nothing otherwise.
    const PAGES: usize = 3;
    const USERS: usize = 60 * PAGES;
    let sub = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    let proxy = Proxy::start(
        "127.0.0.1:9",
        Box::new(move |_, operation, body| {
            let request: Value = serde_json::from_str(body).unwrap_or_default();
            Answer::Json(
                match operation {
                    "DescribeUserPool" => json!({"UserPool": {
                        "Id": "us-east-1_fast", "EstimatedNumberOfUsers": USERS, "SchemaAttributes": []
                    }}),
                    "AdminGetUser" => {
                        let name = request["Username"].as_str().unwrap();
                        let n: usize = name[1..].parse().unwrap();
                        let mut answer = json!({
                            "Username": name,
                            "UserAttributes": [{"Name": "sub", "Value": sub(n)}],
                            "Enabled": true, "UserStatus": "CONFIRMED"
                        });
                        match n % 3 {
                            0 => {
                                answer["UserMFASettingList"] =
                                    json!(["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]);
                                answer["PreferredMfaSetting"] = json!("EMAIL_OTP");
                            }
                            1 => answer["UserMFASettingList"] = json!(["SOFTWARE_TOKEN_MFA"]),
                            _ => {}
                        }
                        answer
                    }
                    _ => {
                        let page: usize = request["PaginationToken"]
                            .as_str()
                            .map_or(0, |t| t.parse().unwrap());
                        let users: Vec<Value> = (page * 60..page * 60 + 60)
                            .map(|n| {
                                json!({
                                    "Username": format!("u{n}"),
                                    "Attributes": [
                                        {"Name": "sub", "Value": sub(n)},
                                        {"Name": "email", "Value": format!("u{n}@example.com")},
                                        {"Name": "email_verified", "Value": "true"}
                                    ],
                                    "UserCreateDate": 1_700_000_000.5,
                                    "UserLastModifiedDate": 1_700_000_000.5,
                                    "Enabled": true, "UserStatus": "CONFIRMED"
                                })
                            })
                            .collect();
                        let mut answer = json!({ "Users": users });
                        if page + 1 < PAGES {
                            answer["PaginationToken"] = (page + 1).to_string().into();
                        }
                        answer
                    }
                }
                .to_string(),
            )
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(
        &proxy.endpoint,
        "us-east-1_fast",
        &out,
        &["--mfa", "--mfa-rate", "40"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{USERS} AdminGetUser requests in this run"))
            && e.contains(
                "120 users have MFA set up: EMAIL_OTP 60, SMS_MFA 60, SOFTWARE_TOKEN_MFA 120"
            ),
        "{e}"
    );

    // 40 a second (25 ms apart), however fast the answers come. The times are the proxy's,
    // which serves one connection at a time: requests that wait for it while the loaded
    // machine delays it arrive together, so any k of them span k - 1 slots less some slack.
    let seen = proxy.seen();
    let times: Vec<Instant> = seen
        .iter()
        .filter(|s| s.operation == "AdminGetUser")
        .map(|s| s.at)
        .collect();
    assert_eq!(times.len(), USERS);
    let mut worst = Duration::ZERO;
    for i in 0..times.len() {
        for j in i + 1..times.len() {
            let slots = Duration::from_millis(25 * (j - i) as u64);
            worst = worst.max(slots.saturating_sub(times[j] - times[i]));
        }
    }
    // A stall of the proxy under load lets up to a quarter of a second's requests bunch up;
    // the default rate (60) or none at all would be far outside this.
    assert!(worst <= Duration::from_millis(250), "{worst:?} early");
    assert!(busiest_second(&times) <= 50, "{}", busiest_second(&times));
    assert!(busiest_second(&user_list_times(&seen)) <= 27);

    // Every method, EMAIL_OTP included, reaches `data.cognito.mfa`.
    let converted = convert(&out, &dir.path().join("converted"));
    assert_eq!(
        converted["u0"]["data"]["cognito"]["mfa"],
        json!(["SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"])
    );
    assert_eq!(
        converted["u1"]["data"]["cognito"]["mfa"],
        json!(["SOFTWARE_TOKEN_MFA"])
    );
    assert!(converted["u2"]["data"]["cognito"]["mfa"].is_null());
}

#[test]
fn mfa_rate_needs_mfa_and_a_sensible_number() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    for (extra, message) in [
        (&["--mfa-rate", "10"][..], "--mfa"),
        (
            &["--mfa", "--mfa-rate", "0"][..],
            "not a rate from 1 to 10000",
        ),
        (
            &["--mfa", "--mfa-rate", "NaN"][..],
            "not a rate from 1 to 10000",
        ),
    ] {
        let o = export_command("http://127.0.0.1:9", "us-east-1_x", &out, extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&o).contains(message), "{extra:?}: {}", stderr(&o));
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
