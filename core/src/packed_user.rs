//! One mapped user packed for the checks across users and the output: its FusionAuth JSON
//! (without the placeholder password, which is added when the file is written), the keys the
//! checks across users need, and rarely present extras behind one pointer.

use serde::{Deserialize, Serialize};

use crate::cognito::{CognitoUser, Scalar};
use crate::dates;
use crate::finding::{Code, UserFinding};
use crate::fusionauth::{write_user, ImportUser, LinkRequest};
use crate::rules::{lowercase, MappedUser};

/// One mapped user, kept compact until the output is written: its FusionAuth JSON (without
/// the placeholder password, which is added when the file is written), the keys the checks
/// across users need, and rarely present extras behind one pointer. The JSON and the keys
/// share one allocation (a pool of a million users makes a million of these).
#[derive(Debug, Clone)]
pub(crate) struct PackedUser {
    pub(crate) file: u32,
    pub(crate) index: u64,
    /// `UserLastModifiedDate` in epoch ms.
    pub(crate) modified: Option<i64>,
    /// The parts, one after the other: see [`Part`].
    text: Box<str>,
    /// Where each part ends in `text` (it starts where the one before ends).
    ends: [u32; PARTS],
    /// Bit `p`: part `p` is present (an absent part is empty).
    present: u8,
    /// The lower-cased `sub` equals the id (and is not stored again).
    sub_is_id: bool,
    /// Listed in `login-ids.txt` (see [`MappedUser::password_reset`]).
    password_reset: bool,
    extra: Option<Box<Extra>>,
}

/// The parts of [`PackedUser::text`], in order.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// The FusionAuth user as compact ASCII JSON, without password fields.
    Json,
    /// The Cognito `Username`.
    Username,
    /// The FusionAuth id.
    Id,
    /// The lower-cased email.
    Email,
    /// The FusionAuth username, as written.
    FaUsername,
    /// The lower-cased `sub`, when it differs from the id.
    Sub,
    /// `phoneNumber` (a login identity in FusionAuth 1.59+, unique per tenant).
    Phone,
}

const PARTS: usize = 7;

/// What few users have.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Extra {
    links: Vec<LinkRequest>,
    findings: Vec<UserFinding>,
    excluded: Option<(Code, String)>,
}

impl PackedUser {
    pub(crate) fn new(
        file: u32,
        index: u64,
        cognito: &CognitoUser<'_>,
        mapped: MappedUser<'_>,
        scratch: &mut Vec<u8>,
    ) -> Self {
        let modified = match &cognito.last_modified {
            Some(Scalar::Number(n)) => dates::millis_from_seconds(*n),
            Some(Scalar::Text(t)) => dates::epoch_millis(t),
            _ => None,
        };
        let mut packed = Self {
            file,
            index,
            modified,
            text: Box::default(),
            ends: [0; PARTS],
            present: 0,
            sub_is_id: false,
            password_reset: mapped.password_reset,
            extra: None,
        };
        let sub = cognito.attribute("sub").map(|s| lowercase(s.into()));
        packed.pack(&mapped.user, &cognito.username, sub.as_deref(), scratch);
        if !mapped.links.is_empty() || !mapped.findings.is_empty() {
            packed.extra = Some(Box::new(Extra {
                links: mapped.links,
                findings: mapped.findings,
                excluded: None,
            }));
        }
        packed
    }

    /// Refreshes the keys and the JSON from `user` (the Cognito username and `sub` stay).
    pub(crate) fn store(&mut self, user: &ImportUser<'_>) {
        let username = self.username().to_owned();
        let sub = self.sub().map(str::to_owned);
        self.pack(user, &username, sub.as_deref(), &mut Vec::new());
    }

