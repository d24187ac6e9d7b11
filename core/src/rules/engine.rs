//! The mapper: applies compiled rules to one Cognito user.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use std::borrow::Cow;

use serde_json::Value;
use uuid::Uuid;

use super::target::{insert_path, Field, PathConflict, Rejected};
use super::transform::Input;
use super::{Rules, Target, Transform};
use crate::cognito::CognitoUser;
use crate::error::{Error, Result};
use crate::finding::UserFinding;
use crate::finding::{Code, Severity};
use crate::fusionauth::{
    keep_in_unmapped, DataValue, GroupMember, ImportUser, LinkRequest, UnmappedSuffixes,
    RESERVED_DATA_KEYS,
};

/// Top-level Cognito fields a rule can name as its source.
pub const TOP_LEVEL_SOURCES: [&str; 7] = [
    "Username",
    "UserCreateDate",
    "UserLastModifiedDate",
    "Enabled",
    "UserStatus",
    "Groups",
    "MFA",
];

/// Attribute names with more `:`-separated parts than this stay flat in `data.unmapped`.
const MAX_PATH_PARTS: usize = 6;

/// Seeds the ids derived for users without a UUID `sub` (UUID v5 over pool and Username).
const ID_NAMESPACE: Uuid = Uuid::from_u128(0x6c0e_5c53_2f0b_4c1a_9d36_0c4f_7a1d_2b90);

/// Attribute values looked up per user on the stack; rules naming more attributes than this
/// use a vector.
const STACK_SLOTS: usize = 48;

/// Where a rule reads from, resolved once when the rules compile.
#[derive(Debug, Clone)]
enum Source {
    Username,
    Created,
    Modified,
    Enabled,
    Status,
    Groups,
    Mfa,
    /// The attribute whose value is in this slot of [`Found::values`].
    Attribute(usize),
}

/// An attribute some rule reads: where its value goes, and whether a rule takes it as its
/// source (an attribute only compared by `unlessEquals` still goes to `data`).
#[derive(Debug, Clone, Copy)]
struct Slot {
    index: usize,
    consumed: bool,
}

/// What one pass over a user's attributes found.
struct Found<'f, 'u> {
    /// The value of each attribute the rules read, by slot.
    values: &'f [Option<&'u str>],
    /// Bit `i`: attribute `i` (of the first 64) is some rule's source.
    consumed: u64,
}

impl Source {
    /// The source named `name`; an attribute gets a slot in `slots`.
    fn parse(name: &str, consumed: bool, slots: &mut HashMap<String, Slot>) -> Self {
        match name {
            "Username" => Source::Username,
            "UserCreateDate" => Source::Created,
            "UserLastModifiedDate" => Source::Modified,
            "Enabled" => Source::Enabled,
            "UserStatus" => Source::Status,
            "Groups" => Source::Groups,
            "MFA" => Source::Mfa,
            attribute => {
                let index = slots.len();
                let slot = slots
                    .entry(attribute.to_owned())
                    .or_insert(Slot { index, consumed });
                slot.consumed |= consumed;
                Source::Attribute(slot.index)
            }
        }
    }

    /// The value of this source for a user, if the user has one.
    fn lookup<'u>(&self, u: &'u CognitoUser<'u>, found: &Found<'_, 'u>) -> Option<Input<'u>> {
        let non_empty =
            |list: &'u [std::borrow::Cow<'u, str>]| (!list.is_empty()).then_some(Input::List(list));
        match self {
            Source::Username => Some(Input::Text(&u.username)),
            Source::Created => u.created.as_ref().map(Input::Scalar),
            Source::Modified => u.last_modified.as_ref().map(Input::Scalar),
            Source::Enabled => u.enabled.as_ref().map(Input::Scalar),
            Source::Status => u.status.as_ref().map(Input::Scalar),
            Source::Groups => non_empty(&u.groups),
            Source::Mfa => non_empty(&u.mfa),
            Source::Attribute(slot) => found.values.get(*slot).copied().flatten().map(Input::Text),
        }
    }
}

#[derive(Debug, Clone)]
struct CompiledRule {
    /// The source as written in the rules (for messages and `data.unmapped`).
    source_name: Option<String>,
    source: Option<Source>,
    target_name: String,
    target: Option<Target>,
    transform: Transform,
    value: Option<DataValue<'static>>,
    default: Option<DataValue<'static>>,
    unless_equals: Option<Source>,
}

