//! Checks across all users: the same Cognito user twice, and shared emails, usernames, phone
//! numbers (`phoneNumber`, a login identity) and ids.
//!
//! A tenant is one user space, so every loaded file is checked together. Resolution runs in
//! a fixed order (same `sub`, then id, email, username, phone) so a user excluded by one check no
//! longer counts in the next.

use std::borrow::Cow;

use std::collections::hash_map::Entry;

use rustc_hash::FxHashMap as HashMap;
use uuid::Uuid;

use crate::finding::UserFinding;
use crate::finding::{Code, Severity};
use crate::fusionauth::DataValue;
use crate::packed_user::PackedUser;
use crate::report::{DuplicateGroup, UserRef};
use crate::rules::{lowercase, DuplicatePolicy};

/// Which value a duplicate check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Email,
    Username,
    Phone,
}

impl Key {
    fn code(self) -> Code {
        match self {
            Key::Id => Code::DuplicateId,
            Key::Email => Code::DuplicateEmail,
            Key::Username => Code::DuplicateUsername,
            Key::Phone => Code::DuplicatePhone,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Key::Id => "id",
            Key::Email => "email",
            Key::Username => "username",
            Key::Phone => "phoneNumber",
        }
    }

    fn of(self, r: &PackedUser) -> Option<Cow<'_, str>> {
        match self {
            Key::Id => Some(Cow::Borrowed(r.id())).filter(|s| !s.is_empty()),
            Key::Email => r.email().map(Cow::Borrowed),
            // Usernames are unique regardless of case in FusionAuth.
            Key::Username => r.fa_username().map(|u| lowercase(u.into())),
            Key::Phone => r.phone().map(Cow::Borrowed),
        }
    }
}

fn describe(r: &PackedUser, names: &[String]) -> String {
    format!(
        "{} user {} ({:?})",
        names[r.file as usize],
        r.index,
        r.username()
    )
}

/// Whether `a` was modified after `b` (unknown dates count as oldest).
fn newer(a: &PackedUser, b: &PackedUser) -> bool {
    a.modified.unwrap_or(i64::MIN) > b.modified.unwrap_or(i64::MIN)
}

/// Resolves duplicates in place (exclusions and edits on the records) and returns the groups.
pub(crate) fn resolve(
    records: &mut [PackedUser],
    policy: DuplicatePolicy,
    names: &[String],
) -> Vec<DuplicateGroup> {
    same_user(records, names);
    let mut groups = Vec::new();
    for key in [Key::Id, Key::Email, Key::Username, Key::Phone] {
        shared_values(records, key, policy, names, &mut groups);
    }
    groups
}

/// The same `sub` more than once (overlapping pages): keep the most recently modified copy.
fn same_user(records: &mut [PackedUser], names: &[String]) {
    // First find the pairs (looking only), then mark them: the map borrows the records.
    let mut best: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(records.len(), Default::default());
    let mut pairs = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let Some(sub) = r.sub() else { continue };
        match best.entry(sub) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(mut slot) => {
                let j = *slot.get();
                let (keep, drop) = if newer(r, &records[j]) {
                    (i, j)
                } else {
                    (j, i)
                };
                slot.insert(keep);
                pairs.push((keep, drop));
            }
        }
    }
    drop(best);
    for (keep, drop) in pairs {
        let reason = format!(
            "the same Cognito user (sub {}) is also in {}, which is at least as recent; that copy is kept",
            records[keep].sub().unwrap_or_default(),
            describe(&records[keep], names)
        );
        records[drop].exclude(Code::DuplicateRecord, reason);
        let message = format!(
            "this user also appears as {}; this copy is kept",
            describe(&records[drop], names)
        );
        records[keep].add_finding(UserFinding::new(
            Severity::Info,
            Code::DuplicateRecord,
            "sub",
            message,
        ));
    }
}

