//! The journal (`push/journal.jsonl`): one event per line, written and flushed by the
//! transport before it carries out the next request, so a run killed at any moment resumes
//! where it stopped and `undo` knows exactly what the run created. It holds FusionAuth ids and
//! step outcomes only: no email, name or other personal data.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// How a reset email request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResetOutcome {
    /// FusionAuth accepted it (200); the mail goes out asynchronously.
    Sent,
    /// 404: FusionAuth found no user with that login id.
    NotFound,
    /// 422: the user has no email address.
    NoEmail,
    /// The request went out but its answer was lost: it is not sent again (no second mail).
    Unconfirmed,
    /// Another answer; the report has it.
    Failed,
    /// 403: the tenant's forgot-password email is disabled; nothing was sent and a rerun
    /// tries again.
    Disabled,
}

/// One journal line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    /// A command started (`push`, `verify`, `undo`) at this time (ms since the epoch).
    Started {
        /// The command.
        command: String,
        /// When.
        at: u64,
    },
    /// The run belongs to this FusionAuth and tenant: written once, by the first push that
    /// passes pre-flight, before its first write. Every later command on this journal must
    /// name the same ones.
    Target {
        /// FusionAuth's base URL, as [`base_url`](super::base_url) normalises it.
        url: String,
        /// The tenant the run imports into.
        tenant_id: String,
        /// The FusionAuth version pre-flight saw.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        /// The run's marker: the value `push` writes into every user it imports, under
        /// `data.cognitoFusionauthRun`. A user FusionAuth holds counts as the run's only when
        /// it carries it.
        run: String,
    },
    /// Users found in FusionAuth by id before this run sent them: skipped, never deleted.
    PreExisting {
        /// Their ids.
        ids: Vec<String>,
    },
    /// A group is about to be created.
    GroupCreating {
        /// Its id.
        id: String,
    },
    /// The run created this group.
    GroupCreated {
        /// Its id.
        id: String,
    },
    /// An import request with these users is about to be sent.
    Sending {
        /// Their ids.
        ids: Vec<String>,
    },
    /// The users of the last `sending` event are in FusionAuth (the import answered 200).
    Committed,
    /// These users are in FusionAuth, sent by this run.
    Imported {
        /// Their ids.
        ids: Vec<String>,
    },
    /// Every link of this user is in FusionAuth.
    Linked {
        /// The user's id.
        id: String,
    },
    /// A reset email request for this user is about to be sent.
    ResetSending {
        /// The user's id.
        id: String,
    },
    /// The reset email request for this user ended so.
    ResetDone {
        /// The user's id.
        id: String,
        /// How.
        outcome: ResetOutcome,
    },
    /// A bulk delete of these users is about to be sent.
    Deleting {
        /// Their ids.
        ids: Vec<String>,
    },
    /// These users are gone from FusionAuth (undo).
    Deleted {
        /// Their ids.
        ids: Vec<String>,
    },
    /// A group the run created was deleted (undo), or found not to carry the run's marker
    /// (made elsewhere): no longer the run's.
    GroupDeleted {
        /// Its id.
        id: String,
    },
}

/// The FusionAuth, tenant and marker of a run (its [`Event::Target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunTarget {
    /// FusionAuth's base URL.
    pub url: String,
    /// The tenant.
    pub tenant_id: String,
    /// The run's marker.
    pub run: String,
}

/// What the journal's events add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalState {
    /// The FusionAuth and tenant the run belongs to, once a push has passed pre-flight.
    pub target: Option<RunTarget>,
    /// Users found before the run sent them.
    pub pre_existing: BTreeSet<String>,
    /// Users the run sent in an import request (whether or not it committed), not since
    /// deleted.
    pub sent: BTreeSet<String>,
    /// Users known to be in FusionAuth because of the run, not since deleted.
    pub imported: BTreeSet<String>,
    /// Users whose links are all in place.
    pub linked: BTreeSet<String>,
    /// Reset requests: the outcome, or `None` when sent without a recorded answer.
    pub resets: BTreeMap<String, Option<ResetOutcome>>,
    /// Groups the run created (or may have created: the answer was lost), not since deleted.
    pub groups: BTreeSet<String>,
    /// A bulk delete under way when the journal ends.
    pub deleting: Vec<String>,
    /// The users of the last `sending` event.
    last_sent: Vec<String>,
}

