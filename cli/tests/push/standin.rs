//! The FusionAuth stand-in (`tests/standin/fusionauth_standin.py`), started and stopped by
//! each test on a free loopback port. FusionAuth cannot run on these machines: the stand-in
//! follows the documented behaviour of the APIs a push uses, faults included.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) struct StandIn {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    port: u16,
    agent: ureq::Agent,
}

impl StandIn {
    /// Starts a stand-in holding `config` (the body of `POST /_standin/config`).
    pub(crate) fn start(config: &Value) -> Self {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/standin/fusionauth_standin.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs the stand-in");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("ready line");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let standin = Self {
            child,
            _stdout: stdout,
            port,
            agent,
        };
        standin.control("config", config);
        standin
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn control(&self, what: &str, body: &Value) -> Value {
        let mut answer = self
            .agent
            .post(&format!("{}/_standin/{what}", self.url()))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .expect("control call");
        assert_eq!(answer.status().as_u16(), 200, "control {what}");
        let text = answer.body_mut().read_to_string().expect("control answer");
        serde_json::from_str(&text).expect("control answer is JSON")
    }

    /// Replaces the fault rules.
    pub(crate) fn faults(&self, rules: &Value) {
        self.control("faults", rules);
    }

    /// Releases held requests.
    pub(crate) fn release(&self) {
        self.control("release", &Value::Null);
    }

    /// Users, links, groups and the logs of requests, imports and forgot-password calls.
    pub(crate) fn state(&self) -> Value {
        let mut answer = self
            .agent
            .get(&format!("{}/_standin/state", self.url()))
            .call()
            .expect("state");
        let text = answer
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_string()
            .expect("state");
        serde_json::from_str(&text).expect("state is JSON")
    }

    /// Waits until `n` requests are held by a `hold` fault.
    pub(crate) fn wait_held(&self, n: u64) {
        let start = Instant::now();
        while self.state()["held"].as_u64().unwrap_or(0) < n {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no request was held"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
