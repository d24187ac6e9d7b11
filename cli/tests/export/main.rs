//! `cognito-fusionauth export` against a real Cognito emulator (moto's server), compared with
//! the pool's ground truth as boto3 reads it: every user, attribute and group; interrupted and
//! resumed exports; a fault-injecting proxy for throttling, server errors and pacing; the file
//! mode; and the round trip through `convert`. `export --mfa` has its own module, and so do
//! names planted beside the output (`planted`: symlinks, stale files of a killed run).
//!
//! moto_server must be on PATH (scripts/setup.sh installs it); without it these tests fail.

mod mfa;
mod moto;
mod planted;
mod proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{json, Value};

use moto::{aws_env, Moto};
use proxy::{Answer, Proxy};

/// The tests' way to interrupt an export after a number of pages.
const STOP_AFTER_PAGES: &str = "COGNITO_FUSIONAUTH_EXPORT_STOP_AFTER_PAGES";

fn export_command(endpoint: &str, pool: &str, out: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cognito-fusionauth"));
    aws_env(&mut command)
        .args(["export", "--user-pool-id", pool, "--endpoint-url", endpoint])
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove(STOP_AFTER_PAGES);
    command
}

fn export(endpoint: &str, pool: &str, out: &Path, extra: &[&str]) -> Output {
    export_command(endpoint, pool, out, extra)
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", out.display()))
}

/// Users by username, in the form `pool.py truth` prints: attributes as sorted name/value
/// pairs, and sorted groups when the export has them.
fn by_username(users: &[Value]) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for u in users {
        let mut attributes: Vec<Value> = u["Attributes"]
            .as_array()
            .expect("Attributes")
            .iter()
            .map(|a| json!([a["Name"], a["Value"]]))
            .collect();
        attributes.sort_by_key(|a| a.to_string());
        let mut user = json!({
            "Username": u["Username"],
            "Attributes": attributes,
            "UserCreateDate": u["UserCreateDate"],
            "UserLastModifiedDate": u["UserLastModifiedDate"],
            "Enabled": u["Enabled"],
            "UserStatus": u["UserStatus"],
        });
        if let Some(groups) = u.get("Groups").and_then(Value::as_array) {
            let mut groups = groups.clone();
            groups.sort_by_key(|g| g.to_string());
            user["Groups"] = groups.into();
        }
        let name = u["Username"].as_str().expect("Username").to_owned();
        assert!(map.insert(name.clone(), user).is_none(), "{name} twice");
    }
    map
}

