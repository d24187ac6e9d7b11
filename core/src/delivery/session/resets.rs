//! Reset emails (`--send-resets`): forgot-password for each user the run imported whom
//! `login-ids.txt` lists — never for a skipped user, a federated-only or a disabled one — at
//! the requested rate. A request whose answer was lost is not sent again
//! (no second mail): it is reported as unconfirmed.

use serde_json::json;

use super::{Flow, Purpose, Resend, Session, Stop, UserState};
use crate::delivery::http::{Answer, Method, Request};
use crate::delivery::journal::{Event, ResetOutcome};
use crate::delivery::report::ResetIssue;

#[derive(Debug, Default)]
pub(super) struct State {
    last_sent: Option<u64>,
    total: Option<u64>,
}

impl Session {
    pub(super) fn resets(&mut self) -> Flow {
        let total = *self.resets.total.get_or_insert_with(|| {
            let (mut listed, mut not) = (0, 0);
            for (i, state) in self.users.iter().enumerate() {
                if *state == UserState::Ours {
                    if self.plan.user(i).password_reset() {
                        listed += 1;
                    } else {
                        not += 1;
                    }
                }
            }
            self.report.counts.resets_not_listed = not;
            listed
        });
        while let Some(&state) = self.users.get(self.cursor) {
            let i = self.cursor;
            let user = self.plan.user(i);
            let id = user.id();
            let login = user.login_id().map(str::to_owned);
            let (Some(login), UserState::Ours, true) = (login, state, user.password_reset()) else {
                self.cursor += 1;
                continue;
            };
            match self.journal.reset(id) {
                Some(Some(outcome)) => {
                    self.count_reset(outcome);
                    self.cursor += 1;
                    continue;
                }
                Some(None) => {
                    // Sent before a crash, answer unknown: not sent twice.
                    self.reset_outcome(
                        i,
                        ResetOutcome::Unconfirmed,
                        Some("the run stopped before FusionAuth answered".into()),
                    );
                    continue;
                }
                None => {}
            }
            let interval = (1000.0 / self.options.reset_rate.max(0.001)) as u64;
            if let Some(last) = self.resets.last_sent {
                if self.now < last + interval {
                    return Flow::Wait(last + interval);
                }
            }
            self.progress = (
                self.report.counts.resets_sent + self.report.counts.resets_failed,
                total,
            );
            self.resets.last_sent = Some(self.now);
            self.record(Event::ResetSending { id: id.to_string() });
            let request = Request::new(Method::Post, "/api/user/forgot-password")
                .json(&json!({"loginId": login, "sendForgotPasswordEmail": true}));
            return Flow::Send(Purpose::Reset(i), request, Resend::Throttled);
        }
        Flow::Next
    }

    pub(super) fn on_reset(&mut self, i: usize, answer: Answer) -> Result<(), Stop> {
        let error = Some(answer.describe());
        match answer.code() {
            Some(200) => self.reset_outcome(i, ResetOutcome::Sent, None),
            Some(404) => self.reset_outcome(i, ResetOutcome::NotFound, error),
            Some(422) => self.reset_outcome(i, ResetOutcome::NoEmail, error),
            Some(403) => {
                self.reset_outcome(i, ResetOutcome::Disabled, error);
                self.report.step(
                    "resets",
                    "stopped",
                    Some("FusionAuth answered 403: the forgot-password email is disabled (no template) \
                          on the tenant or application; set one and run push again to send the rest"
                        .into()),
                );
                self.cursor = self.users.len();
            }
            None | Some(500 | 502 | 504) => self.reset_outcome(i, ResetOutcome::Unconfirmed, error),
            Some(_) => self.reset_outcome(i, ResetOutcome::Failed, error),
        }
        Ok(())
    }

    fn reset_outcome(&mut self, i: usize, outcome: ResetOutcome, error: Option<String>) {
        let id = self.plan.users[i].id.to_string();
        self.record(Event::ResetDone {
            id: id.clone(),
            outcome,
        });
        self.count_reset(outcome);
        if outcome != ResetOutcome::Sent {
            self.report
                .reset_issues
                .push(ResetIssue { id, outcome, error });
        }
        self.cursor = i + 1;
    }

    fn count_reset(&mut self, outcome: ResetOutcome) {
        let c = &mut self.report.counts;
        match outcome {
            ResetOutcome::Sent => c.resets_sent += 1,
            ResetOutcome::Unconfirmed => c.resets_unconfirmed += 1,
            _ => c.resets_failed += 1,
        }
    }
}