fn shared_values(
    records: &mut [PackedUser],
    key: Key,
    policy: DuplicatePolicy,
    names: &[String],
    groups: &mut Vec<DuplicateGroup>,
) {
    // One map entry per value, and a member list only for values seen twice: most users
    // share nothing, and a list each would be an allocation per user.
    let mut first: HashMap<Cow<'_, str>, usize> =
        HashMap::with_capacity_and_hasher(records.len(), Default::default());
    let mut repeated: HashMap<usize, Vec<usize>> = HashMap::default();
    for (i, r) in records.iter().enumerate() {
        if r.excluded().is_some() {
            continue;
        }
        let Some(v) = key.of(r) else { continue };
        match first.entry(v) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(slot) => {
                let f = *slot.get();
                repeated.entry(f).or_insert_with(|| vec![f]).push(i);
            }
        }
    }
    drop(first);
    let mut shared: Vec<(String, Vec<usize>)> = repeated
        .into_values()
        .map(|members| {
            (
                key.of(&records[members[0]])
                    .unwrap_or_default()
                    .into_owned(),
                members,
            )
        })
        .collect();
    shared.sort_by_key(|(_, members)| members[0]);
    for (value, mut members) in shared {
        if matches!(
            policy,
            DuplicatePolicy::KeepNewest | DuplicatePolicy::MoveToData
        ) {
            let winner = (0..members.len())
                .reduce(|best, k| {
                    if newer(&records[members[k]], &records[members[best]]) {
                        k
                    } else {
                        best
                    }
                })
                .unwrap_or(0);
            let w = members.remove(winner);
            members.insert(0, w);
        }
        groups.push(DuplicateGroup {
            code: key.code(),
            value: value.clone(),
            users: members
                .iter()
                .map(|&i| UserRef {
                    file: names[records[i].file as usize].clone(),
                    index: records[i].index,
                    username: records[i].username().to_owned(),
                })
                .collect(),
        });
        let kept = describe(&records[members[0]], names);
        for (pos, &i) in members.iter().enumerate() {
            let label = key.label();
            match policy {
                DuplicatePolicy::Error => {
                    let others: Vec<String> = members
                        .iter()
                        .filter(|&&o| o != i)
                        .take(5)
                        .map(|&o| describe(&records[o], names))
                        .collect();
                    let more = members.len().saturating_sub(6);
                    let tail = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    records[i].add_finding(UserFinding::new(
                        Severity::Error,
                        key.code(),
                        label,
                        format!(
                            "{label} {value:?} is also used by {}{tail}",
                            others.join(", ")
                        ),
                    ));
                }
                _ if pos == 0 => {}
                DuplicatePolicy::KeepFirst | DuplicatePolicy::KeepNewest => {
                    let which = if policy == DuplicatePolicy::KeepFirst {
                        "first"
                    } else {
                        "most recently modified"
                    };
                    let reason = format!(
                        "{label} {value:?} is also used by {kept}, the {which}, which is kept"
                    );
                    records[i].add_finding(UserFinding::new(
                        Severity::Warning,
                        key.code(),
                        label,
                        reason.clone(),
                    ));
                    records[i].exclude(key.code(), reason);
                }
                DuplicatePolicy::MoveToData => move_to_data(&mut records[i], key, &value, &kept),
            }
        }
    }
}

/// Moves the shared value into `data.cognito` so both users can be imported.
fn move_to_data(record: &mut PackedUser, key: Key, value: &str, kept: &str) {
    let label = key.label();
    let mut user = match record.user() {
        Ok(user) => user,
        Err(e) => {
            // Never edit a broken record as if it were empty: block the output instead.
            record.add_finding(UserFinding::new(
                Severity::Error,
                key.code(),
                label,
                format!("{label} {value:?} is also used by {kept}, but this user could not be read back to move it: {e}"),
            ));
            return;
        }
    };
    let moved = match key {
        Key::Email => user.email.take(),
        Key::Username => user.username.take(),
        Key::Phone => user.phone_number.take(),
        Key::Id => {
            let original = user.id.take();
            let seed = format!("{value}/{}/{}", record.file, record.index);
            user.id = Some(
                Uuid::new_v5(&Uuid::NAMESPACE_OID, seed.as_bytes())
                    .to_string()
                    .into(),
            );
            original
        }
    };
    let field = format!("duplicate{}{}", label[..1].to_uppercase(), &label[1..]);
    if let Some(moved) = moved {
        user.cognito_data()
            .insert(field.clone().into(), DataValue::Text(moved));
    }
    let mut message = format!(
        "{label} {value:?} is also used by {kept}, which keeps it; moved to data.cognito.{field}"
    );
    if user.login_id().is_none() {
        if key == Key::Username {
            let reason =
                format!("{message}, leaving no email, username or phone number to log in with");
            record.add_finding(UserFinding::new(
                Severity::Warning,
                Code::NoLoginId,
                label,
                reason.clone(),
            ));
            record.exclude(Code::NoLoginId, reason);
            return;
        }
        user.username = Some(record.username().to_owned().into());
        message.push_str("; the Cognito Username is used as username");
    }
    record.add_finding(UserFinding::new(
        Severity::Warning,
        key.code(),
        label,
        message,
    ));
    record.store(&user);
}
