//! Links (`links.json`) for the users the run imported: each link is looked up first (an
//! identical link counts as done; one to another user is a conflict) and created once; a
//! create whose answer is not a 200 is looked up again to learn what happened.

use serde_json::{json, Value};

use super::{Flow, Purpose, Resend, Session, Stop, UserState};
use crate::delivery::http::{Answer, Method, Request};
use crate::delivery::journal::Event;
use crate::delivery::report::LinkIssue;

/// Attempts to create one link before it is reported as failed.
const LINK_ATTEMPTS: u32 = 3;

#[derive(Debug, Default)]
pub(super) struct State {
    /// The next request is the create of the link at the cursor.
    create: bool,
    /// The last create's failure.
    error: Option<String>,
    /// A link of the current user is not in place.
    user_failed: bool,
}

impl Session {
    pub(super) fn links(&mut self) -> Flow {
        self.progress = (self.cursor as u64, self.plan.links.len() as u64);
        while let Some(link) = self.plan.links.get(self.cursor) {
            let link = &link.identity_provider_link;
            let user = self.plan.position(&link.user_id);
            if user.map(|i| self.users[i]) != Some(UserState::Ours)
                || user.is_some_and(|i| self.journal.linked(self.plan.users[i].id))
            {
                self.cursor += 1;
                continue;
            }
            if self.links.create {
                self.links.create = false;
                let body = json!({"identityProviderLink": link});
                let request = Request::new(Method::Post, "/api/identity-provider/link").json(&body);
                return Flow::Send(Purpose::LinkCreate(self.cursor), request, Resend::Never);
            }
            let request = Request::new(Method::Get, "/api/identity-provider/link")
                .query("identityProviderId", link.identity_provider_id.clone())
                .query(
                    "identityProviderUserId",
                    link.identity_provider_user_id.clone(),
                );
            return Flow::Send(Purpose::LinkGet(self.cursor), request, Resend::Transient);
        }
        Flow::Next
    }

    pub(super) fn on_link(&mut self, purpose: Purpose, answer: Answer) -> Result<(), Stop> {
        match purpose {
            Purpose::LinkGet(k) => match answer.code() {
                Some(200) => {
                    let body = answer.json().unwrap_or(Value::Null);
                    let holder = body
                        .pointer("/identityProviderLink/userId")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let ours = self.plan.links[k].identity_provider_link.user_id.clone();
                    if holder == ours {
                        if self.attempts > 0 {
                            self.report.counts.links_created += 1;
                        } else {
                            self.report.counts.links_existing += 1;
                        }
                        self.link_done(k, None);
                    } else {
                        self.report.counts.link_conflicts += 1;
                        self.link_done(k, Some(format!(
                            "the provider's user id is already linked to another FusionAuth user ({holder})"
                        )));
                    }
                }
                Some(404) if self.attempts < LINK_ATTEMPTS => self.links.create = true,
                Some(404) => {
                    self.report.counts.link_failures += 1;
                    let error = self.links.error.take().unwrap_or_default();
                    self.link_done(
                        k,
                        Some(format!("FusionAuth did not create the link: {error}")),
                    );
                }
                _ => {
                    return Err(Stop(format!(
                        "FusionAuth answered {} to GET /api/identity-provider/link",
                        answer.describe()
                    )))
                }
            },
            Purpose::LinkCreate(k) => {
                self.attempts += 1;
                if answer.code() == Some(200) {
                    self.report.counts.links_created += 1;
                    self.link_done(k, None);
                } else {
                    // 409 (linked to another user), 400 (already linked, or refused), or no
                    // answer: the look-up tells which.
                    self.links.error = Some(answer.describe());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The link at `k` is settled; when it was the user's last, the journal records the user
    /// as linked (if every link is in place).
    fn link_done(&mut self, k: usize, problem: Option<String>) {
        let link = self.plan.links[k].identity_provider_link.clone();
        if let Some(reason) = problem {
            self.links.user_failed = true;
            self.report.link_issues.push(LinkIssue {
                user_id: link.user_id.clone(),
                identity_provider_id: link.identity_provider_id.clone(),
                reason,
            });
        }
        self.attempts = 0;
        self.links.error = None;
        self.cursor += 1;
        let next_user = self
            .plan
            .links
            .get(self.cursor)
            .map(|l| l.identity_provider_link.user_id.as_str());
        if next_user != Some(link.user_id.as_str()) && !std::mem::take(&mut self.links.user_failed)
        {
            self.record(Event::Linked { id: link.user_id });
        }
    }
}
