//! Pre-flight, read-only: FusionAuth answers, the key works for every endpoint the run calls,
//! the tenant, applications, roles, groups and identity providers exist, and which planned
//! users are already there (by id: skipped) or collide with another user (by email or
//! username: conflicts).

use serde_json::{json, Value};

use super::{found_users, Flow, Purpose, Resend, Session, Stop, UserState, SEARCH_CHUNK};
use crate::delivery::http::{Answer, Method, Request};
use crate::delivery::ids::UserId;
use crate::delivery::journal::Event;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Phase {
    #[default]
    Version,
    Tenant,
    Applications,
    Groups,
    Providers,
    Probes,
    Search,
    Lookups,
    End,
}

#[derive(Debug, Default)]
pub(super) struct State {
    phase: Phase,
    /// Groups to create (ids).
    pub(super) missing_groups: Vec<String>,
    /// A group whose creation must be checked by id.
    pub(super) check_group: Option<String>,
    /// Users to look up by email and username.
    lookups: Vec<usize>,
}

/// The change-password id lifetime FusionAuth gives a tenant by default.
const DEFAULT_CHANGE_PASSWORD_TTL: u64 = 600;

impl Session {
    pub(super) fn preflight(&mut self) -> Result<Flow, Stop> {
        loop {
            let verify_only = self.options.command == super::Command::Verify;
            match self.pre.phase {
                Phase::Version => {
                    self.pre.phase = Phase::Tenant;
                    return Ok(self.send(
                        Purpose::Version,
                        Request::new(Method::Get, "/api/system/version"),
                    ));
                }
                Phase::Tenant => {
                    self.pre.phase = Phase::Applications;
                    self.cursor = 0;
                    let request = match &self.tenant {
                        Some(t) => (Purpose::Tenant, Request::at(Method::Get, "/api/tenant", t)),
                        None => (Purpose::Tenants, Request::new(Method::Get, "/api/tenant")),
                    };
                    return Ok(self.send(request.0, request.1));
                }
                Phase::Applications if !verify_only => {
                    if let Some(id) = self.plan.applications.keys().nth(self.cursor).cloned() {
                        self.cursor += 1;
                        let r = Request::at(Method::Get, "/api/application", &id);
                        return Ok(self.send(Purpose::Application(id), r));
                    }
                }
                Phase::Groups if !verify_only => {
                    if let Some(id) = self.plan.groups.keys().nth(self.cursor).cloned() {
                        self.cursor += 1;
                        let r = Request::at(Method::Get, "/api/group", &id);
                        return Ok(self.send(Purpose::Group(id), r));
                    }
                }
                Phase::Providers if !verify_only => {
                    let next = self
                        .plan
                        .providers()
                        .into_iter()
                        .nth(self.cursor)
                        .map(str::to_owned);
                    if let Some(id) = next {
                        self.cursor += 1;
                        let r = Request::at(Method::Get, "/api/identity-provider", &id);
                        return Ok(self.send(Purpose::Provider(id), r));
                    }
                }
                Phase::Probes if !verify_only => {
                    while self.cursor < PROBES {
                        let n = self.cursor;
                        self.cursor += 1;
                        if let Some(request) = self.probe(n) {
                            return Ok(self.send(Purpose::Probe, request));
                        }
                    }
                }
                Phase::Search if !verify_only => {
                    let start = self.cursor;
                    let end = (start + SEARCH_CHUNK).min(self.plan.users.len());
                    self.progress = (start as u64, self.plan.users.len() as u64);
                    if start < end {
                        self.cursor = end;
                        let r = self.search(&(start..end));
                        return Ok(self.send(Purpose::Search(start..end), r));
                    }
                }
                Phase::Lookups if !verify_only => {
                    while let Some(&i) = self.pre.lookups.get(self.cursor / 2) {
                        let field = if self.cursor % 2 == 0 {
                            "email"
                        } else {
                            "username"
                        };
                        self.cursor += 1;
                        self.progress = (self.cursor as u64 / 2, self.pre.lookups.len() as u64);
                        let u = self.plan.user(i);
                        let value = if field == "email" {
                            u.email()
                        } else {
                            u.username()
                        };
                        if let (Some(value), UserState::New) = (value, self.users[i]) {
                            let r = Request::new(Method::Get, "/api/user").query(field, value);
                            return Ok(self.send(Purpose::Lookup(i, field), r));
                        }
                    }
                }
                Phase::End => return self.preflight_end(),
                _ => {}
            }
            self.pre.phase = match self.pre.phase {
                Phase::Version => Phase::Tenant,
                Phase::Tenant => Phase::Applications,
                Phase::Applications => Phase::Groups,
                Phase::Groups => Phase::Providers,
                Phase::Providers => Phase::Probes,
                Phase::Probes => Phase::Search,
                Phase::Search => {
                    self.pre.lookups = (0..self.users.len())
                        .filter(|&i| self.users[i] == UserState::New)
                        .collect();
                    let new = self.pre.lookups.len();
                    if new > self.options.lookup_limit {
                        self.pre.lookups.clear();
                        self.report.warnings.push(format!(
                            "{new} new users, more than the look-up limit ({}): pre-flight did not look up \
                             their emails and usernames one by one. A user whose email or username another \
                             FusionAuth user holds is found by the import instead (FusionAuth names each \
                             duplicate) and listed as a conflict; raise --lookup-limit to see them in the plan",
                            self.options.lookup_limit
                        ));
                    }
                    Phase::Lookups
                }
                Phase::Lookups | Phase::End => Phase::End,
            };
            self.cursor = 0;
        }
    }