    /// Writes the JSON of `user` through `scratch` (the mapping threads reuse one) and packs it
    /// with the keys into `text`, one allocation of the exact size.
    fn pack(
        &mut self,
        user: &ImportUser<'_>,
        username: &str,
        sub: Option<&str>,
        scratch: &mut Vec<u8>,
    ) {
        scratch.clear();
        write_user(user, scratch);
        let id = user.id.as_deref().unwrap_or_default();
        let email = user.email.as_deref().map(|e| lowercase(e.into()));
        self.sub_is_id = sub == Some(id);
        // write_user writes ASCII only; were it ever not UTF-8, the user would still be written
        // (with replacement characters), never left empty.
        let json = match std::str::from_utf8(scratch) {
            Ok(json) => std::borrow::Cow::Borrowed(json),
            Err(_) => String::from_utf8_lossy(scratch),
        };
        let parts = [
            Some(json.as_ref()),
            Some(username),
            Some(id),
            email.as_deref(),
            user.username.as_deref(),
            sub.filter(|_| !self.sub_is_id),
            user.phone_number.as_deref(),
        ];
        let mut text = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        self.present = 0;
        for (p, part) in parts.iter().enumerate() {
            if let Some(part) = part {
                text.push_str(part);
                self.present |= 1 << p;
            }
            self.ends[p] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        self.text = text.into_boxed_str();
    }

    /// Part `p` of `text`, if present.
    fn part(&self, p: Part) -> Option<&str> {
        let p = p as usize;
        let start = p.checked_sub(1).map_or(0, |before| self.ends[before]) as usize;
        (self.present & (1 << p) != 0)
            .then(|| self.text.get(start..self.ends[p] as usize))
            .flatten()
    }

    /// The user's FusionAuth JSON, without password fields.
    pub(crate) fn json(&self) -> &[u8] {
        self.part(Part::Json).unwrap_or_default().as_bytes()
    }

    /// The Cognito `Username`.
    pub(crate) fn username(&self) -> &str {
        self.part(Part::Username).unwrap_or_default()
    }

    /// The FusionAuth id.
    pub(crate) fn id(&self) -> &str {
        self.part(Part::Id).unwrap_or_default()
    }

    /// The lower-cased email.
    pub(crate) fn email(&self) -> Option<&str> {
        self.part(Part::Email)
    }

    /// The FusionAuth username, as written.
    pub(crate) fn fa_username(&self) -> Option<&str> {
        self.part(Part::FaUsername)
    }

    /// `phoneNumber`, as written.
    pub(crate) fn phone(&self) -> Option<&str> {
        self.part(Part::Phone)
    }

    /// The stored user, for the rare edit after duplicate resolution.
    ///
    /// # Errors
    /// The stored JSON does not read back as a user (a broken one is never edited as if it
    /// were an empty one).
    pub(crate) fn user(&self) -> std::result::Result<ImportUser<'static>, String> {
        serde_json::from_slice(self.json()).map_err(|e| e.to_string())
    }

    /// The lower-cased `sub`, which identifies the same Cognito user across files.
    pub(crate) fn sub(&self) -> Option<&str> {
        if self.sub_is_id {
            Some(self.id())
        } else {
            self.part(Part::Sub)
        }
    }

    /// Email, else username, else phone number.
    pub(crate) fn login_id(&self) -> Option<&str> {
        self.email().or(self.fa_username()).or(self.phone())
    }

    /// The login id `login-ids.txt` lists, when the user can use a password reset.
    pub(crate) fn reset_login_id(&self) -> Option<&str> {
        self.login_id().filter(|_| self.password_reset)
    }

    pub(crate) fn links(&self) -> &[LinkRequest] {
        self.extra.as_ref().map_or(&[], |e| &e.links)
    }

    /// The user's findings, moved out (the report takes them once, at the end).
    pub(crate) fn take_findings(&mut self) -> Vec<UserFinding> {
        self.extra
            .as_mut()
            .map(|e| std::mem::take(&mut e.findings))
            .unwrap_or_default()
    }

    pub(crate) fn add_finding(&mut self, finding: UserFinding) {
        self.extra
            .get_or_insert_with(Box::default)
            .findings
            .push(finding);
    }

    pub(crate) fn excluded(&self) -> Option<&(Code, String)> {
        self.extra.as_ref().and_then(|e| e.excluded.as_ref())
    }

    pub(crate) fn exclude(&mut self, code: Code, reason: String) {
        self.extra.get_or_insert_with(Box::default).excluded = Some((code, reason));
    }
}

/// The fixed part of a spooled user: file, index, modified, ends, present, flags.
const SPOOL_HEAD: usize = 4 + 8 + 8 + 4 * PARTS + 1 + 1;

/// Flag bits of a spooled user.
const SUB_IS_ID: u8 = 1;
const PASSWORD_RESET: u8 = 2;
const MODIFIED: u8 = 4;

