//! What a push delivers, read from a folder written by `convert`: the import files, the link
//! requests and the report.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::ids::UserId;
use crate::error::{Error, Position, Result};
use crate::fusionauth::{LinkRequest, UserRegistration};
use crate::report::Report;

/// One user the import files hold, compact (about 40 bytes and its text, so that a plan of
/// ten million users fits in memory): its text and sets are read through [`Plan::user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedUser {
    /// The FusionAuth id (the import files always set it).
    pub id: UserId,
    /// The import file (index into [`Plan::files`]).
    file: u32,
    /// The user's place in that file, from 0.
    index: u32,
    /// Where its email, username, phone number and Cognito username start in [`Plan`]'s text.
    text: u32,
    /// Its registrations, among the plan's distinct sets.
    registrations: u32,
    /// Its memberships, among the plan's distinct sets.
    memberships: u32,
    /// [`ACTIVE`], [`VERIFIED_SET`], [`VERIFIED`], [`RESET`].
    flags: u8,
}

const ACTIVE: u8 = 1;
const VERIFIED_SET: u8 = 2;
const VERIFIED: u8 = 4;
const RESET: u8 = 8;

/// A planned user with what the push checks about it, read from the plan.
#[derive(Debug, Clone, Copy)]
pub struct UserView<'p> {
    plan: &'p Plan,
    user: &'p PlannedUser,
}

impl<'p> UserView<'p> {
    /// The FusionAuth id.
    pub fn id(&self) -> UserId {
        self.user.id
    }

    /// The import file (index into [`Plan::files`]).
    pub fn file(&self) -> usize {
        self.user.file as usize
    }

    /// The user's place in that file, from 0.
    pub fn index(&self) -> usize {
        self.user.index as usize
    }

    fn text(&self, field: usize) -> Option<&'p str> {
        let mut at = self.user.text as usize;
        let bytes = &self.plan.text;
        for n in 0..=field {
            let (len, used) = read_len(&bytes[at..]);
            at += used;
            if n == field {
                let len = len?;
                return std::str::from_utf8(&bytes[at..at + len]).ok();
            }
            at += len.unwrap_or(0);
        }
        None
    }

    /// `email`, as written.
    pub fn email(&self) -> Option<&'p str> {
        self.text(0)
    }

    /// `username`, as written.
    pub fn username(&self) -> Option<&'p str> {
        self.text(1)
    }

    /// `phoneNumber`, as written.
    pub fn phone_number(&self) -> Option<&'p str> {
        self.text(2)
    }

    /// `data.cognito.username`, to name the user in reports.
    pub fn cognito_username(&self) -> Option<&'p str> {
        self.text(3)
    }

    /// The id the user resets the password with: email, else username, else phone number.
    pub fn login_id(&self) -> Option<&'p str> {
        self.email()
            .or_else(|| self.username())
            .or_else(|| self.phone_number())
    }

    /// `active` (FusionAuth's default, true, when absent).
    pub fn active(&self) -> bool {
        self.user.flags & ACTIVE != 0
    }

    /// `verified`, when written.
    pub fn verified(&self) -> Option<bool> {
        (self.user.flags & VERIFIED_SET != 0).then_some(self.user.flags & VERIFIED != 0)
    }

    /// `login-ids.txt` lists the user's login id: a reset email may go to them (not to a
    /// federated-only or disabled user).
    pub fn password_reset(&self) -> bool {
        self.user.flags & RESET != 0
    }

    /// Application id → role names.
    pub fn registrations(&self) -> &'p BTreeMap<String, BTreeSet<String>> {
        &self.plan.registration_sets[self.user.registrations as usize]
    }

    /// Group ids.
    pub fn memberships(&self) -> &'p BTreeSet<String> {
        &self.plan.membership_sets[self.user.memberships as usize]
    }
}

/// Appends a text field: its length plus one as a LEB128 number (0: absent), then its bytes.
fn write_text(out: &mut Vec<u8>, text: Option<&str>) {
    let mut n = text.map_or(0, |t| t.len() as u64 + 1);
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(text.unwrap_or_default().as_bytes());
}

/// Reads what [`write_text`] wrote: the length (`None`: absent) and the bytes the number took.
fn read_len(bytes: &[u8]) -> (Option<usize>, usize) {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return ((n as usize).checked_sub(1), i + 1);
        }
    }
    (None, bytes.len())
}

