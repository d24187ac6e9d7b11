//! `--create-groups`: the groups pre-flight found missing are created with the ids the rules
//! name, so that re-runs find them by id; the journal records each one for `undo`.

use serde_json::json;

use super::{Flow, Purpose, Resend, Session, Stop};
use crate::delivery::http::{Answer, ApiErrors, Method, Request};
use crate::delivery::journal::Event;
use crate::delivery::stamp::RUN_MARKER;

impl Session {
    pub(super) fn groups(&mut self) -> Flow {
        if let Some(id) = self.pre.check_group.take() {
            let request = Request::at(Method::Get, "/api/group", &id);
            return Flow::Send(Purpose::CheckGroup(id), request, Resend::Transient);
        }
        let Some(id) = self.pre.missing_groups.get(self.cursor).cloned() else {
            return Flow::Next;
        };
        self.progress = (self.cursor as u64, self.pre.missing_groups.len() as u64);
        let name = self.group_name(&id);
        self.record(Event::GroupCreating { id: id.clone() });
        // The run's marker in the group's data: undo deletes only a group that carries it.
        let request = Request::at(Method::Post, "/api/group", &id)
            .json(&json!({"group": {"name": name, "data": {RUN_MARKER: self.run}}}));
        Flow::Send(Purpose::CreateGroup(id), request, Resend::Never)
    }

    pub(super) fn on_group(&mut self, purpose: Purpose, answer: Answer) -> Result<(), Stop> {
        match purpose {
            Purpose::CreateGroup(id) => {
                let errors = match &answer {
                    Answer::Status { body, .. } => ApiErrors::parse(body),
                    Answer::NoAnswer { .. } => ApiErrors::default(),
                };
                let duplicate = |code: &str| errors.fields.iter().any(|(_, c, _)| c == code);
                match answer.code() {
                    Some(200) => self.group_created(id),
                    Some(400) if duplicate("[duplicate]group.name") => {
                        let name = self.group_name(&id);
                        return Err(Stop(format!(
                            "a group named '{name}' already exists under another id: map the Cognito group \
                             '{name}' to that id in the rules (settings.groups) and convert again"
                        )));
                    }
                    Some(400) if !duplicate("[duplicate]groupId") => {
                        return Err(Stop(format!(
                            "FusionAuth refused to create the group {id}: {}",
                            answer.describe()
                        )))
                    }
                    // The id is taken (an earlier attempt committed), or the outcome is
                    // unknown: look.
                    _ => self.pre.check_group = Some(id),
                }
            }
            Purpose::CheckGroup(id) => match answer.code() {
                Some(200)
                    if self.made_by_run(
                        answer
                            .json()
                            .unwrap_or_default()
                            .get("group")
                            .unwrap_or(&serde_json::Value::Null),
                    ) =>
                {
                    self.group_created(id)
                }
                Some(200) => {
                    // Made meanwhile by someone else: it exists, which is all the import
                    // needs; it is not the run's, and undo leaves it.
                    self.report.warnings.push(format!(
                        "the group {id} appeared in FusionAuth while the run was creating it, not made by this run: used, never deleted"
                    ));
                    self.attempts = 0;
                    self.cursor += 1;
                }
                Some(404) => {
                    self.attempts += 1;
                    if self.attempts >= self.options.max_attempts {
                        return Err(Stop(format!("the group {id} could not be created")));
                    }
                }
                _ => {
                    return Err(Stop(format!(
                        "FusionAuth answered {} to GET /api/group/{id}",
                        answer.describe()
                    )))
                }
            },
            _ => {}
        }
        Ok(())
    }

    /// The Cognito name of a group the rules map (from the conversion's report).
    fn group_name(&self, id: &str) -> String {
        self.plan
            .groups
            .get(id)
            .cloned()
            .flatten()
            .unwrap_or_default()
    }

    fn group_created(&mut self, id: String) {
        self.record(Event::GroupCreated { id });
        self.report.counts.groups_created += 1;
        self.attempts = 0;
        self.cursor += 1;
    }
}