    fn send(&self, purpose: Purpose, request: Request) -> Flow {
        Flow::Send(purpose, request, Resend::Transient)
    }

    /// Probe `n`: a harmless request that shows the key may call an endpoint the run needs
    /// (FusionAuth answers a missing permission with 401).
    fn probe(&self, n: usize) -> Option<Request> {
        let post = |path: &str, body: Value| Some(Request::new(Method::Post, path).json(&body));
        match n {
            0 => post("/api/user/import", json!({"users": []})),
            1 if !self.plan.links.is_empty() => post("/api/identity-provider/link", json!({})),
            2 if self.options.send_resets => post(
                "/api/user/forgot-password",
                json!({"loginId": "cognito-fusionauth-probe@invalid.example", "sendForgotPasswordEmail": false}),
            ),
            3 if !self.pre.missing_groups.is_empty() => post("/api/group", json!({"group": {}})),
            _ => None,
        }
    }

    pub(super) fn on_preflight(
        &mut self,
        purpose: Purpose,
        request: &Request,
        answer: Answer,
    ) -> Result<(), Stop> {
        let status = answer.code();
        let body = answer.json().unwrap_or(Value::Null);
        match purpose {
            Purpose::Version => {
                let version = body.get("version").and_then(Value::as_str);
                match (status, version) {
                    (Some(200), Some(v)) => self.report.fusionauth_version = Some(v.to_owned()),
                    _ => {
                        return Err(Stop(format!(
                            "the URL does not answer like FusionAuth: GET /api/system/version gave {}",
                            answer.describe()
                        )))
                    }
                }
            }
            Purpose::Tenants => {
                let tenants = body.get("tenants").and_then(Value::as_array).cloned().unwrap_or_default();
                match tenants.as_slice() {
                    [one] => {
                        self.tenant = one.get("id").and_then(Value::as_str).map(str::to_owned);
                        self.read_tenant(one);
                    }
                    [] => self.report.problems.push(format!("FusionAuth lists no tenant ({})", answer.describe())),
                    many => self.report.problems.push(format!(
                        "FusionAuth has {} tenants: name the one to import into with --tenant-id",
                        many.len()
                    )),
                }
            }
            Purpose::Tenant => match status {
                Some(200) => self.read_tenant(body.get("tenant").unwrap_or(&Value::Null)),
                Some(404) => self.report.problems.push(format!(
                    "the tenant {} does not exist",
                    self.tenant.as_deref().unwrap_or_default()
                )),
                _ => return Err(unexpected(request, &answer)),
            },
            Purpose::Application(id) => match status {
                Some(200) => self.check_application(&id, body.get("application").unwrap_or(&Value::Null)),
                Some(404) => self.report.problems.push(format!("the application {id} does not exist")),
                _ => return Err(unexpected(request, &answer)),
            },
            Purpose::Group(id) => match status {
                Some(200) => {
                    let tenant = body.pointer("/group/tenantId").and_then(Value::as_str);
                    if let (Some(t), Some(ours)) = (tenant, self.tenant.as_deref()) {
                        if t != ours {
                            self.report.problems.push(format!("the group {id} belongs to another tenant ({t})"));
                        }
                    }
                }
                Some(404) => self.missing_group(id),
                _ => return Err(unexpected(request, &answer)),
            },
            Purpose::Provider(id) => match status {
                Some(200) => {
                    let idp = body.get("identityProvider").unwrap_or(&Value::Null);
                    if idp.get("enabled").and_then(Value::as_bool) == Some(false) {
                        self.report.problems.push(format!("the identity provider {id} is disabled: enable it for the links"));
                    }
                    if let (Some(t), Some(ours)) = (idp.get("tenantId").and_then(Value::as_str), self.tenant.as_deref()) {
                        if t != ours {
                            self.report.problems.push(format!(
                                "the identity provider {id} belongs to another tenant ({t}): the links need one usable by {ours}"
                            ));
                        }
                    }
                }
                Some(404) => self.report.problems.push(format!(
                    "the identity provider {id} (used by links.json) does not exist: create and enable it, or map the Cognito provider to another one in the rules"
                )),
                _ => return Err(unexpected(request, &answer)),
            },
            Purpose::Probe => {}
            Purpose::Search(range) => {
                let Some(found) = found_users(&answer).filter(|_| status == Some(200)) else {
                    return Err(unexpected(request, &answer));
                };
                self.classify_found(range, &found);
            }
            Purpose::Lookup(i, field) => match status {
                Some(200) => {
                    let other = body.pointer("/user/id").and_then(Value::as_str).unwrap_or_default();
                    if other != self.plan.users[i].id.to_string() {
                        self.users[i] = UserState::Conflict;
                        let issue = self.issue(
                            i,
                            format!("its {field} belongs to another FusionAuth user ({other}): not imported over it"),
                            None,
                        );
                        self.report.conflicts.push(issue);
                    }
                }
                Some(404) => {}
                _ => return Err(unexpected(request, &answer)),
            },
            _ => {}
        }
        Ok(())
    }

