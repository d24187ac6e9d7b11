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

use crate::finding::{shown_name, UserFinding};
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

/// `<file> user <index> ("<username>")`, the username as [`shown_name`] shows it.
fn describe(r: &PackedUser, names: &[String]) -> String {
    format!(
        "{} user {} ({:?})",
        names[r.file as usize],
        r.index,
        shown_name(r.username())
    )
}

/// Whether `a` was modified after `b` (unknown dates count as oldest).
fn newer(a: &PackedUser, b: &PackedUser) -> bool {
    a.modified.unwrap_or(i64::MIN) > b.modified.unwrap_or(i64::MIN)
}

/// Resolves duplicates in place (exclusions and edits on the packed users) and returns the groups.
pub(crate) fn resolve(
    packed: &mut [PackedUser],
    policy: DuplicatePolicy,
    names: &[String],
) -> Vec<DuplicateGroup> {
    same_user(packed, names);
    let mut groups = Vec::new();
    for key in [Key::Id, Key::Email, Key::Username, Key::Phone] {
        shared_values(packed, key, policy, names, &mut groups);
    }
    groups
}

/// The same `sub` more than once (overlapping pages): keep the most recently modified copy.
fn same_user(packed: &mut [PackedUser], names: &[String]) {
    // First find the pairs (looking only), then mark them: the map borrows the packed users.
    let mut best: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(packed.len(), Default::default());
    let mut pairs = Vec::new();
    for (i, r) in packed.iter().enumerate() {
        let Some(sub) = r.sub() else { continue };
        match best.entry(sub) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(mut slot) => {
                let j = *slot.get();
                let (keep, drop) = if newer(r, &packed[j]) { (i, j) } else { (j, i) };
                slot.insert(keep);
                pairs.push((keep, drop));
            }
        }
    }
    drop(best);
    for (keep, drop) in pairs {
        let reason = format!(
            "the same Cognito user (sub {}) is also in {}, which is at least as recent; that copy is kept",
            packed[keep].sub().unwrap_or_default(),
            describe(&packed[keep], names)
        );
        packed[drop].exclude(Code::DuplicateRecord, reason);
        let message = format!(
            "this user also appears as {}; this copy is kept",
            describe(&packed[drop], names)
        );
        packed[keep].add_finding(UserFinding::new(
            Severity::Info,
            Code::DuplicateRecord,
            "sub",
            message,
        ));
    }
}

