//! The compact per-user index of a streamed conversion: the keys the checks across users
//! compare, hashed, one column per key. It finds the few users that may share a value with
//! another (the candidates); the checks then run on those users alone, read back whole, so a
//! hash that two different values share only costs a user read back, never a wrong result.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashSet, FxHasher};

use crate::packed_user::PackedUser;
use crate::rules::lowercase;

/// A key's hash; 0 means the user has no such key.
fn hash(text: Option<&str>) -> u64 {
    text.filter(|t| !t.is_empty()).map_or(0, |t| {
        let mut h = FxHasher::default();
        t.hash(&mut h);
        h.finish().max(1)
    })
}

/// One user's hashed keys, as [`KeyIndex`] keeps them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys([u64; 6]);

impl Keys {
    /// The bytes of a user's keys (to send them to another worker).
    pub(super) const BYTES: usize = 6 * 8;

    /// Appends the keys' [`BYTES`](Self::BYTES) bytes to `out`.
    pub(super) fn write(&self, out: &mut Vec<u8>) {
        for k in self.0 {
            out.extend_from_slice(&k.to_le_bytes());
        }
    }

    /// The keys [`write`](Self::write) wrote (`bytes` holds [`BYTES`](Self::BYTES)).
    pub(super) fn read(bytes: &[u8]) -> Self {
        let mut keys = [0u64; 6];
        for (k, b) in keys.iter_mut().zip(bytes.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(b);
            *k = u64::from_le_bytes(word);
        }
        Self(keys)
    }

    /// The keys of `r`; `fallback_username` hashes its Cognito username too.
    pub(super) fn of(r: &PackedUser, fallback_username: bool) -> Self {
        Self([
            hash(r.sub()),
            hash(Some(r.id())),
            hash(r.email()),
            hash(r.fa_username().map(|u| lowercase(u.into())).as_deref()),
            hash(r.phone()),
            if fallback_username {
                hash(Some(&lowercase(r.username().into())))
            } else {
                0
            },
        ])
    }
}

/// The hashed keys of every user read, by position.
#[derive(Debug, Default)]
pub(super) struct KeyIndex {
    /// The same Cognito user (`sub`).
    sub: Vec<u64>,
    id: Vec<u64>,
    /// Lower-cased.
    email: Vec<u64>,
    /// The FusionAuth username, lower-cased (unique regardless of case).
    username: Vec<u64>,
    phone: Vec<u64>,
    /// The lower-cased Cognito `Username`, which `move-to-data` gives a user left without a
    /// login id (kept only under that policy).
    cognito_username: Option<Vec<u64>>,
}