/// One import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFile {
    /// `users-0001.json`, ...
    pub name: String,
    /// Its users' indexes in [`Plan::users`].
    pub users: Range<usize>,
    /// Its length and a hash of its bytes, to check that the file sent is the file planned.
    pub fingerprint: (usize, u64),
}

/// The length and a fast hash of a file's bytes.
pub(crate) fn fingerprint(bytes: &[u8]) -> (usize, u64) {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(bytes);
    (bytes.len(), hasher.finish())
}

/// Everything a push, verify or undo works from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every user of the import files, in file order (read through [`Plan::user`]).
    pub users: Vec<PlannedUser>,
    /// The users' email, username, phone number and Cognito username, one after the other.
    text: Vec<u8>,
    /// The distinct registrations of the users (most share one).
    registration_sets: Vec<BTreeMap<String, BTreeSet<String>>>,
    /// The distinct memberships of the users.
    membership_sets: Vec<BTreeSet<String>>,
    /// Each user's id and place in `users`, sorted by id.
    by_id: Vec<(UserId, u32)>,
    /// The import files, in order.
    pub files: Vec<PlanFile>,
    /// `links.json`.
    pub links: Vec<LinkRequest>,
    /// The tenant the import files name (`users[x].tenantId`), when they name one.
    pub tenant_id: Option<String>,
    /// Application id → every role name the users get in it.
    pub applications: BTreeMap<String, BTreeSet<String>>,
    /// Group id → its Cognito group name (when `report.json` names it).
    pub groups: BTreeMap<String, Option<String>>,
    /// `summary.usersRead` of `report.json`.
    pub users_read: u64,
    /// `summary.excluded` of `report.json`: users excluded at convert.
    pub excluded_at_convert: u64,
}

impl Plan {
    /// User `i`, with its text and sets.
    pub fn user(&self, i: usize) -> UserView<'_> {
        UserView {
            plan: self,
            user: &self.users[i],
        }
    }

    /// The place in [`Plan::users`] of the user with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        let id = UserId::parse(id)?;
        self.by_id
            .binary_search_by(|(k, _)| k.cmp(&id))
            .ok()
            .map(|k| self.by_id[k].1 as usize)
    }

    /// A name for the run of these users to `target` (FusionAuth's URL): a hash of the target
    /// and of the users' ids in order — the same for every conversion of the same exports with
    /// the same rules (placeholder passwords aside) and every build of this tool — so a
    /// transport can find the journal of an earlier attempt.
    pub fn run_key(&self, target: &str) -> String {
        use std::hash::Hasher;
        let mut hasher = rustc_hash::FxHasher::default();
        hasher.write(target.to_ascii_lowercase().as_bytes());
        hasher.write_u8(0);
        for user in &self.users {
            hasher.write(user.id.to_string().as_bytes());
            hasher.write_u8(0);
        }
        format!("{:016x}-{}", hasher.finish(), self.users.len())
    }

    /// The identity providers the links use.
    pub fn providers(&self) -> BTreeSet<&str> {
        self.links
            .iter()
            .map(|l| l.identity_provider_link.identity_provider_id.as_str())
            .collect()
    }
}

/// True for the names of `convert`'s import files (`users-0001.json`).
pub fn is_import_file(name: &str) -> bool {
    name.strip_prefix("users-")
        .and_then(|rest| rest.strip_suffix(".json"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Deserialize)]
struct ImportFile<'a> {
    #[serde(borrow)]
    users: Vec<&'a RawValue>,
}