fn shared_values(
    packed: &mut [PackedUser],
    key: Key,
    policy: DuplicatePolicy,
    names: &[String],
    groups: &mut Vec<DuplicateGroup>,
) {
    // One map entry per value, and a member list only for values seen twice: most users
    // share nothing, and a list each would be an allocation per user.
    let mut first: HashMap<Cow<'_, str>, usize> =
        HashMap::with_capacity_and_hasher(packed.len(), Default::default());
    let mut repeated: HashMap<usize, Vec<usize>> = HashMap::default();
    for (i, r) in packed.iter().enumerate() {
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
                key.of(&packed[members[0]]).unwrap_or_default().into_owned(),
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
                    if newer(&packed[members[k]], &packed[members[best]]) {
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
                    file: names[packed[i].file as usize].clone(),
                    index: packed[i].index,
                    username: packed[i].username().to_owned(),
                })
                .collect(),
        });
        let kept = describe(&packed[members[0]], names);
        for (pos, &i) in members.iter().enumerate() {
            let label = key.label();
            match policy {
                DuplicatePolicy::Error => {
                    let others: Vec<String> = members
                        .iter()
                        .filter(|&&o| o != i)
                        .take(5)
                        .map(|&o| describe(&packed[o], names))
                        .collect();
                    let more = members.len().saturating_sub(6);
                    let tail = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    packed[i].add_finding(UserFinding::new(
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
                    packed[i].add_finding(UserFinding::new(
                        Severity::Warning,
                        key.code(),
                        label,
                        reason.clone(),
                    ));
                    packed[i].exclude(key.code(), reason);
                }
                DuplicatePolicy::MoveToData => move_to_data(&mut packed[i], key, &value, &kept),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::{CognitoUser, Scalar};
    use crate::rules::Rules;
    use crate::validate::user::checked;

    /// A user whose Username is its `sub` (so the default rules give it no username), with
    /// `email` and a last-modified time in epoch seconds.
    fn record(file: u32, index: u64, sub: &str, email: &str, modified: f64) -> PackedUser {
        let cognito = CognitoUser {
            username: sub.to_owned().into(),
            attributes: vec![
                ("sub".into(), sub.to_owned().into()),
                ("email".into(), email.to_owned().into()),
            ],
            last_modified: Some(Scalar::Number(modified)),
            ..CognitoUser::default()
        };
        let mapper = Rules::defaults().compile().unwrap();
        let mapped = checked(&mapper, &cognito);
        PackedUser::new(file, index, &cognito, mapped, &mut Vec::new())
    }

    const A: &str = "a0000000-0000-4000-8000-000000000001";
    const B: &str = "b0000000-0000-4000-8000-000000000002";
    const C: &str = "c0000000-0000-4000-8000-000000000003";

    fn names() -> Vec<String> {
        vec!["a.json".into(), "b.json".into()]
    }

    /// Ann twice (differently cased, the second modified later) and Cid once.
    fn shared_email() -> Vec<PackedUser> {
        vec![
            record(0, 0, A, "Ann@Example.com", 1_000.0),
            record(0, 1, B, "ann@example.COM", 2_000.0),
            record(1, 0, C, "cid@example.com", 3_000.0),
        ]
    }

    fn codes(r: &mut PackedUser) -> Vec<(Severity, Code)> {
        r.take_findings()
            .iter()
            .map(|f| (f.severity, f.code))
            .collect()
    }

    fn excluded(packed: &[PackedUser]) -> Vec<Option<Code>> {
        packed
            .iter()
            .map(|r| r.excluded().map(|(c, _)| *c))
            .collect()
    }

    #[test]
    fn emails_are_compared_regardless_of_case() {
        let mut packed = shared_email();
        let groups = resolve(&mut packed, DuplicatePolicy::KeepFirst, &names());
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].code, Code::DuplicateEmail);
        assert_eq!(groups[0].value, "ann@example.com");
        let users: Vec<&str> = groups[0]
            .users
            .iter()
            .map(|u| u.username.as_str())
            .collect();
        assert_eq!(users, [A, B]);
    }

    #[test]
    fn error_gives_every_user_of_a_group_an_error_and_excludes_nobody() {
        let mut packed = shared_email();
        let groups = resolve(&mut packed, DuplicatePolicy::Error, &names());
        assert_eq!(groups.len(), 1);
        assert_eq!(excluded(&packed), [None, None, None]);
        let error = [(Severity::Error, Code::DuplicateEmail)];
        assert_eq!(codes(&mut packed[0]), error);
        assert_eq!(codes(&mut packed[1]), error);
        assert_eq!(codes(&mut packed[2]), []);
        // Each names the other.
        let mut packed = shared_email();
        resolve(&mut packed, DuplicatePolicy::Error, &names());
        let message = &packed[0].take_findings()[0].message;
        assert!(
            message.contains(&format!("a.json user 1 ({B:?})")),
            "{message}"
        );
    }

    #[test]
    fn keep_first_excludes_the_later_users_in_input_order() {
        let mut packed = shared_email();
        let groups = resolve(&mut packed, DuplicatePolicy::KeepFirst, &names());
        assert_eq!(excluded(&packed), [None, Some(Code::DuplicateEmail), None]);
        assert_eq!(groups[0].users[0].username, A);
        let (_, reason) = packed[1].excluded().unwrap();
        assert!(reason.contains("the first, which is kept"), "{reason}");
        assert_eq!(
            codes(&mut packed[1]),
            [(Severity::Warning, Code::DuplicateEmail)]
        );
        assert_eq!(codes(&mut packed[0]), []);
    }

    #[test]
    fn keep_newest_excludes_all_but_the_most_recently_modified() {
        let mut packed = shared_email();
        let groups = resolve(&mut packed, DuplicatePolicy::KeepNewest, &names());
        assert_eq!(excluded(&packed), [Some(Code::DuplicateEmail), None, None]);
        // The user kept comes first in the group.
        let users: Vec<&str> = groups[0]
            .users
            .iter()
            .map(|u| u.username.as_str())
            .collect();
        assert_eq!(users, [B, A]);
        let (_, reason) = packed[0].excluded().unwrap();
        assert!(reason.contains("most recently modified"), "{reason}");
    }

    #[test]
    fn move_to_data_keeps_everybody_and_moves_the_value_off_the_older_users() {
        let mut packed = shared_email();
        resolve(&mut packed, DuplicatePolicy::MoveToData, &names());
        assert_eq!(excluded(&packed), [None, None, None]);
        // The newest keeps the email.
        assert_eq!(packed[1].email(), Some("ann@example.com"));
        let older = packed[0].user().unwrap();
        assert_eq!(older.email, None);
        let data = serde_json::to_value(&older.data).unwrap();
        assert_eq!(data["cognito"]["duplicateEmail"], "Ann@Example.com");
        // With no login id left, the Cognito Username becomes the username.
        assert_eq!(older.username.as_deref(), Some(A));
        assert_eq!(packed[0].fa_username(), Some(A));
        assert_eq!(packed[0].email(), None);
        let findings = packed[0].take_findings();
        let moved = findings
            .iter()
            .find(|f| f.code == Code::DuplicateEmail)
            .unwrap();
        assert_eq!(moved.severity, Severity::Warning);
        assert!(
            moved.message.contains("data.cognito.duplicateEmail")
                && moved
                    .message
                    .contains("Cognito Username is used as username"),
            "{}",
            moved.message
        );
    }

    #[test]
    fn the_same_sub_in_two_files_keeps_the_newer_copy_only() {
        // The same Cognito user in both files (say, overlapping pages); the later copy is newer.
        let mut packed = vec![
            record(0, 0, A, "ann@example.com", 1_000.0),
            record(1, 3, A, "ann@example.com", 2_000.0),
        ];
        for policy in DuplicatePolicy::ALL {
            let mut packed = packed.clone();
            let groups = resolve(&mut packed, policy, &names());
            // The copy left out no longer counts as sharing the email or id.
            assert!(groups.is_empty(), "{policy:?}: {groups:?}");
            assert_eq!(excluded(&packed), [Some(Code::DuplicateRecord), None]);
        }
        resolve(&mut packed, DuplicatePolicy::Error, &names());
        let (_, reason) = packed[0].excluded().unwrap();
        assert!(reason.contains("b.json user 3"), "{reason}");
        let kept = packed[1].take_findings();
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (kept[0].severity, kept[0].code, kept[0].field.as_str()),
            (Severity::Info, Code::DuplicateRecord, "sub")
        );
        assert!(kept[0].message.contains("a.json user 0"));
    }

    #[test]
    fn the_same_sub_equally_recent_keeps_the_first_copy() {
        let mut packed = vec![
            record(0, 0, A, "ann@example.com", 1_000.0),
            record(1, 0, A, "ann@example.com", 1_000.0),
        ];
        resolve(&mut packed, DuplicatePolicy::Error, &names());
        assert_eq!(excluded(&packed), [None, Some(Code::DuplicateRecord)]);
    }
}