impl KeyIndex {
    /// An empty index; `fallback_usernames` keeps the Cognito usernames too (`move-to-data`).
    pub(super) fn new(fallback_usernames: bool) -> Self {
        Self {
            cognito_username: fallback_usernames.then(Vec::new),
            ..Self::default()
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.sub.len() as u64
    }

    /// True when the index keeps the Cognito usernames (see [`Keys::of`]).
    pub(super) fn fallback_usernames(&self) -> bool {
        self.cognito_username.is_some()
    }

    /// Makes room for `users` more users.
    pub(super) fn reserve(&mut self, users: u64) {
        let users = usize::try_from(users).unwrap_or(usize::MAX);
        for column in self.columns_mut() {
            column.reserve_exact(users);
        }
    }

    /// Every column kept.
    fn columns_mut(&mut self) -> impl Iterator<Item = &mut Vec<u64>> {
        [
            &mut self.sub,
            &mut self.id,
            &mut self.email,
            &mut self.username,
            &mut self.phone,
        ]
        .into_iter()
        .chain(self.cognito_username.as_mut())
    }

    /// Adds the next user's keys.
    pub(super) fn push(&mut self, keys: &Keys) {
        let [sub, id, email, username, phone, cognito] = keys.0;
        self.sub.push(sub);
        self.id.push(id);
        self.email.push(email);
        self.username.push(username);
        self.phone.push(phone);
        if let Some(c) = &mut self.cognito_username {
            c.push(cognito);
        }
    }

    /// Forgets the users from position `len` on (a file that failed part way).
    pub(super) fn truncate(&mut self, len: u64) {
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        for column in self.columns_mut() {
            column.truncate(len);
        }
    }

    /// The positions, ascending, of every user that shares a key hash with another, and of
    /// every user whose username `move-to-data` could give to one of those: no other user
    /// can take part in a check across users.
    pub(super) fn candidates(&self) -> Vec<u64> {
        let mut flagged = vec![false; self.sub.len()];
        for column in [
            &self.sub,
            &self.id,
            &self.email,
            &self.username,
            &self.phone,
        ] {
            let shared = repeated(column);
            if shared.is_empty() {
                continue;
            }
            for (f, h) in flagged.iter_mut().zip(column) {
                *f |= *h != 0 && shared.contains(h);
            }
        }
        if let Some(cognito) = &self.cognito_username {
            fallback_usernames(&mut flagged, cognito, &self.username);
        }
        flagged
            .iter()
            .enumerate()
            .filter(|(_, f)| **f)
            .map(|(i, _)| i as u64)
            .collect()
    }
}

/// Flags, until no one is added, every user whose username a flagged user may end up with:
/// a flagged user may get its Cognito username (`cognito`) as username, so the users that
/// already have it (`username`) take part too, and so on along the chain.
///
/// One pass over the users finds those the first candidates reach; only when it adds some
/// are the usernames sorted, so that each further step is a binary search rather than
/// another pass (a chain of k users costs n log n, not k passes over all n).
fn fallback_usernames(flagged: &mut [bool], cognito: &[u64], username: &[u64]) {
    let mut given: FxHashSet<u64> = flagged
        .iter()
        .zip(cognito)
        .filter(|(f, h)| **f && **h != 0)
        .map(|(_, h)| *h)
        .collect();
    let mut added = Vec::new();
    for (i, (f, h)) in flagged.iter_mut().zip(username).enumerate() {
        if !*f && *h != 0 && given.contains(h) {
            *f = true;
            added.push(i);
        }
    }
    if added.is_empty() {
        return;
    }
    // The users that may still be added, by username.
    let mut by_username: Vec<(u64, usize)> = flagged
        .iter()
        .zip(username)
        .enumerate()
        .filter(|(_, (f, h))| !**f && **h != 0)
        .map(|(i, (_, h))| (*h, i))
        .collect();
    by_username.sort_unstable();
    while let Some(i) = added.pop() {
        let h = cognito.get(i).copied().unwrap_or(0);
        if h == 0 || !given.insert(h) {
            continue;
        }
        let from = by_username.partition_point(|(u, _)| *u < h);
        for &(u, j) in &by_username[from..] {
            if u != h {
                break;
            }
            if let Some(f) = flagged.get_mut(j).filter(|f| !**f) {
                *f = true;
                added.push(j);
            }
        }
    }
}

/// The hashes a column holds more than once.
fn repeated(column: &[u64]) -> FxHashSet<u64> {
    let mut sorted: Vec<u64> = column.iter().copied().filter(|h| *h != 0).collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::CognitoUser;
    use crate::rules::Rules;
    use crate::validate::user::checked;

    fn packed(index: u64, username: &str, attributes: &[(&str, &str)]) -> PackedUser {
        let cognito = CognitoUser::with_attributes(username, attributes);
        let mapper = Rules::defaults().compile().unwrap();
        PackedUser::new(
            0,
            index,
            &cognito,
            checked(&mapper, &cognito),
            &mut Vec::new(),
        )
    }

    #[test]
    fn users_that_share_a_key_in_any_case_are_candidates_and_the_others_are_not() {
        let mut index = KeyIndex::new(false);
        let users = [
            packed(0, "a", &[("email", "Ann@example.com")]),
            packed(1, "b", &[("email", "bob@example.com")]),
            packed(2, "c", &[("email", "ann@EXAMPLE.com")]),
            packed(3, "d", &[("email", "dan@example.com")]),
        ];
        for u in &users {
            index.push(&Keys::of(u, false));
        }
        assert_eq!(index.candidates(), [0, 2]);
        index.truncate(2);
        assert!(index.candidates().is_empty());
    }

    /// The fixpoint [`fallback_usernames`] reaches, one pass over every user at a time.
    fn fallback_by_passes(flagged: &mut [bool], cognito: &[u64], username: &[u64]) {
        loop {
            let given: FxHashSet<u64> = flagged
                .iter()
                .zip(cognito)
                .filter(|(f, _)| **f)
                .map(|(_, h)| *h)
                .collect();
            let mut added = false;
            for (f, h) in flagged.iter_mut().zip(username) {
                if !*f && *h != 0 && given.contains(h) {
                    *f = true;
                    added = true;
                }
            }
            if !added {
                break;
            }
        }
    }

    #[test]
    fn a_chain_of_fallback_usernames_is_followed_to_its_end() {
        // The k-th user of the chain (users in a scattered order) has the k-1-th's Cognito
        // username as its username, except every thousandth, which has one nobody has; the
        // first has none. Two users are flagged: the first, and the 1,500th.
        let n = 3_000;
        let order: Vec<usize> = (0..n).map(|k| (k * 7919) % n).collect();
        let mut cognito = vec![0u64; n];
        let mut username = vec![0u64; n];
        for (k, &i) in order.iter().enumerate() {
            cognito[i] = 1_000 + k as u64;
            username[i] = match k {
                0 => 0,
                _ if k % 1_000 == 999 => 500_000 + k as u64,
                _ => 1_000 + k as u64 - 1,
            };
        }
        let mut fast = vec![false; n];
        fast[order[0]] = true;
        fast[order[1_500]] = true;
        let mut slow = fast.clone();
        fallback_usernames(&mut fast, &cognito, &username);
        fallback_by_passes(&mut slow, &cognito, &username);
        assert_eq!(fast, slow);
        // Each chain runs on until a user whose username is not the one before's.
        let expected: Vec<bool> = (0..n)
            .map(|i| {
                let k = order.iter().position(|&o| o == i).unwrap();
                k < 999 || (1_500..1_999).contains(&k)
            })
            .collect();
        assert_eq!(fast, expected);
        let mut none = vec![false; n];
        fallback_usernames(&mut none, &cognito, &username);
        assert!(none.iter().all(|f| !f), "nothing flagged, nothing added");
    }

    #[test]
    fn under_move_to_data_a_username_a_candidate_could_fall_back_to_is_a_candidate() {
        let jo = "0000000a-0000-4000-8000-000000000001";
        let users = [
            // Share an email; user 0 has no username (its Username is its sub) and would get
            // its Username if its email moved.
            packed(0, jo, &[("sub", jo), ("email", "x@example.com")]),
            packed(1, "kim", &[("email", "x@example.com")]),
            // Already has that username, in another case.
            packed(2, &jo.to_uppercase(), &[("email", "s@example.com")]),
            packed(3, "lee", &[("email", "l@example.com")]),
        ];
        assert_eq!(users[0].fa_username(), None);
        let mut plain = KeyIndex::new(false);
        let mut fallback = KeyIndex::new(true);
        for u in &users {
            plain.push(&Keys::of(u, false));
            fallback.push(&Keys::of(u, true));
        }
        assert_eq!(plain.candidates(), [0, 1]);
        assert_eq!(fallback.candidates(), [0, 1, 2]);
    }
}