/// An import file, with only what the plan needs of each user.
#[derive(Deserialize)]
struct UsersFields {
    users: Vec<UserFields>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UserFields {
    id: Option<String>,
    tenant_id: Option<String>,
    email: Option<String>,
    username: Option<String>,
    phone_number: Option<String>,
    active: Option<bool>,
    verified: Option<bool>,
    registrations: Vec<UserRegistration>,
    memberships: Vec<crate::fusionauth::GroupMember>,
    data: DataFields,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DataFields {
    cognito: CognitoFields,
    /// `data.cognitoFusionauthRun` is there (whatever its value): `push` writes it itself.
    #[serde(rename = "cognitoFusionauthRun", deserialize_with = "present")]
    run_marker: bool,
}

/// True for a field that is there, whatever it holds (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CognitoFields {
    username: Option<String>,
}

/// The byte range of each user in an import file, so a subset can be sent without
/// re-serializing anyone.
///
/// # Errors
/// The file is not an Import API request.
pub fn user_spans(name: &str, bytes: &[u8]) -> Result<Vec<Range<usize>>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| read_error(name, None, format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let file: ImportFile<'_> = serde_json::from_str(text).map_err(|e| {
        Error::read(
            Position {
                file: name.to_owned(),
                line: e.line() as u64,
                column: e.column() as u64,
                ..Position::default()
            },
            None,
            format!("not an Import API request: {e}"),
        )
    })?;
    let base = text.as_ptr() as usize;
    Ok(file
        .users
        .iter()
        .map(|raw| {
            let start = raw.get().as_ptr() as usize - base;
            start..start + raw.get().len()
        })
        .collect())
}

fn read_error(file: &str, index: Option<usize>, message: impl Into<String>) -> Error {
    Error::read(
        Position {
            file: file.to_owned(),
            user_index: index.map(|i| i as u64),
            ..Position::default()
        },
        None,
        message,
    )
}

/// The first id of `ids` that is not a FusionAuth id (a lower-case UUID).
fn not_uuid<'i>(mut ids: impl Iterator<Item = &'i String>) -> Option<&'i String> {
    ids.find(|id| !crate::fields::is_uuid(id))
}

/// `login-ids.txt`, lower-cased, as one text and its lines' places sorted (about 30 bytes a
/// line: a plan of ten million users never holds ten million strings).
#[derive(Debug, Default)]
struct LoginIds {
    text: String,
    lines: Vec<(u32, u32)>,
}

impl LoginIds {
    fn new(file: &str) -> Self {
        let text = file.to_lowercase();
        let mut lines: Vec<(u32, u32)> = Vec::new();
        let mut at = 0usize;
        for line in text.split('\n') {
            let trimmed = line.trim();
            if !trimmed.is_empty() {
                let start = at + (trimmed.as_ptr() as usize - line.as_ptr() as usize);
                lines.push((start as u32, trimmed.len() as u32));
            }
            at += line.len() + 1;
        }
        let mut ids = Self { text, lines };
        let mut lines = std::mem::take(&mut ids.lines);
        lines.sort_unstable_by(|a, b| ids.line(*a).cmp(ids.line(*b)));
        ids.lines = lines;
        ids
    }

    fn line(&self, (start, len): (u32, u32)) -> &str {
        &self.text[start as usize..(start + len) as usize]
    }

    /// The file lists `id` (compared in lower case).
    fn contains(&self, id: &str) -> bool {
        let id = id.to_lowercase();
        self.lines
            .binary_search_by(|l| self.line(*l).cmp(id.as_str()))
            .is_ok()
    }
}

/// The place of `set` among `sets`, added when new.
fn intern<T: Clone + Eq + std::hash::Hash>(
    index: &mut HashMap<T, u32>,
    sets: &mut Vec<T>,
    set: T,
) -> u32 {
    if let Some(&k) = index.get(&set) {
        return k;
    }
    let k = sets.len() as u32;
    sets.push(set.clone());
    index.insert(set, k);
    k
}

/// Builds a [`Plan`] from the files of a `convert` folder.
#[derive(Debug, Default)]
pub struct PlanBuilder {
    plan: Plan,
    /// Where each distinct registration and membership set is in the plan.
    registration_index: HashMap<BTreeMap<String, BTreeSet<String>>, u32>,
    membership_index: HashMap<BTreeSet<String>, u32>,
    tenants: BTreeSet<String>,
    report: Option<Report>,
    /// `login-ids.txt`.
    login_ids: Option<LoginIds>,
}

