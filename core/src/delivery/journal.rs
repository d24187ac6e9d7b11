//! The journal (`push/journal.jsonl`): one event per line, written and flushed by the
//! transport before it carries out the next request, so a run killed at any moment resumes
//! where it stopped and `undo` knows exactly what the run created. It holds FusionAuth ids and
//! step outcomes only: no email, name or other personal data.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::ids::UserId;

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
#[serde(
    tag = "event",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
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

/// What the journal's events add up to. Users are kept by their 16-byte ids with a byte of
/// flags each (about 20 bytes a user), so a journal of ten million users replays in bounded
/// memory; ids that are not UUIDs cannot be a planned user's and are not kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalState {
    /// The FusionAuth and tenant the run belongs to, once a push has passed pre-flight.
    pub target: Option<RunTarget>,
    /// [`SENT`], [`IMPORTED`], [`PRE_EXISTING`], [`LINKED`] per user.
    users: HashMap<UserId, u8>,
    /// Reset requests: the outcome, or `None` when sent without a recorded answer.
    resets: HashMap<UserId, Option<ResetOutcome>>,
    /// Groups the run created (or may have created: the answer was lost), not since deleted.
    pub groups: BTreeSet<String>,
    /// A bulk delete under way when the journal ends.
    pub deleting: Vec<String>,
    /// The users of the last `sending` event.
    last_sent: Vec<UserId>,
}

/// The run sent the user in an import request (whether or not it committed).
const SENT: u8 = 1;
/// The user is in FusionAuth because of the run.
const IMPORTED: u8 = 2;
/// The user was found before the run sent it.
const PRE_EXISTING: u8 = 4;
/// Every link of the user is in place.
const LINKED: u8 = 8;