/// Checked rules, ready to map users. Made by [`Rules::compile`].
#[derive(Debug, Clone)]
pub struct Mapper {
    rules: Rules,
    compiled: Vec<CompiledRule>,
    /// The attributes rules read, by name; every attribute no rule consumes goes to `data`.
    slots: HashMap<String, Slot>,
}

/// One user after mapping: the FusionAuth user, what was found, and its link requests. The
/// user borrows from the Cognito user and the mapper.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedUser<'x> {
    /// The FusionAuth user (without a password: bulk conversion adds the placeholder).
    pub user: ImportUser<'x>,
    /// Findings about this user.
    pub findings: Vec<UserFinding>,
    /// Link API requests for the user's federated identities.
    pub links: Vec<LinkRequest>,
    /// The user's Cognito groups that have no FusionAuth group mapped.
    pub unmapped_groups: Vec<String>,
    /// The user can use a password reset and is listed in `login-ids.txt` (set by the
    /// validation of the user).
    pub password_reset: bool,
}

impl Mapper {
    pub(super) fn new(rules: Rules) -> Result<Self> {
        let mut compiled = Vec::with_capacity(rules.attributes.len());
        let mut slots = HashMap::default();
        for (i, r) in rules.attributes.iter().enumerate() {
            let at = |field: &str| format!("attributes[{i}].{field}");
            let target = if r.transform == Transform::Drop {
                None
            } else {
                let t = Target::parse(&r.target).ok_or_else(|| {
                    Error::rules(
                        at("target"),
                        format!(
                            "{:?} is not a FusionAuth user field ({}) or a data.<path>",
                            r.target,
                            Target::field_names().collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?;
                if let Target::Data(path) = &t {
                    if path.len() > super::MAX_DATA_PATH {
                        return Err(Error::rules(
                            at("target"),
                            format!(
                                "{:?} nests {} levels deep; at most {} (deeper data could not be read back from the import files)",
                                r.target,
                                path.len(),
                                super::MAX_DATA_PATH
                            ),
                        ));
                    }
                }
                Some(t)
            };
            for (field, value) in [("value", &r.value), ("default", &r.default)] {
                if value
                    .as_ref()
                    .is_some_and(|v| super::transform::json_depth(v) > super::MAX_VALUE_DEPTH)
                {
                    return Err(Error::rules(
                        at(field),
                        format!("nested deeper than {} levels (it could not be read back from the import files)", super::MAX_VALUE_DEPTH),
                    ));
                }
            }
            match (&r.source, r.transform) {
                (_, Transform::Constant) if r.value.is_none() => {
                    return Err(Error::rules(at("value"), "a constant rule needs a value"))
                }
                (None, t) if t != Transform::Constant => {
                    return Err(Error::rules(
                        at("source"),
                        "only a constant rule may have no source",
                    ))
                }
                (Some(s), _) if s.trim().is_empty() => {
                    return Err(Error::rules(at("source"), "the source is empty"))
                }
                _ => {}
            }
            if target == Some(Target::Field(Field::Memberships))
                && r.source.as_deref() != Some("Groups")
            {
                return Err(Error::rules(
                    at("source"),
                    "memberships can only come from Groups",
                ));
            }
            compiled.push(CompiledRule {
                source_name: r.source.clone(),
                source: r
                    .source
                    .as_deref()
                    .map(|s| Source::parse(s, true, &mut slots)),
                target_name: r.target.clone(),
                target,
                transform: r.transform,
                value: r.value.clone().map(DataValue::from),
                default: r.default.clone().map(DataValue::from),
                unless_equals: r
                    .unless_equals
                    .as_deref()
                    .map(|s| Source::parse(s, false, &mut slots)),
            });
        }
        Ok(Self {
            rules,
            compiled,
            slots,
        })
    }

    /// The rules this mapper was compiled from.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Maps one user. Never fails: values that do not fit are kept in `data.unmapped` and
    /// reported in [`MappedUser::findings`].
    pub fn map<'x>(&'x self, u: &'x CognitoUser<'_>) -> MappedUser<'x> {
        // One pass over the attributes finds every value the rules read.
        let mut stack = [None; STACK_SLOTS];
        let mut heap = Vec::new();
        let values = if self.slots.len() <= STACK_SLOTS {
            &mut stack[..self.slots.len()]
        } else {
            heap.resize(self.slots.len(), None);
            &mut heap[..]
        };
        let mut consumed = 0u64;
        // Repeats of an attribute a rule takes (a CSV or an export can carry a name twice):
        // the rule maps the first value, the others are kept in data.unmapped.
        let mut repeats = Vec::new();
        for (i, (name, value)) in u.attributes.iter().enumerate() {
            if let Some(slot) = self.slots.get(name.as_ref()) {
                let value_slot = &mut values[slot.index];
                if value_slot.is_some() && slot.consumed {
                    repeats.push(i);
                }
                value_slot.get_or_insert(value.as_ref());
                if slot.consumed && i < 64 {
                    consumed |= 1 << i;
                }
            }
        }
        let found = Found {
            values: &*values,
            consumed,
        };
        let mut out = MappedUser::default();
        let user = &mut out.user;
        let findings = &mut out.findings;
        let mut suffixes = UnmappedSuffixes::default();
        for rule in &self.compiled {
            let Some(target) = &rule.target else { continue };
            let input = rule.source.as_ref().and_then(|s| s.lookup(u, &found));
            let value = match (rule.transform, input) {
                (Transform::Constant, _) => rule.value.as_ref().map(DataValue::borrowed),
                (_, None) => rule.default.as_ref().map(DataValue::borrowed),
                (_, Some(input)) => {
                    let same = rule
                        .unless_equals
                        .as_ref()
                        .and_then(|o| o.lookup(u, &found));
                    if same.is_some_and(|o| o.same_text(&input)) {
                        continue;
                    }
                    match rule.transform.apply(input) {
                        Ok(v) => v,
                        Err(message) => {
                            let rejected = Rejected {
                                code: target.invalid_code(),
                                message,
                            };
                            keep_unmapped(
                                user,
                                findings,
                                &mut suffixes,
                                rule,
                                Some(input),
                                rejected,
                            );
                            continue;
                        }
                    }
                }
            };
            let Some(value) = value else { continue };
            let result = match target {
                Target::Field(Field::Memberships) => {
                    self.memberships(user, &mut out.unmapped_groups, &value);
                    Ok(())
                }
                _ => target.assign(user, value),
            };
            if let Err(rejected) = result {
                keep_unmapped(user, findings, &mut suffixes, rule, input, rejected);
            }
        }
        for i in repeats {
            let (name, value) = &u.attributes[i];
            keep_in_unmapped(
                &mut user.data,
                &mut suffixes,
                name,
                DataValue::Text(Cow::Borrowed(value)),
            );
            findings.push(UserFinding::new(
                Severity::Warning,
                Code::InvalidValue,
                name,
                format!("attribute {name:?} appears more than once: the first value is mapped, this one is kept in data.unmapped"),
            ));
        }
        self.catch_all(u, found.consumed, user, findings, &mut suffixes);
        self.finish(u, &mut out);
        out
    }

    fn memberships(
        &self,
        user: &mut ImportUser<'_>,
        unmapped: &mut Vec<String>,
        names: &DataValue<'_>,
    ) {
        let names = match names {
            DataValue::Json(Value::Array(names)) => names.as_slice(),
            _ => &[],
        };
        // The groups the user is already a member of, for one look-up per name (a user in
        // thousands of mapped groups would otherwise cost a scan of its memberships each).
        let mut members: HashSet<String> = user
            .memberships
            .iter()
            .map(|m| m.group_id.clone())
            .collect();
        for name in names.iter().filter_map(Value::as_str) {
            match self.rules.settings.groups.get(name) {
                Some(id) if !members.contains(id.as_str()) => {
                    members.insert(id.clone());
                    user.memberships.push(GroupMember {
                        group_id: id.clone(),
                    })
                }
                Some(_) => {}
                None => unmapped.push(name.to_owned()),
            }
        }
    }

    /// Attributes no rule names land in `data`, `:` becoming `.` (`custom:plan` → `data.custom.plan`).
    /// `consumed` marks the first 64 attributes some rule takes (see [`Found`]).
    fn catch_all<'x>(
        &self,
        u: &'x CognitoUser<'_>,
        consumed: u64,
        user: &mut ImportUser<'x>,
        findings: &mut Vec<UserFinding>,
        suffixes: &mut UnmappedSuffixes<'x>,
    ) {
        for (i, (name, value)) in u.attributes.iter().enumerate() {
            let taken = if i < 64 {
                consumed >> i & 1 == 1
            } else {
                self.slots.get(name.as_ref()).is_some_and(|s| s.consumed)
            };
            if taken {
                continue;
            }
            let value = DataValue::Text(Cow::Borrowed(value));
            // `custom:plan` → ["custom", "plan"].
            let parts = name.split(':');
            // Most names have no `:` (one part); only the others are counted.
            let fits = if name.contains(':') {
                parts.clone().count() <= MAX_PATH_PARTS && parts.clone().all(|s| !s.is_empty())
            } else {
                !name.is_empty()
            };
            // A `.` would read back as one more level of the path; the converter's own keys
            // are never an attribute's.
            let first = parts.clone().next().unwrap_or_default();
            let reason = if !fits {
                Some(String::from("does not fit a data path"))
            } else if name.contains('.') {
                Some(String::from(
                    "has a '.', which FusionAuth would read as a deeper data path",
                ))
            } else if RESERVED_DATA_KEYS.contains(&first) {
                Some(format!(
                    "would land in data.{first}, which the converter writes itself"
                ))
            } else {
                None
            };
            let result = match reason {
                Some(reason) => Err(PathConflict {
                    message: reason,
                    value,
                }),
                None => insert_path(&mut user.data, parts, value).map_err(|c| PathConflict {
                    message: format!("collides: {}", c.message),
                    value: c.value,
                }),
            };
            if let Err(PathConflict { value, message }) = result {
                keep_in_unmapped(&mut user.data, suffixes, name, value);
                // A name too deep or malformed is only moved; a collision is worth a look.
                let severity = if fits {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                findings.push(UserFinding::new(
                    severity,
                    Code::InvalidValue,
                    name,
                    format!("attribute {name:?} {message}; kept in data.unmapped"),
                ));
            }
        }
    }

    /// Fills what every user needs: an id, a login id, settings, checks and links.
    fn finish<'x>(&self, u: &'x CognitoUser<'_>, out: &mut MappedUser<'x>) {
        let settings = &self.rules.settings;
        let user = &mut out.user;
        if user.id.is_none() {
            let pool = settings.user_pool_id.as_deref().unwrap_or("");
            let name = format!("{pool}/{}", u.username);
            user.id = Some(
                Uuid::new_v5(&ID_NAMESPACE, name.as_bytes())
                    .to_string()
                    .into(),
            );
            if !out.findings.iter().any(|f| f.code == Code::InvalidId) {
                out.findings.push(UserFinding::new(
                    Severity::Info,
                    Code::InvalidId,
                    "sub",
                    "no UUID id source; a stable id is derived from the pool id and Username",
                ));
            }
        }
        if user.email.is_none() {
            let mut message =
                String::from("no valid email: the user cannot receive the password-reset email");
            if user.username.is_none() && user.phone_number.is_none() {
                user.username = Some(Cow::Borrowed(&u.username));
                message
                    .push_str("; the Cognito Username is used as username so the user can log in");
            }
            out.findings.push(UserFinding::new(
                Severity::Warning,
                Code::MissingEmail,
                "email",
                message,
            ));
        }
        if let Some(finding) = super::mfa::carry_mfa(u, settings.carry_mfa, &mut out.user) {
            out.findings.push(finding);
        }
        let (links, problems) =
            super::links::user_links(u, &out.user, &settings.identity_providers);
        out.links = links;
        out.findings.extend(problems);
    }
}

/// Keeps a value its rule could not use in `data.unmapped`, under the source's name.
fn keep_unmapped<'x>(
    user: &mut ImportUser<'x>,
    findings: &mut Vec<UserFinding>,
    suffixes: &mut UnmappedSuffixes<'x>,
    rule: &'x CompiledRule,
    input: Option<Input<'x>>,
    rejected: Rejected,
) {
    let field = rule.source_name.as_deref().unwrap_or(&rule.target_name);
    let mut message = rejected.message;
    if let (Some(input), Some(source)) = (input, &rule.source_name) {
        keep_in_unmapped(&mut user.data, suffixes, source, input.raw());
        message.push_str("; kept in data.unmapped");
    }
    let severity = if rejected.code == Code::InvalidId {
        Severity::Info
    } else {
        Severity::Warning
    };
    findings.push(UserFinding::new(severity, rejected.code, field, message));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cognito::Scalar;
    use crate::fusionauth::{TwoFactor, TwoFactorMethod};
    use crate::rules::AttributeRule;

    const SUB: &str = "4320de44-2322-4620-999b-5e2e1c8df013";

    fn cognito(username: &str, attributes: &[(&str, &str)]) -> CognitoUser<'static> {
        CognitoUser::with_attributes(username, attributes)
    }

    fn defaults() -> Mapper {
        Rules::defaults().compile().unwrap()
    }

    fn with_rule(rule: AttributeRule) -> Mapper {
        let mut rules = Rules::defaults();
        rules.attributes.push(rule);
        rules.compile().unwrap()
    }

    fn rule(source: &str, target: &str, transform: Transform) -> AttributeRule {
        AttributeRule {
            source: Some(source.into()),
            target: target.into(),
            transform,
            value: None,
            default: None,
            unless_equals: None,
        }
    }

    fn codes(mapped: &MappedUser<'_>) -> Vec<Code> {
        mapped.findings.iter().map(|f| f.code).collect()
    }

    fn data(mapped: &MappedUser<'_>) -> Value {
        serde_json::to_value(&mapped.user.data).unwrap()
    }

    #[test]
    fn rules_map_attributes_to_fields_and_other_attributes_to_data() {
        let mut u = cognito(
            "ann",
            &[
                ("sub", SUB),
                ("email", " ann@example.com "),
                ("given_name", "Ann"),
                ("custom:plan", "pro"),
            ],
        );
        u.created = Some(Scalar::Number(1_682_955_829.578));
        let mapper = defaults();
        let mapped = mapper.map(&u);
        let user = &mapped.user;
        assert_eq!(user.id.as_deref(), Some(SUB));
        assert_eq!(user.email.as_deref(), Some("ann@example.com"));
        assert_eq!(user.first_name.as_deref(), Some("Ann"));
        assert_eq!(user.username.as_deref(), Some("ann"));
        assert_eq!(user.insert_instant, Some(1_682_955_829_578));
        let data = data(&mapped);
        assert_eq!(data["custom"], json!({"plan": "pro"}));
        assert_eq!(data["importSource"], "cognito");
        assert_eq!(data["cognito"]["username"], "ann");
        // Attributes a rule takes are not copied to data as well.
        assert!(data.get("email").is_none() && data.get("given_name").is_none());
        assert!(mapped.findings.is_empty(), "{:?}", mapped.findings);
    }

    #[test]
    fn a_value_failing_its_transform_is_kept_in_data_unmapped_with_a_finding() {
        let u = cognito(
            "ann",
            &[
                ("sub", SUB),
                ("email", "ann@example.com"),
                ("birthdate", "2000-02-31"),
                ("custom:vip", "maybe"),
            ],
        );
        let mapper = with_rule(rule("custom:vip", "data.vip", Transform::Boolean));
        let mapped = mapper.map(&u);
        assert_eq!(mapped.user.birth_date, None);
        let data = data(&mapped);
        assert_eq!(
            data["unmapped"],
            json!({"birthdate": "2000-02-31", "custom:vip": "maybe"})
        );
        assert!(data.get("vip").is_none() && data.get("custom").is_none());
        let birthdate = &mapped.findings[0];
        assert_eq!(
            (birthdate.severity, birthdate.code, birthdate.field.as_str()),
            (Severity::Warning, Code::InvalidBirthdate, "birthdate")
        );
        assert!(birthdate.message.ends_with("kept in data.unmapped"));
        let vip = &mapped.findings[1];
        assert_eq!(
            (vip.code, vip.field.as_str()),
            (Code::InvalidValue, "custom:vip")
        );
        assert_eq!(mapped.findings.len(), 2);
    }

    #[test]
    fn a_repeated_attribute_maps_its_first_value_and_keeps_the_others() {
        let u = cognito(
            "ann",
            &[
                ("sub", SUB),
                ("email", "first@example.com"),
                ("email", "second@example.com"),
            ],
        );
        let mapper = defaults();
        let mapped = mapper.map(&u);
        assert_eq!(mapped.user.email.as_deref(), Some("first@example.com"));
        assert_eq!(
            data(&mapped)["unmapped"],
            json!({"email": "second@example.com"})
        );
        assert_eq!(codes(&mapped), [Code::InvalidValue]);
        assert_eq!(mapped.findings[0].field, "email");
        assert!(mapped.findings[0].message.contains("more than once"));
    }

    #[test]
    fn thirty_thousand_values_of_one_attribute_are_each_kept_under_the_next_free_name() {
        // `a.b` always goes to data.unmapped (a dot); `a.b (3)` is an attribute of its own that
        // comes first and takes that name, `a.b (29999)` comes last and finds it taken.
        const N: usize = 30_000;
        let values: Vec<String> = (0..N).map(|i| format!("v{i}")).collect();
        let mut attributes = vec![
            ("sub", SUB),
            ("email", "ann@example.com"),
            ("a.b (3)", "own"),
        ];
        attributes.extend(values.iter().map(|v| ("a.b", v.as_str())));
        attributes.push(("a.b (29999)", "last"));
        let (mapper, u) = (defaults(), cognito("ann", &attributes));
        let mapped = mapper.map(&u);
        let Some(DataValue::Object(unmapped)) = mapped.user.data.get("unmapped") else {
            panic!("no data.unmapped");
        };
        let mut expected: Vec<(String, &str)> = vec![
            ("a.b".into(), "v0"),
            ("a.b (2)".into(), "v1"),
            ("a.b (3)".into(), "own"),
            ("a.b (29999) (2)".into(), "last"),
        ];
        expected.extend((2..N).map(|k| (format!("a.b ({})", k + 2), values[k].as_str())));
        assert_eq!(unmapped.len(), expected.len());
        for (key, value) in &expected {
            assert_eq!(
                unmapped.get(key.as_str()),
                Some(&DataValue::Text(Cow::Borrowed(*value))),
                "{key}"
            );
        }
        assert_eq!(mapped.findings.len(), N + 2, "one finding per value moved");
    }

    #[test]
    fn a_user_in_many_mapped_groups_is_a_member_of_each_once_in_order() {
        let mut rules = Rules::defaults();
        let ids: Vec<String> = (0..5_000)
            .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            rules.settings.groups.insert(format!("g{i}"), id.clone());
        }
        let mapper = rules.compile().unwrap();
        let mut u = cognito("ann", &[("sub", SUB), ("email", "ann@example.com")]);
        // Every group twice, and one no rule maps.
        u.groups = (0..5_000)
            .chain(0..5_000)
            .map(|i| Cow::Owned(format!("g{i}")))
            .collect();
        u.groups.push("other".into());
        let mapped = mapper.map(&u);
        let members: Vec<&str> = mapped
            .user
            .memberships
            .iter()
            .map(|m| m.group_id.as_str())
            .collect();
        assert_eq!(members, ids);
        assert_eq!(mapped.unmapped_groups, ["other"]);
    }

    #[test]
    fn unless_equals_skips_the_rule_when_both_values_are_the_same() {
        let mapper = defaults();
        // The default username rule: Username, unless it equals sub.
        let same = cognito(SUB, &[("sub", SUB), ("email", "ann@example.com")]);
        let mapped = mapper.map(&same);
        assert_eq!(mapped.user.username, None);
        assert_eq!(data(&mapped)["cognito"]["username"], SUB);
        let other = cognito("ann", &[("sub", SUB), ("email", "ann@example.com")]);
        assert_eq!(mapper.map(&other).user.username.as_deref(), Some("ann"));
    }

    #[test]
    fn a_default_stands_in_for_a_missing_source() {
        let mut tier = rule("custom:tier", "data.tier", Transform::Trim);
        tier.default = Some(json!("free"));
        let mapper = with_rule(tier);
        let mut u = cognito("ann", &[("sub", SUB), ("email", "ann@example.com")]);
        let mapped = mapper.map(&u);
        // The default rules' `Enabled` → `active` defaults to true.
        assert_eq!(mapped.user.active, Some(true));
        assert_eq!(data(&mapped)["tier"], "free");

        u.enabled = Some(Scalar::Bool(false));
        u.attributes.push(("custom:tier".into(), "gold".into()));
        let mapped = mapper.map(&u);
        assert_eq!(mapped.user.active, Some(false));
        assert_eq!(data(&mapped)["tier"], "gold");
    }

    #[test]
    fn without_an_email_the_user_gets_a_missing_email_finding_and_a_username() {
        let mapper = defaults();
        // Username equal to sub: no username rule applies, so the Username becomes the login id.
        let u = cognito(SUB, &[("sub", SUB), ("email", "not an email")]);
        let mapped = mapper.map(&u);
        assert_eq!(mapped.user.email, None);
        assert_eq!(mapped.user.username.as_deref(), Some(SUB));
        assert_eq!(codes(&mapped), [Code::InvalidEmail, Code::MissingEmail]);
        let missing = &mapped.findings[1];
        assert_eq!(missing.severity, Severity::Warning);
        assert!(missing
            .message
            .contains("Cognito Username is used as username"));

        // A user that already has a username keeps it; the finding says nothing more.
        let u = cognito("ann", &[("sub", SUB)]);
        let mapped = mapper.map(&u);
        assert_eq!(mapped.user.username.as_deref(), Some("ann"));
        assert_eq!(codes(&mapped), [Code::MissingEmail]);
        assert!(!mapped.findings[0].message.contains("used as username"));
    }

    #[test]
    fn without_a_uuid_sub_a_stable_id_is_derived_from_the_pool_and_username() {
        let mapper = defaults();
        let u = cognito("ann", &[("email", "ann@example.com")]);
        let id = mapper.map(&u).user.id.unwrap().into_owned();
        assert!(crate::fields::is_uuid(&id), "{id}");
        assert_eq!(mapper.map(&u).user.id.as_deref(), Some(id.as_str()));
        assert_eq!(codes(&mapper.map(&u)), [Code::InvalidId]);
        let bob = cognito("bob", &[("email", "bob@example.com")]);
        assert_ne!(mapper.map(&bob).user.id.as_deref(), Some(id.as_str()));
        let mut rules = Rules::defaults();
        rules.settings.user_pool_id = Some("us-east-1_abc".into());
        let other_pool = rules.compile().unwrap();
        assert_ne!(other_pool.map(&u).user.id.as_deref(), Some(id.as_str()));
    }

    #[test]
    fn groups_become_memberships_of_the_mapped_groups_only() {
        const ADMINS: &str = "00000000-0000-4000-8000-00000000000a";
        let mut rules = Rules::defaults();
        rules.settings.groups.insert("admins".into(), ADMINS.into());
        let mapper = rules.compile().unwrap();
        let mut u = cognito("ann", &[("sub", SUB), ("email", "ann@example.com")]);
        u.groups = vec!["admins".into(), "staff".into(), "admins".into()];
        let mapped = mapper.map(&u);
        let ids: Vec<&str> = mapped
            .user
            .memberships
            .iter()
            .map(|m| m.group_id.as_str())
            .collect();
        assert_eq!(ids, [ADMINS]);
        assert_eq!(mapped.unmapped_groups, ["staff"]);
        assert_eq!(
            data(&mapped)["cognito"]["groups"],
            json!(["admins", "staff", "admins"])
        );
    }

    #[test]
    fn federated_identities_become_link_requests_for_the_mapped_user() {
        let identities = r#"[{"userId":"g-123","providerName":"Google","providerType":"Google"},
            {"userId":"o-1","providerName":"Corp","providerType":"OIDC"}]"#;
        let u = cognito(
            "ann",
            &[
                ("sub", SUB),
                ("email", "ann@example.com"),
                ("identities", identities),
            ],
        );
        let mapper = defaults();
        let mapped = mapper.map(&u);
        assert_eq!(mapped.links.len(), 1);
        let link = &mapped.links[0].identity_provider_link;
        assert_eq!(link.user_id, SUB);
        assert_eq!(link.identity_provider_user_id, "g-123");
        assert_eq!(link.display_name.as_deref(), Some("ann@example.com"));
        assert_eq!(
            link.identity_provider_id,
            "82339786-3dff-42a6-aac6-1f1ceecb6c46"
        );
        assert_eq!(codes(&mapped), [Code::UnmappedProvider]);
    }

    #[test]
    fn mfa_is_carried_only_when_the_settings_say_so() {
        let mut u = cognito(
            "ann",
            &[
                ("sub", SUB),
                ("email", "ann@example.com"),
                ("phone_number", "+15555550100"),
                ("phone_number_verified", "true"),
            ],
        );
        u.mfa = vec!["SMS_MFA".into()];
        let mapper = defaults();
        let off = mapper.map(&u);
        assert_eq!(off.user.two_factor, None);
        assert_eq!(codes(&off), [Code::MfaNotCarried]);

        let mut rules = Rules::defaults();
        rules.settings.carry_mfa = true;
        let mapper = rules.compile().unwrap();
        let on = mapper.map(&u);
        assert_eq!(
            on.user.two_factor,
            Some(TwoFactor {
                methods: vec![TwoFactorMethod::Sms {
                    mobile_phone: "+15555550100".into()
                }]
            })
        );
        assert!(on.findings.is_empty(), "{:?}", on.findings);
    }
}