impl PlanBuilder {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an import file (`users-NNNN.json`); files must come in order.
    ///
    /// # Errors
    /// The file is not an Import API request, or a user has no `id`.
    pub fn add_import_file(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let users = match serde_json::from_slice::<UsersFields>(bytes) {
            Ok(file) => file.users,
            // Read again user by user, so that the error names the file, position and user.
            Err(_) => user_spans(name, bytes)?
                .into_iter()
                .enumerate()
                .map(|(index, span)| {
                    serde_json::from_slice(&bytes[span])
                        .map_err(|e| read_error(name, Some(index), format!("not a user: {e}")))
                })
                .collect::<Result<Vec<UserFields>>>()?,
        };
        let file = self.plan.files.len();
        let first = self.plan.users.len();
        for (index, fields) in users.into_iter().enumerate() {
            let id = fields
                .id
                .ok_or_else(|| read_error(name, Some(index), "the user has no id"))?;
            let id = UserId::parse(&id).ok_or_else(|| {
                read_error(
                    name,
                    Some(index),
                    format!("the user id {id:?} is not a FusionAuth id (a lower-case UUID)"),
                )
            })?;
            if fields.data.run_marker {
                return Err(read_error(
                    name,
                    Some(index),
                    format!(
                        "the user already has data.{}, which push writes itself: convert again",
                        crate::fusionauth::RUN_MARKER
                    ),
                ));
            }
            if let Some(t) = fields.tenant_id {
                self.tenants.insert(t);
            }
            let mut registrations: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for r in fields.registrations {
                let roles = self
                    .plan
                    .applications
                    .entry(r.application_id.clone())
                    .or_default();
                roles.extend(r.roles.iter().cloned());
                registrations
                    .entry(r.application_id)
                    .or_default()
                    .extend(r.roles);
            }
            let memberships: BTreeSet<String> =
                fields.memberships.into_iter().map(|m| m.group_id).collect();
            for g in &memberships {
                self.plan.groups.entry(g.clone()).or_insert(None);
            }
            let text = u32::try_from(self.plan.text.len()).map_err(|_| {
                read_error(
                    name,
                    Some(index),
                    "the import files hold more text than a push can plan (4 GB)",
                )
            })?;
            for field in [
                &fields.email,
                &fields.username,
                &fields.phone_number,
                &fields.data.cognito.username,
            ] {
                write_text(&mut self.plan.text, field.as_deref());
            }
            let registrations = intern(
                &mut self.registration_index,
                &mut self.plan.registration_sets,
                registrations,
            );
            let memberships = intern(
                &mut self.membership_index,
                &mut self.plan.membership_sets,
                memberships,
            );
            let mut flags = RESET;
            if fields.active.unwrap_or(true) {
                flags |= ACTIVE;
            }
            if let Some(v) = fields.verified {
                flags |= VERIFIED_SET | if v { VERIFIED } else { 0 };
            }
            self.plan.users.push(PlannedUser {
                id,
                file: file as u32,
                index: index as u32,
                text,
                registrations,
                memberships,
                flags,
            });
        }
        self.plan.files.push(PlanFile {
            name: name.to_owned(),
            users: first..self.plan.users.len(),
            fingerprint: fingerprint(bytes),
        });
        Ok(())
    }

    /// Adds `links.json`.
    ///
    /// # Errors
    /// The file is not a list of Link API requests.
    pub fn add_links(&mut self, bytes: &[u8]) -> Result<()> {
        self.plan.links = serde_json::from_slice(bytes).map_err(|e| {
            read_error(
                "links.json",
                None,
                format!("not a list of link requests: {e}"),
            )
        })?;
        Ok(())
    }

