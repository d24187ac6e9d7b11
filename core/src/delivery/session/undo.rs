//! Undo: hard-deletes exactly the users the run imported (never a skipped or pre-existing
//! one), by explicit id in chunks of at most 10,000, after the person confirms; then the
//! groups the run created. Resumable like the rest: a chunk under way is sent again.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::{found_users, Flow, Purpose, Resend, Session, Step, Stop, SEARCH_CHUNK};
use crate::delivery::http::{Answer, Method, Request};
use crate::delivery::ids::UserId;
use crate::delivery::journal::Event;

/// Ids per bulk delete (FusionAuth's default `limit`).
const DELETE_CHUNK: usize = 10_000;

#[derive(Debug, Default)]
pub(super) struct State {
    candidates: Vec<UserId>,
    probed: bool,
    present: Vec<UserId>,
    chunk: Vec<String>,
    groups: Vec<String>,
    /// Candidates found in FusionAuth without the run's marker: left alone.
    not_ours: u64,
    /// A group that carries the run's marker: deleted next.
    group_to_delete: Option<String>,
}

impl Session {
    pub(super) fn undo(&mut self) -> Flow {
        match self.step {
            Step::UndoPlan => {
                if self.journal.target.is_none() {
                    // No push of this run reached this FusionAuth: nothing here is the run's,
                    // and nothing is asked of it.
                    self.report.warnings.push(format!(
                        "no push of these users to {} is recorded: nothing to undo",
                        self.options.url
                    ));
                    self.step = Step::UndoGroups;
                    return Flow::Next;
                }
                if !self.undo.probed {
                    self.undo.probed = true;
                    let mut ids: BTreeSet<UserId> =
                        self.journal.undo_candidates().into_iter().collect();
                    ids.extend(
                        self.journal
                            .deleting
                            .iter()
                            .filter_map(|id| UserId::parse(id)),
                    );
                    self.undo.candidates = ids.into_iter().collect();
                    self.undo.groups = self.journal.groups.iter().cloned().collect();
                    // The key may bulk delete (a dry run of a nil id deletes nothing).
                    let request = Request::new(Method::Delete, "/api/user/bulk").json(&json!({
                        "userIds": ["00000000-0000-0000-0000-000000000000"], "dryRun": true, "hardDelete": true
                    }));
                    return Flow::Send(Purpose::UndoDelete, request, Resend::Transient);
                }
                let start = self.cursor;
                let end = (start + SEARCH_CHUNK).min(self.undo.candidates.len());
                if start < end {
                    self.cursor = end;
                    self.progress = (start as u64, self.undo.candidates.len() as u64);
                    let request = self.search_ids(
                        self.undo.candidates[start..end]
                            .iter()
                            .map(UserId::to_string),
                    );
                    return Flow::Send(Purpose::UndoSearch(start..end), request, Resend::Transient);
                }
                if self.undo.not_ours > 0 {
                    self.report.warnings.push(format!(
                        "{} user(s) the run sent are in FusionAuth without this run's marker (made \
                         elsewhere with the same id, e.g. by the Connector or another run): left alone",
                        self.undo.not_ours
                    ));
                }
                Flow::Next
            }
            Step::UndoConfirm => {
                if self.undo.present.is_empty() && self.undo.groups.is_empty() {
                    self.forget_absent();
                    self.step = Step::UndoGroups;
                    return Flow::Next;
                }
                Flow::Confirm(self.undo.present.len(), self.undo.groups.len())
            }
            Step::UndoDelete => {
                self.progress = (self.report.counts.deleted, self.undo.present.len() as u64);
                let start = self.cursor;
                let end = (start + DELETE_CHUNK).min(self.undo.present.len());
                if start >= end {
                    return Flow::Next;
                }
                self.cursor = end;
                self.undo.chunk = self.undo.present[start..end]
                    .iter()
                    .map(UserId::to_string)
                    .collect();
                self.record(Event::Deleting {
                    ids: self.undo.chunk.clone(),
                });
                let request = Request::new(Method::Delete, "/api/user/bulk")
                    .json(&json!({"userIds": self.undo.chunk, "hardDelete": true}))
                    .long();
                Flow::Send(Purpose::UndoDelete, request, Resend::Transient)
            }
            _ => {
                if let Some(id) = self.undo.group_to_delete.take() {
                    let request = Request::at(Method::Delete, "/api/group", &id);
                    return Flow::Send(Purpose::UndoGroup(id), request, Resend::Transient);
                }
                let Some(id) = self.undo.groups.get(self.cursor).cloned() else {
                    return Flow::Next;
                };
                self.cursor += 1;
                // Looked at first: only a group with the run's marker is deleted.
                let request = Request::at(Method::Get, "/api/group", &id);
                Flow::Send(Purpose::UndoGroupCheck(id), request, Resend::Transient)
            }
        }
    }

