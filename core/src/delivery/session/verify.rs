//! Verify: every planned user is looked up by id (the search by ids reads the database, so it
//! is exact right after an import), each imported user compared field by field with the file,
//! and each imported user's links checked.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::{found_users, Flow, Purpose, Resend, Session, Stop, UserState, SEARCH_CHUNK};
use crate::delivery::http::{Answer, Method, Request};
use crate::delivery::ids::UserId;
use crate::delivery::report::Mismatch;

impl Session {
    pub(super) fn verify(&mut self) -> Flow {
        let users = self.plan.users.len();
        if self.cursor < users {
            let start = self.cursor;
            let end = (start + SEARCH_CHUNK).min(users);
            self.cursor = end;
            self.progress = (start as u64, users as u64);
            let request = self.search(&(start..end));
            return Flow::Send(Purpose::Verify(start..end), request, Resend::Transient);
        }
        // Then the links, one look-up per imported user that has links.
        while let Some(link) = self.plan.links.get(self.cursor - users) {
            let user = link.identity_provider_link.user_id.clone();
            let k = self.cursor - users;
            let previous = k
                .checked_sub(1)
                .map(|p| &self.plan.links[p].identity_provider_link.user_id);
            self.cursor += 1;
            let ours = self
                .plan
                .position(&user)
                .is_some_and(|i| self.users[i] == UserState::Ours);
            if previous == Some(&user) || !ours {
                continue;
            }
            let request =
                Request::new(Method::Get, "/api/identity-provider/link").query("userId", user);
            return Flow::Send(Purpose::VerifyLinks(k), request, Resend::Transient);
        }
        Flow::Next
    }

    pub(super) fn on_verify(&mut self, purpose: Purpose, answer: Answer) -> Result<(), Stop> {
        if answer.code() != Some(200) {
            return Err(Stop(format!(
                "FusionAuth answered {} during verification",
                answer.describe()
            )));
        }
        match purpose {
            Purpose::Verify(range) => {
                let found = found_users(&answer)
                    .ok_or_else(|| Stop("the search answer has no users".into()))?;
                self.verify_users(range, &found);
            }
            Purpose::VerifyLinks(k) => {
                let user = self.plan.links[k].identity_provider_link.user_id.clone();
                let body = answer.json().unwrap_or(Value::Null);
                let present: BTreeSet<(String, String)> = body
                    .get("identityProviderLinks")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|l| {
                        Some((
                            l.get("identityProviderId")?.as_str()?.to_owned(),
                            l.get("identityProviderUserId")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect();
                for link in self.plan.links[k..]
                    .iter()
                    .map(|l| &l.identity_provider_link)
                    .take_while(|l| l.user_id == user)
                {
                    let key = (
                        link.identity_provider_id.clone(),
                        link.identity_provider_user_id.clone(),
                    );
                    let known = self
                        .report
                        .link_issues
                        .iter()
                        .any(|i| i.user_id == user && i.identity_provider_id == key.0);
                    if !present.contains(&key) && !known {
                        self.report.mismatches.push(Mismatch {
                            id: user.clone(),
                            field: "links".into(),
                            detail: format!("no link to identity provider {}", key.0),
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn verify_users(&mut self, range: std::ops::Range<usize>, found: &HashMap<UserId, Value>) {
        for i in range {
            let id = self.plan.users[i].id;
            let state = self.users[i];
            match (found.get(&id), state) {
                (Some(user), UserState::Ours) => self.compare(i, user),
                (Some(_), UserState::PreExisting | UserState::Conflict | UserState::Refused) => {}
                (Some(user), UserState::Unknown | UserState::New) => {
                    if self.made_by_run(user) {
                        self.users[i] = UserState::Ours;
                        self.compare(i, user);
                    } else {
                        self.users[i] = UserState::PreExisting;
                        let issue = self.issue(
                            i,
                            "already in FusionAuth with this id, not made by this run (no run marker): skipped",
                            None,
                        );
                        self.report.skipped.push(issue);
                    }
                }
                (None, UserState::Conflict | UserState::Refused) => {}
                (None, UserState::Ours) => {
                    let issue =
                        self.issue(i, "imported by this run but no longer in FusionAuth", None);
                    self.report.missing.push(issue);
                }
                (None, _) => {
                    let issue = self.issue(i, "not in FusionAuth: run push", None);
                    self.report.missing.push(issue);
                }
            }
        }
    }

    /// Compares what FusionAuth holds with the file: email, username, active, verified,
    /// registrations and roles, memberships.
    fn compare(&mut self, i: usize, found: &Value) {
        let u = self.plan.user(i);
        let text = |key: &str| {
            found
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        };
        let mut differences = Vec::new();
        for (field, expected) in [("email", u.email()), ("username", u.username())] {
            let expected = expected.map(str::to_lowercase);
            if expected.is_some() && text(field) != expected {
                differences.push((field, format!("FusionAuth has {:?}", found.get(field))));
            }
        }
        let active = found.get("active").and_then(Value::as_bool).unwrap_or(true);
        if active != u.active() {
            differences.push((
                "active",
                format!("expected {}, FusionAuth has {active}", u.active()),
            ));
        }
        if u.verified() == Some(true) {
            let verified = found
                .get("verified")
                .and_then(Value::as_bool)
                .unwrap_or(false)
                || found
                    .get("identities")
                    .and_then(Value::as_array)
                    .is_some_and(|ids| {
                        ids.iter()
                            .any(|x| x.get("verified").and_then(Value::as_bool) == Some(true))
                    });
            if !verified {
                differences.push((
                    "verified",
                    "expected verified, FusionAuth has it unverified".into(),
                ));
            }
        }
        let registrations: HashMap<&str, BTreeSet<&str>> = found
            .get("registrations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let roles = r
                    .get("roles")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                Some((r.get("applicationId")?.as_str()?, roles))
            })
            .collect();
        for (app, roles) in u.registrations() {
            match registrations.get(app.as_str()) {
                None => differences.push((
                    "registrations",
                    format!("no registration to application {app}"),
                )),
                Some(have) => {
                    let missing: Vec<&str> = roles
                        .iter()
                        .map(String::as_str)
                        .filter(|r| !have.contains(r))
                        .collect();
                    if !missing.is_empty() {
                        differences.push((
                            "registrations",
                            format!("application {app} lacks roles {}", missing.join(", ")),
                        ));
                    }
                }
            }
        }
        let groups: BTreeSet<&str> = found
            .get("memberships")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("groupId").and_then(Value::as_str))
            .collect();
        for g in u.memberships() {
            if !groups.contains(g.as_str()) {
                differences.push(("memberships", format!("not a member of group {g}")));
            }
        }
        if differences.is_empty() {
            self.report.counts.verified += 1;
        }
        let id = u.id().to_string();
        self.report
            .mismatches
            .extend(differences.into_iter().map(|(field, detail)| Mismatch {
                id: id.clone(),
                field: field.into(),
                detail,
            }));
    }
}
