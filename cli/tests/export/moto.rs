//! moto's server (the Cognito emulator) on a free loopback port, one per test, and the pool
//! script (`pool.py`) that seeds it and reads its ground truth with boto3.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The dummy credentials moto accepts, and no other AWS setting of the machine: every child
/// process (the export, the pool script) gets these.
pub(crate) fn aws_env(command: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&key);
        }
    }
    command
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

/// A running `moto_server`; stopped when dropped, or when the test process ends.
pub(crate) struct Moto {
    /// `http://127.0.0.1:PORT`.
    pub(crate) endpoint: String,
    /// The address, for the proxy.
    pub(crate) addr: String,
    shell: Child,
    /// Closing it tells the shell to stop moto (the pipe also closes if the tests abort).
    stdin: Option<ChildStdin>,
}

impl Moto {
    /// Starts moto's server and waits until it accepts connections.
    pub(crate) fn start() -> Moto {
        assert!(
            on_path("moto_server"),
            "moto_server is not on PATH: the export tests run against moto's Cognito emulator. \
             Install it with `python3 -m pip install \"moto[server,cognitoidp]==5.2.1\"` \
             (scripts/setup.sh does)."
        );
        let port = free_port();
        // The shell stops moto when its stdin closes, so no moto outlives the tests.
        let mut shell = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & pid=$!; read _; kill $pid; wait $pid"
            ))
            .stdin(Stdio::piped())
            .spawn()
            .expect("sh starts");
        let stdin = shell.stdin.take();
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(&addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not start on {addr}"
            );
            if let Ok(Some(status)) = shell.try_wait() {
                panic!("moto_server exited: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            endpoint: format!("http://{addr}"),
            addr,
            shell,
            stdin,
        }
    }

    /// Seeds a pool of `users` users; returns its id.
    pub(crate) fn seed(&self, users: usize) -> String {
        let seeded = pool_script(&["seed", &self.endpoint, &users.to_string()]);
        seeded["userPoolId"].as_str().expect("a pool id").to_owned()
    }

    /// The pool's users and groups as boto3 reads them (see `pool.py`).
    pub(crate) fn truth(&self, pool: &str) -> Value {
        pool_script(&["truth", &self.endpoint, pool])
    }

    /// Sets up MFA for some users of a seeded pool; every user's MFA as AdminGetUser reads it
    /// back: `{"mfa": {username: {"methods": [...], "preferred": "..."}}}` (see `pool.py`).
    pub(crate) fn set_up_mfa(&self, pool: &str) -> Value {
        pool_script(&["mfa", &self.endpoint, pool])
    }
}

/// Deletes a user of the pool at `endpoint`, and creates it again under the same name (another
/// `sub`, no MFA) when `recreate`.
pub(crate) fn delete_user(endpoint: &str, pool: &str, username: &str, recreate: bool) {
    let mut args = vec!["delete", endpoint, pool, username];
    if recreate {
        args.push("recreate");
    }
    pool_script(&args);
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let _ = self.shell.wait();
    }
}

fn pool_script(args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/export/pool.py");
    let out = aws_env(Command::new("python3").arg(script).args(args))
        .output()
        .expect("python3 runs (moto's install brings boto3)");
    assert!(
        out.status.success(),
        "pool.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("pool.py prints JSON")
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir: PathBuf| dir.join(program).is_file())
    })
}

/// A port nobody listens on now.
pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
