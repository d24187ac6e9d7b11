//! The page's side of "Send to FusionAuth": what the person typed, what the running push
//! reported, and the requests that start, stop and confirm it. The worker runs the push
//! (crate::delivery); nothing here decides what FusionAuth's answers mean.

use cognito_fusionauth::delivery::{base_url, Counts, PushReport};
use js_sys::Array;
use leptos::prelude::*;

use crate::client;
use crate::protocol::{ApiKey, PushCommand, Request, Target};
use crate::state::Download;

/// The most reset emails per second the console sends.
pub const MAX_RESET_RATE: f64 = 1000.0;

/// The FusionAuth this console was built for (`make dist FUSIONAUTH_ORIGIN=…`, which puts
/// it alone in the page's `connect-src`), if any.
pub fn pinned_origin() -> Option<&'static str> {
    option_env!("FUSIONAUTH_ORIGIN").filter(|o| !o.is_empty())
}

/// One step's progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepBar {
    /// `preflight`, `import`, ...
    pub step: String,
    /// Units done.
    pub done: u64,
    /// Units in all.
    pub total: u64,
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What ran.
    pub command: PushCommand,
    /// Its report.
    pub report: PushReport,
    /// FusionAuth could not be reached from the page (CORS, most often).
    pub unreachable: bool,
    /// `push-report.json`.
    pub download: Option<Download>,
}

/// The "Send to FusionAuth" section's state; `Copy`, like the console's.
#[derive(Debug, Clone, Copy)]
pub struct PushView {
    /// FusionAuth's URL.
    pub url: RwSignal<String>,
    /// The API key: in this signal only, gone on reload.
    pub key: RwSignal<String>,
    /// "Create missing groups".
    pub create_groups: RwSignal<bool>,
    /// "Send reset emails" (only after the person confirmed).
    pub send_resets: RwSignal<bool>,
    /// The confirmation of "Send reset emails" is showing.
    pub asking_resets: RwSignal<bool>,
    /// "Reset emails per second", as typed.
    pub reset_rate: RwSignal<String>,
    /// The command running, if one is.
    pub running: RwSignal<Option<PushCommand>>,
    /// The running command's steps so far.
    pub steps: RwSignal<Vec<StepBar>>,
    /// The running command's counts.
    pub counts: RwSignal<Option<Counts>>,
    /// Undo waits for the person: users and groups it will delete.
    pub confirm: RwSignal<Option<(usize, usize)>>,
    /// The last command's outcome.
    pub outcome: RwSignal<Option<Outcome>>,
    /// Why a command could not start.
    pub failure: RwSignal<Option<String>>,
}

impl Default for PushView {
    fn default() -> Self {
        Self::new()
    }
}

impl PushView {
    /// Empty fields, nothing run.
    pub fn new() -> Self {
        Self {
            url: RwSignal::new(pinned_origin().unwrap_or_default().to_owned()),
            key: RwSignal::new(String::new()),
            create_groups: RwSignal::new(false),
            send_resets: RwSignal::new(false),
            asking_resets: RwSignal::new(false),
            reset_rate: RwSignal::new("5".into()),
            running: RwSignal::new(None),
            steps: RwSignal::new(Vec::new()),
            counts: RwSignal::new(None),
            confirm: RwSignal::new(None),
            outcome: RwSignal::new(None),
            failure: RwSignal::new(None),
        }
    }

    /// Starts `command` in the worker, for the tenant of the settings, or says why it cannot
    /// start.
    pub fn start(&self, tenant_id: Option<String>, command: PushCommand) {
        if self.running.get_untracked().is_some() {
            return;
        }
        let target = target(
            &self.url.get_untracked(),
            tenant_id,
            self.create_groups.get_untracked(),
            self.send_resets.get_untracked(),
            &self.reset_rate.get_untracked(),
        );
        let key = self.key.get_untracked().trim().to_owned();
        let target = match (target, key.is_empty()) {
            (Err(message), _) => Err(message),
            (Ok(_), true) => Err("enter an API key".to_owned()),
            (Ok(target), false) => Ok(target),
        };
        match target {
            Err(message) => self.failure.set(Some(message)),
            Ok(target) => {
                self.failure.set(None);
                self.steps.set(Vec::new());
                self.counts.set(None);
                self.confirm.set(None);
                if let Some(old) = self.outcome.get_untracked().and_then(|o| o.download) {
                    client::revoke(&old);
                }
                self.outcome.set(None);
                self.running.set(Some(command));
                client::send(
                    Request::Push {
                        command,
                        target,
                        key: ApiKey(key),
                    },
                    Array::new(),
                );
            }
        }
    }