    /// The person's answer to [`Action::Confirm`](super::Action::Confirm).
    pub fn confirm(&mut self, yes: bool) {
        if self.step != Step::UndoConfirm {
            return;
        }
        if yes {
            self.forget_absent();
            self.report.step("undo", "done", None);
            self.step = Step::UndoDelete;
            self.cursor = 0;
        } else {
            self.stop("not confirmed: nothing was deleted".into());
        }
    }

    /// Candidates not found in FusionAuth (sent, never committed) leave the journal.
    fn forget_absent(&mut self) {
        // Both lists are in the candidates' order (sorted).
        let absent: Vec<String> = self
            .undo
            .candidates
            .iter()
            .filter(|id| self.undo.present.binary_search(id).is_err())
            .map(UserId::to_string)
            .collect();
        if !absent.is_empty() {
            self.record(Event::Deleted { ids: absent });
        }
    }

    pub(super) fn on_undo(&mut self, purpose: Purpose, answer: Answer) -> Result<(), Stop> {
        let status = answer.code();
        match purpose {
            Purpose::UndoSearch(range) => {
                let found = found_users(&answer)
                    .filter(|_| status == Some(200))
                    .ok_or_else(|| {
                        Stop(format!(
                            "FusionAuth answered {} to a search by ids",
                            answer.describe()
                        ))
                    })?;
                // Only users that carry the run's marker are deleted: one made elsewhere with
                // the same id (the Connector, a person, another FusionAuth's run) never is.
                let mut present = Vec::new();
                let mut elsewhere = 0;
                for id in &self.undo.candidates[range] {
                    match found.get(id) {
                        Some(user) if self.made_by_run(user) => present.push(*id),
                        Some(_) => elsewhere += 1,
                        None => {}
                    }
                }
                self.undo.present.extend(present);
                self.undo.not_ours += elsewhere;
            }
            Purpose::UndoDelete if status == Some(200) => {
                if self.step == Step::UndoDelete {
                    let body = answer.json().unwrap_or(Value::Null);
                    let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
                    self.report.counts.deleted += total;
                    let ids = std::mem::take(&mut self.undo.chunk);
                    self.record(Event::Deleted { ids });
                }
            }
            Purpose::UndoGroupCheck(id) if status == Some(200) => {
                let body = answer.json().unwrap_or(Value::Null);
                if self.made_by_run(body.get("group").unwrap_or(&Value::Null)) {
                    self.undo.group_to_delete = Some(id);
                } else {
                    self.report.warnings.push(format!(
                        "the group {id} is in FusionAuth without this run's marker (made elsewhere): left alone"
                    ));
                    self.record(Event::GroupDeleted { id });
                }
            }
            Purpose::UndoGroupCheck(id) if status == Some(404) => {
                self.record(Event::GroupDeleted { id });
            }
            Purpose::UndoGroup(id) if matches!(status, Some(200 | 404)) => {
                self.report.counts.groups_deleted += u64::from(status == Some(200));
                self.record(Event::GroupDeleted { id });
            }
            _ => {
                return Err(Stop(format!(
                    "FusionAuth answered {} during undo",
                    answer.describe()
                )));
            }
        }
        Ok(())
    }
}