    /// Adds `login-ids.txt`: the users a reset email may go to (without it, every user with a
    /// login id).
    ///
    /// # Errors
    /// The file is not UTF-8.
    pub fn add_login_ids(&mut self, bytes: &[u8]) -> Result<()> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            read_error(
                "login-ids.txt",
                None,
                format!("not UTF-8 at byte {}", e.valid_up_to()),
            )
        })?;
        self.login_ids = Some(LoginIds::new(text));
        Ok(())
    }

    /// Adds `report.json` (the counts and the group names).
    ///
    /// # Errors
    /// The file is not a report.
    pub fn add_report(&mut self, bytes: &[u8]) -> Result<()> {
        let report: Report = serde_json::from_slice(bytes).map_err(|e| {
            read_error("report.json", None, format!("not a conversion report: {e}"))
        })?;
        self.report = Some(report);
        Ok(())
    }

    /// Every id the run sends in a request path or body is a UUID, as `convert` writes them:
    /// a hand-edited folder cannot steer a request to another endpoint.
    fn check_ids(&self) -> Result<()> {
        // User ids are checked as each file is read; the sets are checked once each, naming
        // the first user that has the set.
        let first_with = |pick: &dyn Fn(&PlannedUser) -> bool| {
            self.plan.users.iter().find(|u| pick(u)).map_or_else(
                || ("users-*.json".to_owned(), None),
                |u| {
                    (
                        self.plan.files[u.file as usize].name.clone(),
                        Some(u.index as usize),
                    )
                },
            )
        };
        for (k, set) in self.plan.registration_sets.iter().enumerate() {
            if let Some(id) = not_uuid(set.keys()) {
                let (file, index) = first_with(&|u| u.registrations as usize == k);
                return Err(read_error(
                    &file,
                    index,
                    format!("the application id {id:?} is not a FusionAuth id (a lower-case UUID)"),
                ));
            }
        }
        for (k, set) in self.plan.membership_sets.iter().enumerate() {
            if let Some(id) = not_uuid(set.iter()) {
                let (file, index) = first_with(&|u| u.memberships as usize == k);
                return Err(read_error(
                    &file,
                    index,
                    format!("the group id {id:?} is not a FusionAuth id (a lower-case UUID)"),
                ));
            }
        }
        if let Some(t) = not_uuid(self.tenants.iter()) {
            return Err(read_error(
                "users-*.json",
                None,
                format!("the tenant id {t:?} is not a FusionAuth id (a lower-case UUID)"),
            ));
        }
        let providers = self
            .plan
            .links
            .iter()
            .map(|l| &l.identity_provider_link.identity_provider_id);
        if let Some(p) = not_uuid(providers) {
            return Err(read_error(
                "links.json",
                None,
                format!(
                    "the identity provider id {p:?} is not a FusionAuth id (a lower-case UUID)"
                ),
            ));
        }
        Ok(())
    }

    /// The plan.
    ///
    /// # Errors
    /// The report is missing or blocked, the files disagree with it, two users share an id,
    /// the files name several tenants, or a link names a user the files do not hold.
    pub fn finish(mut self) -> Result<Plan> {
        self.check_ids()?;
        let report = self.report.ok_or_else(|| {
            read_error(
                "report.json",
                None,
                "missing: is this a folder written by `convert --out`?",
            )
        })?;
        if report.summary.blocked {
            return Err(read_error(
                "report.json",
                None,
                format!(
                    "the conversion was blocked ({}): fix it and convert again",
                    report.summary.blocked_reason.unwrap_or_default()
                ),
            ));
        }
        if report.summary.imported != self.plan.users.len() as u64 {
            return Err(read_error(
                "report.json",
                None,
                format!(
                    "it counts {} imported users but the import files hold {}: the folder mixes two conversions",
                    report.summary.imported,
                    self.plan.users.len()
                ),
            ));
        }
        let mut by_id: Vec<(UserId, u32)> = self
            .plan
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id, i as u32))
            .collect();
        by_id.sort_unstable();
        if let Some(pair) = by_id.windows(2).find(|w| w[0].0 == w[1].0) {
            let u = &self.plan.users[pair[1].1 as usize];
            return Err(read_error(
                &self.plan.files[u.file as usize].name,
                Some(u.index as usize),
                format!("the id {} appears twice in the import files", u.id),
            ));
        }
        self.plan.by_id = by_id;
        for link in &self.plan.links {
            if self
                .plan
                .position(&link.identity_provider_link.user_id)
                .is_none()
            {
                return Err(read_error(
                    "links.json",
                    None,
                    format!(
                        "a link names user {}, who is not in the import files",
                        link.identity_provider_link.user_id
                    ),
                ));
            }
        }
        if self.tenants.len() > 1 {
            return Err(read_error(
                "users-*.json",
                None,
                "the import files name more than one tenant",
            ));
        }
        self.plan.tenant_id = self.tenants.pop_first();
        for (id, name) in report.summary.groups {
            if let Some(slot) = self.plan.groups.get_mut(&id) {
                *slot = Some(name);
            }
        }
        if let Some(listed) = &self.login_ids {
            for i in 0..self.plan.users.len() {
                let listed = self
                    .plan
                    .user(i)
                    .login_id()
                    .is_some_and(|id| listed.contains(id));
                if !listed {
                    self.plan.users[i].flags &= !RESET;
                }
            }
        }
        self.plan.users_read = report.summary.users_read;
        self.plan.excluded_at_convert = report.summary.excluded;
        Ok(self.plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U1: &str = "0a000000-0000-4000-8000-000000000001";
    const U2: &str = "0a000000-0000-4000-8000-000000000002";
    const APP: &str = "0b000000-0000-4000-8000-000000000001";
    const GROUP: &str = "0c000000-0000-4000-8000-000000000001";
    const IDP: &str = "0d000000-0000-4000-8000-000000000001";

    /// `FILE` with its placeholder ids made real.
    fn file() -> Vec<u8> {
        String::from_utf8(FILE.to_vec())
            .unwrap()
            .replace("\"u1\"", &format!("\"{U1}\""))
            .replace("\"u2\"", &format!("\"{U2}\""))
            .replace("\"app\"", &format!("\"{APP}\""))
            .replace("\"g\"", &format!("\"{GROUP}\""))
            .into_bytes()
    }

    fn link(user: &str) -> Vec<u8> {
        format!(r#"[{{"identityProviderLink":{{"identityProviderId":"{IDP}","identityProviderUserId":"x","userId":"{user}"}}}}]"#).into_bytes()
    }

    const FILE: &[u8] = br#"{"users":[{"id":"u1","email":"a@x.io","registrations":[{"applicationId":"app","roles":["r"]}],"memberships":[{"groupId":"g"}],"data":{"cognito":{"username":"alice"}},"password":"p"},
{"id":"u2","username":"bob","active":false,"verified":true}]}
"#;

    fn report(imported: u64) -> Vec<u8> {
        let mut r = Report::default();
        r.summary.imported = imported;
        r.summary.users_read = imported + 1;
        r.summary.excluded = 1;
        r.summary.groups.insert(GROUP.into(), "staff".into());
        serde_json::to_vec(&r).unwrap()
    }

    #[test]
    fn reads_users_links_and_counts() {
        let mut b = PlanBuilder::new();
        b.add_import_file("users-0001.json", &file()).unwrap();
        b.add_links(&link(U2)).unwrap();
        b.add_report(&report(2)).unwrap();
        let plan = b.finish().unwrap();
        assert_eq!(plan.users.len(), 2);
        let (alice, bob) = (plan.user(0), plan.user(1));
        assert_eq!(alice.login_id(), Some("a@x.io"));
        assert_eq!(alice.cognito_username(), Some("alice"));
        assert_eq!(alice.username(), None);
        assert!(alice.active() && alice.verified().is_none() && alice.password_reset());
        assert_eq!(alice.registrations()[APP].iter().collect::<Vec<_>>(), ["r"]);
        assert!(alice.memberships().contains(GROUP));
        assert_eq!(bob.login_id(), Some("bob"));
        assert_eq!(bob.cognito_username(), None);
        assert!(!bob.active() && bob.verified() == Some(true));
        assert!(bob.registrations().is_empty() && bob.memberships().is_empty());
        assert_eq!(plan.position(U2), Some(1));
        assert_eq!(plan.position("0a000000-0000-4000-8000-0000000000ff"), None);
        assert_eq!(plan.groups[GROUP].as_deref(), Some("staff"));
        assert!(plan.applications[APP].contains("r"));
        assert_eq!(plan.files[0].users, 0..2);
        assert_eq!(plan.excluded_at_convert, 1);
        assert_eq!(plan.providers().into_iter().collect::<Vec<_>>(), [IDP]);
    }

    #[test]
    fn the_run_key_follows_the_ids_not_the_passwords() {
        let plan = |file: &[u8]| {
            let mut b = PlanBuilder::new();
            b.add_import_file("users-0001.json", file).unwrap();
            b.add_report(&report(2)).unwrap();
            b.finish().unwrap()
        };
        let file = file();
        let text = std::str::from_utf8(&file).unwrap();
        let other_password = text.replace(r#""password":"p""#, r#""password":"q""#);
        let key = |file: &[u8]| plan(file).run_key("https://auth.example.com");
        assert_eq!(key(&file), key(other_password.as_bytes()));
        assert_eq!(key(&file), plan(&file).run_key("HTTPS://Auth.Example.com"));
        assert_ne!(key(&file), plan(&file).run_key("https://other.example.com"));
        let other_id = text.replace(U2, "0a000000-0000-4000-8000-000000000003");
        assert_ne!(key(&file), key(other_id.as_bytes()));
    }

    #[test]
    fn ids_that_go_into_paths_must_be_uuids_and_the_marker_is_push_s_own() {
        let finish = |file: String, links: Option<Vec<u8>>| {
            let mut b = PlanBuilder::new();
            b.add_import_file("users-0001.json", file.as_bytes())?;
            if let Some(links) = links {
                b.add_links(&links)?;
            }
            b.add_report(&report(2))?;
            b.finish()
        };
        let text = String::from_utf8(file()).unwrap();
        for (from, to, what) in [
            (APP, "../user/bulk", "application id"),
            (GROUP, "a/b", "group id"),
            (U1, "u1", "user id"),
            (U1, "0A000000-0000-4000-8000-000000000001", "user id"),
        ] {
            let e = finish(text.replace(from, to), None)
                .unwrap_err()
                .to_string();
            assert!(e.contains(what) && e.contains("users-0001.json"), "{e}");
        }
        let tenant = text.replace(
            r#""id":"0a000000-0000-4000-8000-000000000002","#,
            r#""id":"0a000000-0000-4000-8000-000000000002","tenantId":"../tenant","#,
        );
        let e = finish(tenant, None).unwrap_err().to_string();
        assert!(e.contains("tenant id"), "{e}");
        let bad_idp = String::from_utf8(link(U2))
            .unwrap()
            .replace(IDP, "idp/../x");
        let e = finish(text.clone(), Some(bad_idp.into_bytes()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("identity provider id") && e.contains("links.json"),
            "{e}"
        );
        let marked = text.replace(
            r#""data":{"cognito""#,
            r#""data":{"cognitoFusionauthRun":null,"cognito""#,
        );
        let e = finish(marked, None).unwrap_err().to_string();
        assert!(
            e.contains("cognitoFusionauthRun") && e.contains("users-0001.json"),
            "{e}"
        );
        assert!(finish(text, None).is_ok());
    }

    #[test]
    fn login_ids_txt_is_matched_in_any_case_and_long_text_reads_back() {
        let long = "x".repeat(300);
        let text = String::from_utf8(file()).unwrap().replace(
            r#""username":"bob""#,
            &format!(r#""username":"{long}","email":"B@x.io""#),
        );
        let mut b = PlanBuilder::new();
        b.add_import_file("users-0001.json", text.as_bytes())
            .unwrap();
        b.add_login_ids(b"  b@X.IO\r\n\nnobody@x.io\n").unwrap();
        b.add_report(&report(2)).unwrap();
        let plan = b.finish().unwrap();
        assert!(!plan.user(0).password_reset());
        assert!(plan.user(1).password_reset());
        assert_eq!(plan.user(1).username(), Some(long.as_str()));
        assert_eq!(plan.user(1).email(), Some("B@x.io"));
    }

    #[test]
    fn spans_cut_each_user_exactly() {
        let spans = user_spans("f", FILE).unwrap();
        let second = std::str::from_utf8(&FILE[spans[1].clone()]).unwrap();
        assert_eq!(
            second,
            r#"{"id":"u2","username":"bob","active":false,"verified":true}"#
        );
    }

    #[test]
    fn mismatched_counts_duplicates_and_strangers_are_errors() {
        let mut b = PlanBuilder::new();
        b.add_import_file("users-0001.json", &file()).unwrap();
        b.add_report(&report(3)).unwrap();
        assert!(b.finish().unwrap_err().to_string().contains("mixes"));
        let mut b = PlanBuilder::new();
        b.add_import_file("users-0001.json", &file()).unwrap();
        b.add_import_file("users-0002.json", &file()).unwrap();
        b.add_report(&report(4)).unwrap();
        assert!(b.finish().unwrap_err().to_string().contains("twice"));
        let mut b = PlanBuilder::new();
        b.add_import_file("users-0001.json", &file()).unwrap();
        b.add_links(&link("0a000000-0000-4000-8000-0000000000ff"))
            .unwrap();
        b.add_report(&report(2)).unwrap();
        assert!(b
            .finish()
            .unwrap_err()
            .to_string()
            .contains("not in the import files"));
        assert!(PlanBuilder::new().finish().is_err());
        assert!(is_import_file("users-0001.json"));
        assert!(!is_import_file("users-.json") && !is_import_file("report.json"));
        let e = user_spans("users-0009.json", b"{\"users\":[}").unwrap_err();
        assert!(e.to_string().contains("users-0009.json"));
    }
}