    /// Asks the worker to stop after the request in flight.
    pub fn stop(&self) {
        client::send(Request::StopPush, Array::new());
    }

    /// The person's answer to undo's question.
    pub fn answer_undo(&self, yes: bool) {
        self.confirm.set(None);
        client::send(Request::ConfirmUndo { yes }, Array::new());
    }

    /// A step moved on.
    pub fn on_progress(&self, step: String, done: u64, total: u64, counts: Counts) {
        self.steps
            .update(|steps| match steps.iter_mut().find(|s| s.step == step) {
                Some(bar) => {
                    bar.done = done;
                    bar.total = total;
                }
                None => steps.push(StepBar { step, done, total }),
            });
        self.counts.set(Some(counts));
    }

    /// The push ended.
    pub fn on_finished(&self, report: PushReport, unreachable: bool, download: Option<Download>) {
        let command = self.running.get_untracked().unwrap_or(PushCommand::Send);
        self.running.set(None);
        self.confirm.set(None);
        self.counts.set(Some(report.counts.clone()));
        self.outcome.set(Some(Outcome {
            command,
            report,
            unreachable,
            download,
        }));
    }

    /// The push could not start.
    pub fn on_failed(&self, message: String) {
        self.running.set(None);
        self.failure.set(Some(message));
    }
}

/// The target as typed: the URL checked as the command line checks it (HTTPS, or plain
/// HTTP to this machine), the reset rate a number in (0, [`MAX_RESET_RATE`]].
///
/// # Errors
/// What is wrong with the URL or the rate, in words for the person.
pub fn target(
    url: &str,
    tenant_id: Option<String>,
    create_groups: bool,
    send_resets: bool,
    reset_rate: &str,
) -> Result<Target, String> {
    if url.trim().is_empty() {
        return Err("enter FusionAuth's URL".into());
    }
    let url = base_url(url, false).map_err(|e| e.to_string())?;
    if let Some(pinned) = pinned_origin() {
        let (scheme, rest) = url.split_once("://").unwrap_or_default();
        let origin = format!("{scheme}://{}", rest.split('/').next().unwrap_or_default());
        if !origin.eq_ignore_ascii_case(pinned.trim_end_matches('/')) {
            return Err(format!(
                "this console is built to reach {pinned} only (its Content-Security-Policy allows no other FusionAuth)"
            ));
        }
    }
    let reset_rate: f64 = reset_rate
        .trim()
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0 && *r <= MAX_RESET_RATE)
        .ok_or_else(|| {
            format!("reset emails per second: a number above 0 and at most {MAX_RESET_RATE}")
        })?;
    Ok(Target {
        url,
        tenant_id,
        create_groups,
        send_resets,
        reset_rate,
    })
}

/// What FusionAuth's CORS settings must allow for this page, at `origin`.
pub fn cors_help(origin: &str) -> String {
    format!(
        "In FusionAuth, under Settings → System → CORS: turn Enabled on; add {origin} to \
         Allowed origins; allow the methods GET, POST and DELETE (keep OPTIONS); the \
         Authorization and X-FusionAuth-TenantId headers are allowed by default. Then check \
         again. If CORS is already set so, check the URL and that FusionAuth is running."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_checked_before_anything_is_sent() {
        let t = target("https://auth.example.com/", None, true, false, "5").unwrap();
        assert_eq!(t.url, "https://auth.example.com");
        assert!(t.create_groups);
        assert!(target("http://127.0.0.1:9011", None, false, false, "0.5").is_ok());
        let e = target("http://auth.example.com", None, false, false, "5").unwrap_err();
        assert!(e.contains("plain HTTP"), "{e}");
        assert!(target("", None, false, false, "5").is_err());
        for rate in ["0", "-1", "abc", "1001", "NaN"] {
            assert!(
                target("https://a.io", None, false, false, rate).is_err(),
                "{rate}"
            );
        }
    }

    #[test]
    fn the_cors_help_names_the_origin_verbatim() {
        let help = cors_help("https://console.example.com");
        assert!(help.contains("add https://console.example.com to Allowed origins"));
        assert!(help.contains("GET, POST and DELETE"));
    }
}