/// The export at `out` holds exactly the pool's users, each with every attribute (and every
/// group when `groups`), as boto3 reads them.
fn assert_matches_truth(out: &Path, truth: &Value, groups: bool) {
    let exported: Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    let exported = by_username(exported["Users"].as_array().expect("Users"));
    let mut expected = by_username(truth["users"].as_array().unwrap());
    if !groups {
        for user in expected.values_mut() {
            user.as_object_mut().unwrap().remove("Groups");
        }
    }
    assert_eq!(exported.len(), expected.len(), "user count");
    for (name, user) in &expected {
        assert_eq!(exported.get(name), Some(user), "user {name}");
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn export_holds_every_user_attribute_and_group_of_the_pool() {
    let moto = Moto::start();
    let pool = moto.seed(300);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(&moto.endpoint, &pool, &out, &["--groups"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "data goes to the file, not stdout");

    let truth = moto.truth(&pool);
    assert_matches_truth(&out, &truth, true);
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600, "the export holds personal data");
    assert!(!sibling(&out, ".partial").exists());
    assert!(!sibling(&out, ".checkpoint").exists());

    // The pages: 60 users each, never cut short by the client.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("{\"Users\":[\n") && text.ends_with("\n]}\n"));
    let members = truth["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["Groups"] != json!([]))
        .count();
    let e = stderr(&o);
    assert!(
        e.contains(&format!("3 groups; {members} users are in at least one")),
        "{e}"
    );
    for expected in [
        "exported 300 users in 5 pages",
        "CONFIRMED",
        "FORCE_CHANGE_PASSWORD",
        "RESET_REQUIRED",
        "UNCONFIRMED",
        "0 throttled retries",
        "custom attributes of the pool (4)",
        "custom:plan: String, mutable, length 1..32",
        "custom:seats: Number, mutable, 0..1000",
        "custom:joined: DateTime, immutable",
    ] {
        assert!(e.contains(expected), "{expected:?} in:\n{e}");
    }

    // The round trip: `convert` reads the export.
    let converted = dir.path().join("converted");
    let c = Command::new(env!("CARGO_BIN_EXE_cognito-fusionauth"))
        .args(["convert", "--seed", "1", "--out"])
        .arg(&converted)
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    let report: Value =
        serde_json::from_slice(&std::fs::read(converted.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["usersRead"], 300);
    assert_eq!(report["summary"]["imported"], 300);
    let chunk: Value =
        serde_json::from_slice(&std::fs::read(converted.join("users-0001.json")).unwrap()).unwrap();
    let user0 = chunk["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "user0000")
        .expect("user0000 imported");
    assert_eq!(
        user0["data"]["cognito"]["groups"],
        json!(["admins", "beta", "staff"])
    );
    assert_eq!(user0["active"], false, "user0000 is disabled");
}

#[test]
fn an_interrupted_export_resumes_where_it_stopped() {
    let moto = Moto::start();
    let pool = moto.seed(200);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let (partial, checkpoint) = (sibling(&out, ".partial"), sibling(&out, ".checkpoint"));

    let o = export_command(&moto.endpoint, &pool, &out, &[])
        .env(STOP_AFTER_PAGES, "2")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the export stopped: 120 users from 2 pages are saved in")
            && e.contains("--resume to continue"),
        "{e}"
    );
    assert!(!out.exists(), "no output before the listing is complete");
    #[cfg(unix)]
    {
        assert_eq!(mode(&partial), 0o600);
        assert_eq!(mode(&checkpoint), 0o600);
    }
    let saved: Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    assert_eq!(
        (saved["usersWritten"].clone(), saved["pages"].clone()),
        (json!(120), json!(2))
    );
    assert!(saved["paginationToken"].is_string());

    // Killed in the middle of the third page: half a user after the checkpoint.
    let mut cut = std::fs::read(&partial).unwrap();
    cut.extend_from_slice(b",\n{\"Username\":\"user01");
    std::fs::write(&partial, cut).unwrap();

    // Starting again without --resume would lose the work: refused.
    let o = export(&moto.endpoint, &pool, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("pass --resume to continue it"),
        "{}",
        stderr(&o)
    );
    // So is resuming another pool, or with --groups when the checkpoint has none.
    let o = export(&moto.endpoint, "us-east-1_other", &out, &["--resume"]);
    assert!(
        stderr(&o).contains("is the checkpoint of user pool"),
        "{}",
        stderr(&o)
    );
    let o = export(&moto.endpoint, &pool, &out, &["--resume", "--groups"]);
    assert!(stderr(&o).contains("resume without it"), "{}", stderr(&o));

    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exported 200 users in 4 pages")
            && stderr(&o).contains("(80 in this run)"),
        "{}",
        stderr(&o)
    );
    assert_matches_truth(&out, &moto.truth(&pool), false);
    assert!(!partial.exists() && !checkpoint.exists());

    // Nothing left to resume.
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nothing to resume"), "{}", stderr(&o));
}

#[test]
fn a_token_cognito_no_longer_accepts_restarts_the_listing_without_duplicates() {
    let moto = Moto::start();
    let pool = moto.seed(200);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let checkpoint = sibling(&out, ".checkpoint");

    let o = export_command(&moto.endpoint, &pool, &out, &["--groups"])
        .env(STOP_AFTER_PAGES, "2")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let mut saved: Value = serde_json::from_slice(&std::fs::read(&checkpoint).unwrap()).unwrap();
    saved["paginationToken"] = "expired-token".into();
    std::fs::write(&checkpoint, saved.to_string()).unwrap();

    // Interrupted again after the restart's first page: the next resume must keep skipping.
    let o = export_command(&moto.endpoint, &pool, &out, &["--groups", "--resume"])
        .env(STOP_AFTER_PAGES, "3")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Cognito no longer accepts the saved pagination token (InvalidToken")
            && stderr(&o).contains("without the 120 users already in"),
        "{}",
        stderr(&o)
    );

    let o = export(&moto.endpoint, &pool, &out, &["--groups", "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("exported 200 users")
            && stderr(&o).contains(
                "120 users listed again after the listing started over were not written twice"
            ),
        "{}",
        stderr(&o)
    );
    assert_matches_truth(&out, &moto.truth(&pool), true);
}

#[test]
fn throttling_and_server_errors_are_retried_counted_and_kept_under_the_quota() {
    let moto = Moto::start();
    let pool = moto.seed(250);
    // Of every ten requests: two throttled, one 500, one 503; each retry is a later request,
    // so every request eventually goes through.
    let proxy = Proxy::start(
        &moto.addr,
        Box::new(|n, _, _| match n % 10 {
            2 | 5 => Answer::Throttle,
            7 => Answer::ServerError,
            9 => Answer::Unavailable,
            _ => Answer::Forward,
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(&proxy.endpoint, &pool, &out, &["--groups"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_matches_truth(&out, &moto.truth(&pool), true);

    let seen = proxy.seen();
    let count = |answers: &[Answer]| seen.iter().filter(|s| answers.contains(&s.answer)).count();
    let (throttled, failed) = (
        count(&[Answer::Throttle]),
        count(&[Answer::ServerError, Answer::Unavailable]),
    );
    assert!(throttled >= 2 && failed >= 2, "{seen:#?}");
    let e = stderr(&o);
    assert!(e.contains(&format!("{} requests (", seen.len())), "{e}");
    assert!(
        e.contains(&format!(
            "{throttled} throttled retries, {failed} other retries"
        )),
        "{e}"
    );

    // ListUsers asks for full pages and follows the token to the end.
    let list_users: Vec<_> = seen.iter().filter(|s| s.operation == "ListUsers").collect();
    assert!(
        list_users.iter().all(|s| s.body.contains("\"Limit\":60")),
        "{list_users:#?}"
    );
    assert!(list_users.len() >= 5);
    assert!(busiest_second(&user_list_times(&seen)) <= 30);
}

/// The times of the requests of the UserList quota (30 RPS, not adjustable).
fn user_list_times(seen: &[proxy::Seen]) -> Vec<std::time::Instant> {
    seen.iter()
        .filter(|s| s.operation == "ListUsers" || s.operation == "ListUsersInGroup")
        .map(|s| s.at)
        .collect()
}

/// The most requests within any one second.
fn busiest_second(times: &[std::time::Instant]) -> usize {
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t < times[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn requests_are_paced_under_the_quota_however_fast_cognito_answers() {
    // The proxy plays a Cognito that answers at once: 80 ListUsers pages of one user each
    // (short pages with a token: the listing must go on to the end).
    const PAGES: usize = 80;
    let proxy = Proxy::start(
        "127.0.0.1:9",
        Box::new(|_, operation, body| {
            let request: Value = serde_json::from_str(body).unwrap_or_default();
            Answer::Json(match operation {
                "DescribeUserPool" => json!({"UserPool": {
                    "Id": "us-east-1_fast", "EstimatedNumberOfUsers": PAGES, "SchemaAttributes": []
                }}),
                _ => {
                    let page: usize = request["PaginationToken"]
                        .as_str()
                        .map_or(0, |t| t.parse().unwrap());
                    let mut answer = json!({"Users": [{
                        "Username": format!("u{page}"),
                        "Attributes": [{"Name": "sub", "Value": format!("00000000-0000-4000-8000-{page:012}")}],
                        "UserCreateDate": 1_700_000_000.5, "UserLastModifiedDate": 1_700_000_000.5,
                        "Enabled": true, "UserStatus": "CONFIRMED"
                    }]});
                    if page + 1 < PAGES {
                        answer["PaginationToken"] = (page + 1).to_string().into();
                    }
                    answer
                }
            }
            .to_string())
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pool.json");
    let o = export(&proxy.endpoint, "us-east-1_fast", &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("exported {PAGES} users in {PAGES} pages")));

    // 25 requests per second, evenly spaced (40 ms), however fast the answers come. The times
    // are the proxy's: one request the loaded machine delays arrives late and the next on
    // time, so any k requests span at least k - 1 slots, less a delay's worth of slack.
    let times = user_list_times(&proxy.seen());
    assert_eq!(times.len(), PAGES);
    for i in 0..times.len() {
        for j in i + 1..times.len() {
            let span = times[j] - times[i];
            let slots = Duration::from_millis(40 * (j - i) as u64);
            assert!(
                span + Duration::from_millis(35) >= slots,
                "{span:?} for {} ListUsers gaps",
                j - i
            );
        }
    }
    assert!(
        busiest_second(&times) <= 27,
        "{} in a second",
        busiest_second(&times)
    );
    assert!(times[PAGES - 1] - times[0] >= Duration::from_millis(39 * (PAGES as u64 - 1)));
}

#[test]
fn a_request_that_keeps_failing_stops_the_export_and_says_what_was_written() {
    let moto = Moto::start();
    let pool = moto.seed(150);
    let dir = tempfile::tempdir().unwrap();

    // No such pool: nothing written, and the request is named.
    let out = dir.path().join("none.json");
    let o = export(&moto.endpoint, "us-east-1_nosuchpool", &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("the export stopped before writing any user")
            && e.contains("DescribeUserPool failed after 1 attempt(s)")
            && e.contains("ResourceNotFoundException"),
        "{e}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    // ListUsers fails from its third page on: two attempts, then the export stops.
    let list_users = AtomicUsize::new(0);
    let proxy = Proxy::start(
        &moto.addr,
        Box::new(move |_, operation, _| {
            if operation == "ListUsers" && list_users.fetch_add(1, Ordering::SeqCst) >= 2 {
                Answer::ServerError
            } else {
                Answer::Forward
            }
        }),
    );
    let out = dir.path().join("pool.json");
    let o = export(&proxy.endpoint, &pool, &out, &["--max-attempts", "2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("the export stopped: 120 users from 2 pages are saved in")
            && e.contains("ListUsers (page 3) failed after 2 attempt(s)")
            && e.contains("InternalErrorException: injected by the test proxy (HTTP 500)"),
        "{e}"
    );
    assert_eq!(
        proxy.seen().len(),
        5,
        "DescribeUserPool, 2 pages, 2 attempts"
    );

    // Once Cognito answers again, the export resumes.
    let o = export(&moto.endpoint, &pool, &out, &["--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_matches_truth(&out, &moto.truth(&pool), false);
}