    /// Users found by id: the run's own (they carry its marker: sent earlier) or made
    /// elsewhere (skipped).
    pub(super) fn classify_found(
        &mut self,
        range: std::ops::Range<usize>,
        found: &std::collections::HashMap<UserId, Value>,
    ) {
        let mut imported = Vec::new();
        let mut pre_existing = Vec::new();
        for i in range {
            let id = self.plan.users[i].id;
            self.users[i] = match found.get(&id) {
                None => UserState::New,
                Some(user) if self.made_by_run(user) => {
                    if !self.journal.imported(id) {
                        imported.push(id.to_string());
                    }
                    UserState::Ours
                }
                Some(_) => {
                    if !self.journal.pre_existing(id) {
                        pre_existing.push(id.to_string());
                    }
                    UserState::PreExisting
                }
            };
            if self.users[i] == UserState::PreExisting {
                let issue = self.issue(i, "already in FusionAuth with this id, not made by this run (e.g. migrated by the Connector): skipped, no reset email, never undone", None);
                self.report.skipped.push(issue);
            }
        }
        if !imported.is_empty() {
            self.record(Event::Imported { ids: imported });
        }
        if !pre_existing.is_empty() {
            self.record(Event::PreExisting { ids: pre_existing });
        }
    }

    fn read_tenant(&mut self, tenant: &Value) {
        self.report.tenant_id = self.tenant.clone();
        self.tenant_checked = true;
        let ttl = tenant
            .pointer("/externalIdentifierConfiguration/changePasswordIdTimeToLiveInSeconds")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_CHANGE_PASSWORD_TTL);
        if ttl <= DEFAULT_CHANGE_PASSWORD_TTL {
            self.report.warnings.push(format!(
                "the tenant's change-password links live {ttl} s: people who open their reset email later \
                 get an expired link. Before sending resets, raise Tenants → Advanced → Change password \
                 (externalIdentifierConfiguration.changePasswordIdTimeToLiveInSeconds), e.g. to 604800 (7 days)"
            ));
        }
        let template = tenant
            .pointer("/emailConfiguration/forgotPasswordEmailTemplateId")
            .is_some_and(|t| t.as_str().is_some_and(|s| !s.is_empty()));
        if self.options.send_resets && !template {
            self.report.problems.push(
                "the tenant has no forgot-password email template, so FusionAuth cannot send reset emails: \
                 set one under Tenants → Email, or leave out --send-resets"
                    .into(),
            );
        }
    }

    fn check_application(&mut self, id: &str, app: &Value) {
        if let (Some(t), Some(ours)) = (
            app.get("tenantId").and_then(Value::as_str),
            self.tenant.as_deref(),
        ) {
            if t != ours {
                self.report.problems.push(format!(
                    "the application {id} belongs to another tenant ({t})"
                ));
            }
        }
        let roles: std::collections::BTreeSet<&str> = app
            .get("roles")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("name").and_then(Value::as_str))
            .collect();
        let missing: Vec<&str> = self.plan.applications[id]
            .iter()
            .map(String::as_str)
            .filter(|r| !roles.contains(r))
            .collect();
        if !missing.is_empty() {
            self.report.problems.push(format!(
                "the application {id} has no role named {}: create the roles or change the rules",
                missing.join(", ")
            ));
        }
    }

    fn missing_group(&mut self, id: String) {
        let name = self.plan.groups.get(&id).cloned().flatten();
        match (self.options.create_groups, name) {
            (true, Some(_)) => {
                self.report.groups_created.push(id.clone());
                self.pre.missing_groups.push(id);
            }
            (true, None) => self.report.problems.push(format!(
                "the group {id} does not exist and report.json does not name it: convert again with this version, or create it"
            )),
            (false, name) => self.report.problems.push(format!(
                "the group {id}{} does not exist (FusionAuth would refuse its members with a bare 500): create it, or pass --create-groups",
                name.map(|n| format!(" (Cognito group '{n}')")).unwrap_or_default()
            )),
        }
    }

    fn preflight_end(&mut self) -> Result<Flow, Stop> {
        let c = &mut self.report.counts;
        c.new = self.users.iter().filter(|s| **s == UserState::New).count() as u64;
        if !self.report.problems.is_empty() {
            return Err(Stop(format!(
                "pre-flight found {} problem(s): {}",
                self.report.problems.len(),
                self.report.problems.join("; ")
            )));
        }
        let writes = self.options.command == super::Command::Push && !self.options.dry_run;
        if writes && self.journal.target.is_none() {
            // The run is bound to this FusionAuth and tenant before its first write.
            let tenant_id = self.tenant.clone().ok_or_else(|| {
                Stop("pre-flight found no tenant to import into: name one".into())
            })?;
            self.record(Event::Target {
                url: self.options.url.clone(),
                tenant_id,
                version: self.report.fusionauth_version.clone(),
                run: self.run.clone(),
            });
        }
        Ok(Flow::Next)
    }
}

/// Probes: import, link, forgot-password, group create.
const PROBES: usize = 4;

fn unexpected(request: &Request, answer: &Answer) -> Stop {
    Stop(format!(
        "FusionAuth answered {} to {}: not an answer this tool understands",
        answer.describe(),
        request.endpoint()
    ))
}
