//! A Cognito pool, converted into a folder, and the FusionAuth it is pushed to.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::standin::StandIn;

pub(crate) const TENANT: &str = "11111111-1111-4111-8111-111111111111";
pub(crate) const OTHER_TENANT: &str = "11111111-1111-4111-8111-222222222222";
pub(crate) const APP: &str = "22222222-2222-4222-8222-222222222222";
pub(crate) const STAFF: &str = "33333333-3333-4333-8333-333333333333";
pub(crate) const GOOGLE: &str = "82339786-3dff-42a6-aac6-1f1ceecb6c46";
/// The API key of every test; each test checks that it appears in no output.
pub(crate) const KEY: &str = "test-key-5b1d9c0e7a3f4e21b8c6d4f0a9e7b3c1";
const TEMPLATE: &str = "44444444-4444-4444-8444-444444444444";

/// The FusionAuth id of pool user `i` (its Cognito `sub`).
pub(crate) fn id(i: usize) -> String {
    format!("5ca1ab1e-0000-4000-8000-{i:012x}")
}

pub(crate) fn email(i: usize) -> String {
    format!("user{i}@example.com")
}

/// A list-users export of `n` users: every 7th has a Google identity, every 5th is in the
/// `staff` group; `tweak` edits user `i`.
pub(crate) fn pool(n: usize, tweak: impl Fn(usize, &mut Value)) -> Value {
    let users: Vec<Value> = (0..n)
        .map(|i| {
            let mut attributes = vec![
                json!({"Name": "sub", "Value": id(i)}),
                json!({"Name": "email", "Value": email(i)}),
                json!({"Name": "email_verified", "Value": "true"}),
                json!({"Name": "given_name", "Value": format!("Given{i}")}),
            ];
            if i % 7 == 3 {
                let identities = json!([{"userId": format!("10{i:08}"), "providerName": "Google",
                    "providerType": "Google", "issuer": null, "primary": true, "dateCreated": 1_700_000_000_000u64}]);
                attributes.push(json!({"Name": "identities", "Value": identities.to_string()}));
            }
            let mut user = json!({
                "Username": format!("user{i}"),
                "Attributes": attributes,
                "UserCreateDate": 1_700_000_000.5,
                "UserLastModifiedDate": 1_700_000_100.5,
                "Enabled": true,
                "UserStatus": "CONFIRMED",
            });
            if i % 5 == 1 {
                user["Groups"] = json!(["staff"]);
            }
            tweak(i, &mut user);
            user
        })
        .collect();
    json!({ "Users": users })
}

/// A temporary folder with the export, the rules and the converted output.
pub(crate) struct World {
    pub(crate) tmp: tempfile::TempDir,
}

impl World {
    /// Converts `pool` (500 users per import file) into `out/`.
    pub(crate) fn new(pool: &Value) -> Self {
        let world = Self {
            tmp: tempfile::tempdir().unwrap(),
        };
        world.convert(pool, 500);
        world
    }

    pub(crate) fn out(&self) -> PathBuf {
        self.tmp.path().join("out")
    }

    /// Converts `pool` again into `out/` (the push folder stays).
    pub(crate) fn convert(&self, pool: &Value, chunk: usize) {
        let export = self.tmp.path().join("pool.json");
        std::fs::write(&export, pool.to_string()).unwrap();
        let rules = self.tmp.path().join("rules.json");
        let defaults = bin().arg("rules").output().unwrap();
        let mut r: Value = serde_json::from_slice(&defaults.stdout).unwrap();
        r["settings"]["tenantId"] = json!(TENANT);
        r["settings"]["registrations"] = json!([{"applicationId": APP, "roles": ["user"]}]);
        r["settings"]["groups"] = json!({"staff": STAFF});
        std::fs::write(&rules, r.to_string()).unwrap();
        let o = bin()
            .args(["convert", "--on-duplicate", "keep-newest", "--seed", "1"])
            .args(["--chunk-size", &chunk.to_string()])
            .arg("--rules")
            .arg(&rules)
            .arg("--out")
            .arg(self.out())
            .arg(&export)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }

    /// Runs `cognito-fusionauth <command> out --url <standin> <args>` with the key in the
    /// environment; checks the key appears nowhere.
    pub(crate) fn run(&self, command: &str, url: &str, args: &[&str]) -> Output {
        let o = self.command(command, url, args).output().unwrap();
        self.assert_no_key(&o);
        o
    }

    pub(crate) fn command(&self, command: &str, url: &str, args: &[&str]) -> Command {
        let mut c = bin();
        c.arg(command)
            .arg(self.out())
            .args(["--url", url])
            .args(args)
            .env("FUSIONAUTH_API_KEY", KEY);
        c
    }

    /// Runs `command` until the stand-in holds a request (a `hold` fault), kills it with
    /// SIGKILL there, then lets the stand-in answer the request nobody waits for any more.
    pub(crate) fn kill_while_held(&self, fa: &StandIn, command: &str, args: &[&str]) {
        let mut child = self
            .command(command, &fa.url(), args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        fa.wait_held(1);
        child.kill().unwrap();
        child.wait().unwrap();
        fa.release();
    }

    /// The key is in no output, journal or report.
    pub(crate) fn assert_no_key(&self, o: &Output) {
        assert!(!text(&o.stdout).contains(KEY) && !text(&o.stderr).contains(KEY));
        let push = self.out().join("push");
        for dir in std::fs::read_dir(&push).into_iter().flatten() {
            for entry in std::fs::read_dir(dir.unwrap().path()).into_iter().flatten() {
                let path = entry.unwrap().path();
                let content = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(!content.contains(KEY), "the key is in {}", path.display());
            }
        }
    }

    /// `DIR/push/<FusionAuth>/` of the one FusionAuth the tests pushed to.
    pub(crate) fn run_dir(&self) -> PathBuf {
        let dirs = self.run_dirs();
        assert_eq!(dirs.len(), 1, "one FusionAuth, one run folder: {dirs:?}");
        dirs[0].clone()
    }

    /// Every `DIR/push/<FusionAuth>/`.
    pub(crate) fn run_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(self.out().join("push"))
            .into_iter()
            .flatten()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs
    }

    /// A report of the run folder.
    pub(crate) fn report(&self, name: &str) -> Value {
        let path = self.run_dir().join(name);
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    }

    pub(crate) fn journal(&self) -> String {
        std::fs::read_to_string(self.run_dir().join("journal.jsonl")).unwrap()
    }
}

/// The FusionAuth the pool goes to: one tenant (with a reset template), the application
/// with its role, the `staff` group, Google, and the test key (a super key).
pub(crate) fn target() -> Value {
    json!({
        "keys": {KEY: {}},
        "tenants": [{"id": TENANT, "name": "Migration", "changePasswordIdTimeToLiveInSeconds": 600,
                     "forgotPasswordEmailTemplateId": TEMPLATE}],
        "applications": [{"id": APP, "tenantId": TENANT, "name": "App", "roles": ["user", "admin"]}],
        "groups": [{"id": STAFF, "tenantId": TENANT, "name": "staff"}],
        "identityProviders": [{"id": GOOGLE, "type": "Google", "name": "Google", "enabled": true, "tenantId": null}],
    })
}

pub(crate) fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cognito-fusionauth"))
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Ids of the users FusionAuth holds.
pub(crate) fn user_ids(state: &Value) -> Vec<String> {
    let mut ids: Vec<String> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The permission bits of a file.
pub(crate) fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