impl JournalState {
    /// Replays events in order.
    pub fn replay<'e>(events: impl IntoIterator<Item = &'e Event>) -> Self {
        let mut state = Self::default();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// Applies one event.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Started { .. } => {}
            Event::Target {
                url,
                tenant_id,
                run,
                ..
            } => {
                if self.target.is_none() {
                    self.target = Some(RunTarget {
                        url: url.clone(),
                        tenant_id: tenant_id.clone(),
                        run: run.clone(),
                    });
                }
            }
            Event::PreExisting { ids } => self.pre_existing.extend(ids.iter().cloned()),
            Event::GroupCreating { id } | Event::GroupCreated { id } => {
                self.groups.insert(id.clone());
            }
            Event::Sending { ids } => {
                self.sent.extend(ids.iter().cloned());
                self.last_sent = ids.clone();
            }
            Event::Committed => self.imported.extend(std::mem::take(&mut self.last_sent)),
            Event::Imported { ids } => {
                self.sent.extend(ids.iter().cloned());
                self.imported.extend(ids.iter().cloned());
            }
            Event::Linked { id } => {
                self.linked.insert(id.clone());
            }
            Event::ResetSending { id } => {
                self.resets.entry(id.clone()).or_insert(None);
            }
            Event::ResetDone {
                id,
                outcome: ResetOutcome::Disabled,
            } => {
                self.resets.remove(id);
            }
            Event::ResetDone { id, outcome } => {
                self.resets.insert(id.clone(), Some(*outcome));
            }
            Event::Deleting { ids } => self.deleting = ids.clone(),
            Event::Deleted { ids } => {
                for id in ids {
                    self.sent.remove(id);
                    self.imported.remove(id);
                    self.linked.remove(id);
                    self.resets.remove(id);
                }
                self.deleting.clear();
            }
            Event::GroupDeleted { id } => {
                self.groups.remove(id);
            }
        }
    }

    /// Users the run put in FusionAuth or may have (sent, not pre-existing): what `undo`
    /// deletes once it finds them there.
    pub fn undo_candidates(&self) -> Vec<String> {
        self.sent
            .iter()
            .filter(|id| !self.pre_existing.contains(*id))
            .cloned()
            .collect()
    }
}

/// The length of a journal's text without a last line a crash cut short (one not ended by
/// `\n`): what a transport keeps of the file before it appends, so that a cut-off line is
/// gone at every later open, however many crashes come.
pub fn journal_kept_len(text: &[u8]) -> usize {
    text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// Parses a journal, one event per line. A last line cut short by a crash is ignored; any
/// other unreadable line is an error naming it.
///
/// # Errors
/// A line (other than a cut-off last line) is not an event.
pub fn parse_journal(text: &str) -> crate::Result<Vec<Event>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut events = Vec::with_capacity(lines.len());
    for (n, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(e) => events.push(e),
            Err(_) if n + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => {
                return Err(crate::Error::read(
                    crate::Position {
                        file: "push/journal.jsonl".into(),
                        line: n as u64 + 1,
                        ..Default::default()
                    },
                    None,
                    format!("not a journal event: {e}"),
                ))
            }
        }
    }
    Ok(events)
}

/// One event as a journal line (with its newline).
pub fn journal_line(event: &Event) -> String {
    // Serializing strings and enums cannot fail.
    let mut line = serde_json::to_string(event).unwrap_or_default();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn replay_tracks_sends_imports_and_undo() {
        let events = vec![
            Event::PreExisting { ids: ids(&["p"]) },
            Event::Sending {
                ids: ids(&["a", "b"]),
            },
            Event::Imported { ids: ids(&["a"]) },
            Event::Sending { ids: ids(&["c"]) },
            Event::Committed,
            Event::GroupCreating { id: "g".into() },
            Event::ResetSending { id: "a".into() },
        ];
        let state = JournalState::replay(&events);
        assert_eq!(state.undo_candidates(), ids(&["a", "b", "c"]));
        assert!(state.imported.contains("c") && !state.imported.contains("b"));
        assert_eq!(state.resets["a"], None);
        assert!(state.groups.contains("g"));
        let mut state = state;
        state.apply(&Event::Deleted {
            ids: ids(&["a", "b", "c"]),
        });
        assert!(state.undo_candidates().is_empty());
        assert!(state.pre_existing.contains("p"));
    }

    #[test]
    fn lines_round_trip_and_a_cut_last_line_is_ignored() {
        let e = Event::ResetDone {
            id: "a".into(),
            outcome: ResetOutcome::NoEmail,
        };
        let line = journal_line(&e);
        assert_eq!(
            line,
            "{\"event\":\"reset-done\",\"id\":\"a\",\"outcome\":\"no-email\"}\n"
        );
        let text = format!("{line}{line}{{\"event\":\"sen");
        assert_eq!(parse_journal(&text).unwrap(), vec![e.clone(), e]);
        assert!(parse_journal("garbage\n{}\n").is_err());
    }
}