fn ids(list: &[String]) -> impl Iterator<Item = UserId> + '_ {
    list.iter().filter_map(|id| UserId::parse(id))
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

    fn set(&mut self, id: UserId, flag: u8) {
        *self.users.entry(id).or_default() |= flag;
    }

    fn has(&self, id: UserId, flag: u8) -> bool {
        self.users.get(&id).is_some_and(|f| f & flag != 0)
    }

    /// Found before the run sent it.
    pub fn pre_existing(&self, id: UserId) -> bool {
        self.has(id, PRE_EXISTING)
    }

    /// Known to be in FusionAuth because of the run.
    pub fn imported(&self, id: UserId) -> bool {
        self.has(id, IMPORTED)
    }

    /// Sent by the run in an import request (whether or not it committed), not since deleted.
    pub fn sent(&self, id: UserId) -> bool {
        self.has(id, SENT)
    }

    /// Every link of the user is in place.
    pub fn linked(&self, id: UserId) -> bool {
        self.has(id, LINKED)
    }

    /// The reset request for the user: `Some(None)` sent without a recorded answer.
    pub fn reset(&self, id: UserId) -> Option<Option<ResetOutcome>> {
        self.resets.get(&id).copied()
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
            Event::PreExisting { ids: list } => {
                for id in ids(list) {
                    self.set(id, PRE_EXISTING);
                }
            }
            Event::GroupCreating { id } | Event::GroupCreated { id } => {
                self.groups.insert(id.clone());
            }
            Event::Sending { ids: list } => {
                self.last_sent = ids(list).collect();
                for k in 0..self.last_sent.len() {
                    self.set(self.last_sent[k], SENT);
                }
            }
            Event::Committed => {
                for id in std::mem::take(&mut self.last_sent) {
                    self.set(id, IMPORTED);
                }
            }
            Event::Imported { ids: list } => {
                for id in ids(list) {
                    self.set(id, SENT | IMPORTED);
                }
            }
            Event::Linked { id } => {
                if let Some(id) = UserId::parse(id) {
                    self.set(id, LINKED);
                }
            }
            Event::ResetSending { id } => {
                if let Some(id) = UserId::parse(id) {
                    self.resets.entry(id).or_insert(None);
                }
            }
            Event::ResetDone {
                id,
                outcome: ResetOutcome::Disabled,
            } => {
                if let Some(id) = UserId::parse(id) {
                    self.resets.remove(&id);
                }
            }
            Event::ResetDone { id, outcome } => {
                if let Some(id) = UserId::parse(id) {
                    self.resets.insert(id, Some(*outcome));
                }
            }
            Event::Deleting { ids } => self.deleting = ids.clone(),
            Event::Deleted { ids: list } => {
                for id in ids(list) {
                    // What was there before the run stays known; the rest is forgotten.
                    match self.users.get_mut(&id) {
                        Some(f) if *f & PRE_EXISTING != 0 => *f = PRE_EXISTING,
                        Some(_) => {
                            self.users.remove(&id);
                        }
                        None => {}
                    }
                    self.resets.remove(&id);
                }
                self.deleting.clear();
            }
            Event::GroupDeleted { id } => {
                self.groups.remove(id);
            }
        }
    }

    /// Users the run put in FusionAuth or may have (sent, not pre-existing): what `undo`
    /// deletes once it finds them there with the run's marker. Sorted.
    pub fn undo_candidates(&self) -> Vec<UserId> {
        let mut ids: Vec<UserId> = self
            .users
            .iter()
            .filter(|(_, f)| *f & SENT != 0 && *f & PRE_EXISTING == 0)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// The length of a journal's text without a last line a crash cut short (one not ended by
/// `\n`): what a transport keeps of the file before it appends, so that a cut-off line is
/// gone at every later open, however many crashes come.
pub fn journal_kept_len(text: &[u8]) -> usize {
    text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
}

/// Reads a journal, one event per line, into what its events add up to — line by line, no
/// list of events built (a journal of ten million users replays in the memory of its
/// state). A last line cut short by a crash is ignored; any other unreadable line is an error
/// naming it.
///
/// # Errors
/// A line (other than a cut-off last line) is not an event.
pub fn read_journal(text: &str) -> crate::Result<JournalState> {
    let mut state = JournalState::default();
    let kept = &text[..journal_kept_len(text.as_bytes())];
    for (n, line) in kept.lines().enumerate() {
        state.apply_line(line, n as u64 + 1)?;
    }
    Ok(state)
}

impl JournalState {
    /// Applies one complete journal line (line `number`, from 1, for the error); a blank line
    /// is nothing. A transport that reads its journal a line at a time uses this, leaving out
    /// a last line not ended by `\n` (cut short by a crash).
    ///
    /// # Errors
    /// The line is not an event.
    pub fn apply_line(&mut self, line: &str, number: u64) -> crate::Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let event: Event = serde_json::from_str(line).map_err(|e| {
            crate::Error::read(
                crate::Position {
                    file: "journal.jsonl".into(),
                    line: number,
                    ..Default::default()
                },
                None,
                format!("not a journal event: {e}"),
            )
        })?;
        self.apply(&event);
        Ok(())
    }
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

    fn uid(n: u8) -> String {
        format!("00000000-0000-4000-8000-0000000000{n:02x}")
    }

    fn ids(list: &[u8]) -> Vec<String> {
        list.iter().map(|&n| uid(n)).collect()
    }

    fn id(n: u8) -> UserId {
        UserId::parse(&uid(n)).unwrap()
    }

    #[test]
    fn replay_tracks_sends_imports_and_undo() {
        let events = vec![
            Event::PreExisting { ids: ids(&[9]) },
            Event::Sending { ids: ids(&[1, 2]) },
            Event::Imported { ids: ids(&[1]) },
            Event::Sending { ids: ids(&[3]) },
            Event::Committed,
            Event::GroupCreating { id: "g".into() },
            Event::ResetSending { id: uid(1) },
        ];
        let state = JournalState::replay(&events);
        assert_eq!(state.undo_candidates(), [id(1), id(2), id(3)]);
        assert!(state.imported(id(3)) && !state.imported(id(2)));
        assert_eq!(state.reset(id(1)), Some(None));
        assert!(state.groups.contains("g"));
        let mut state = state;
        state.apply(&Event::Deleted {
            ids: ids(&[1, 2, 3]),
        });
        assert!(state.undo_candidates().is_empty());
        assert!(state.pre_existing(id(9)));
        assert!(!state.sent(id(1)) && state.reset(id(1)).is_none());
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
        let state = read_journal(&text).unwrap();
        assert_eq!(state, JournalState::replay(&[e.clone(), e]));
        assert_eq!(journal_kept_len(text.as_bytes()), 2 * line.len());
        assert!(read_journal("garbage\n{}\n").is_err());
        assert!(read_journal(&format!("{{\"event\":\"sen\n{line}")).is_err());
    }
}