impl PackedUser {
    /// Appends the user to `out` as one spool record: a fixed head (its number counted from
    /// `base`, at most its own), the parts, then the rare extras as JSON.
    /// [`from_spool`](Self::from_spool) reads it back whole.
    pub(crate) fn to_spool(&self, base: u64, out: &mut Vec<u8>) {
        out.reserve(SPOOL_HEAD + self.text.len());
        out.extend_from_slice(&self.file.to_le_bytes());
        out.extend_from_slice(&(self.index - base).to_le_bytes());
        out.extend_from_slice(&self.modified.unwrap_or_default().to_le_bytes());
        for end in self.ends {
            out.extend_from_slice(&end.to_le_bytes());
        }
        out.push(self.present);
        let flags = [
            (self.sub_is_id, SUB_IS_ID),
            (self.password_reset, PASSWORD_RESET),
            (self.modified.is_some(), MODIFIED),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .fold(0, |flags, (_, bit)| flags | bit);
        out.push(flags);
        out.extend_from_slice(self.text.as_bytes());
        if let Some(extra) = &self.extra {
            // Serializing findings, links and codes (strings and enums) cannot fail.
            let _ = serde_json::to_writer(&mut *out, extra);
        }
    }

    /// A user from a record [`to_spool`](Self::to_spool) wrote from `base`.
    ///
    /// # Errors
    /// The record is cut short or is not one (a spool the caller damaged): never read as an
    /// empty user.
    pub(crate) fn from_spool(record: &[u8], base: u64) -> std::result::Result<Self, String> {
        let broken = |what: &str| format!("a spooled user is damaged ({what})");
        let head = record
            .get(..SPOOL_HEAD)
            .ok_or_else(|| broken("cut short"))?;
        let word =
            |at: usize| u32::from_le_bytes([head[at], head[at + 1], head[at + 2], head[at + 3]]);
        let long = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&head[at..at + 8]);
            b
        };
        let mut ends = [0u32; PARTS];
        for (p, end) in ends.iter_mut().enumerate() {
            *end = word(20 + 4 * p);
        }
        let flags = head[SPOOL_HEAD - 1];
        let len = ends[PARTS - 1] as usize;
        if ends.windows(2).any(|w| w[0] > w[1]) {
            return Err(broken("parts out of order"));
        }
        let text = record
            .get(SPOOL_HEAD..SPOOL_HEAD + len)
            .ok_or_else(|| broken("cut short"))?;
        let text = std::str::from_utf8(text).map_err(|_| broken("not UTF-8"))?;
        let rest = &record[SPOOL_HEAD + len..];
        let extra = if rest.is_empty() {
            None
        } else {
            Some(Box::new(
                serde_json::from_slice::<Extra>(rest).map_err(|e| broken(&e.to_string()))?,
            ))
        };
        Ok(Self {
            file: word(0),
            index: u64::from_le_bytes(long(4)).wrapping_add(base),
            modified: (flags & MODIFIED != 0).then(|| i64::from_le_bytes(long(12))),
            text: text.into(),
            ends,
            present: head[SPOOL_HEAD - 2],
            sub_is_id: flags & SUB_IS_ID != 0,
            password_reset: flags & PASSWORD_RESET != 0,
            extra,
        })
    }

    /// The user's findings, for counting before the report takes them.
    pub(crate) fn findings(&self) -> &[UserFinding] {
        self.extra.as_ref().map_or(&[], |e| &e.findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn packed() -> PackedUser {
        let cognito = CognitoUser {
            username: "jane".into(),
            attributes: vec![
                ("sub".into(), "4320de44-2322-4620-999b-5e2e1c8df013".into()),
                ("email".into(), "Jane@Example.com".into()),
                ("phone_number".into(), "+15555550100".into()),
            ],
            ..CognitoUser::default()
        };
        let mapper = Rules::defaults().compile().unwrap();
        let mapped = crate::validate::user::checked(&mapper, &cognito);
        PackedUser::new(0, 3, &cognito, mapped, &mut Vec::new())
    }

    #[test]
    fn a_packed_user_holds_its_keys_and_reads_its_user_back() {
        let r = packed();
        assert_eq!(r.username(), "jane");
        assert_eq!(r.id(), "4320de44-2322-4620-999b-5e2e1c8df013");
        assert_eq!(r.email(), Some("jane@example.com"));
        assert_eq!(r.sub(), Some(r.id()));
        assert_eq!(r.login_id(), Some("jane@example.com"));
        let user = r.user().unwrap();
        assert_eq!(user.email.as_deref(), Some("Jane@Example.com"));
    }

    #[test]
    fn a_spooled_user_reads_back_the_same_and_a_damaged_one_is_an_error() {
        let mut r = packed();
        r.modified = Some(-5);
        r.add_finding(UserFinding::new(
            crate::finding::Severity::Info,
            Code::Disabled,
            "Enabled",
            "off",
        ));
        r.exclude(Code::DuplicateEmail, "kept another".into());
        let plain = packed();
        for user in [&r, &plain] {
            let mut record = Vec::new();
            user.to_spool(user.index, &mut record);
            let back = PackedUser::from_spool(&record, user.index).unwrap();
            assert_eq!(format!("{back:?}"), format!("{user:?}"));
            for cut in [0, SPOOL_HEAD - 1, SPOOL_HEAD + 3] {
                assert!(PackedUser::from_spool(&record[..cut], 0).is_err(), "{cut}");
            }
        }
        let mut record = Vec::new();
        r.to_spool(0, &mut record);
        let last = record.len() - 1;
        record[last] = b'x';
        assert!(PackedUser::from_spool(&record, 0).is_err());
    }

    #[test]
    fn a_broken_packed_user_is_an_error_not_an_empty_user() {
        let mut r = packed();
        let broken = "{\"id\":";
        r.text = broken.into();
        r.ends = [broken.len() as u32; PARTS];
        assert!(r.user().is_err());
    }
}
