//! The npm package's TypeScript (the `typescript_custom_section` of core/src/wasm/mod.rs) says
//! what the Rust types are: every string union lists exactly the names of its enum, in order,
//! and every interface names exactly the fields the Rust type serializes. A new enum variant or
//! field fails here until the `.d.ts` says it too.

use std::collections::{BTreeMap, BTreeSet};

use cognito_fusionauth::fusionauth::{GroupMember, TwoFactor, TwoFactorMethod, UserRegistration};
use cognito_fusionauth::report::{Excluded, Summary};
use cognito_fusionauth::rules::Transform;
use cognito_fusionauth::{
    Code, DuplicatePolicy, FileSummary, Finding, ImportUser, Rules, Severity, Shape,
};
use serde::Serialize;
use serde_json::Value;

fn typescript() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/wasm/mod.rs");
    let source = std::fs::read_to_string(path).unwrap();
    let start = source.find("r#\"").unwrap() + 3;
    let end = start + source[start..].find("\"#;").unwrap();
    source[start..end].to_owned()
}

/// The members of `export type name = "a" | "b";`.
fn union(ts: &str, name: &str) -> Vec<String> {
    let head = format!("export type {name} = ");
    let start = ts.find(&head).unwrap_or_else(|| panic!("no type {name}")) + head.len();
    let body = &ts[start..start + ts[start..].find(';').unwrap()];
    body.split('|')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .collect()
}

/// The field names of `export interface name { … }` (nested object types skipped).
fn fields(ts: &str, name: &str) -> BTreeSet<String> {
    let head = format!("export interface {name} {{");
    let start = ts
        .find(&head)
        .unwrap_or_else(|| panic!("no interface {name}"))
        + head.len();
    let mut out = BTreeSet::new();
    let mut depth = 0;
    let mut word = String::new();
    let mut in_comment = false;
    let body: Vec<char> = ts[start..].chars().collect();
    for (i, &c) in body.iter().enumerate() {
        if in_comment {
            if c == '/' && i > 0 && body[i - 1] == '*' {
                in_comment = false;
            }
            continue;
        }
        match c {
            '/' if body.get(i + 1) == Some(&'*') => in_comment = true,
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            '?' | ':' if depth == 0 && !word.is_empty() => {
                out.insert(std::mem::take(&mut word));
            }
            c if c.is_ascii_alphanumeric() || c == '_' => word.push(c),
            _ => word.clear(),
        }
    }
    out
}

/// The keys `value` serializes to.
fn keys<T: Serialize>(value: &T) -> BTreeSet<String> {
    match serde_json::to_value(value).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        other => panic!("not an object: {other}"),
    }
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|v| name(*v).to_owned()).collect()
}

#[test]
fn the_unions_list_every_name_of_their_enum() {
    let ts = typescript();
    assert_eq!(
        union(&ts, "Transform"),
        names(&Transform::ALL, Transform::name)
    );
    assert_eq!(
        union(&ts, "DuplicatePolicy"),
        names(&DuplicatePolicy::ALL, DuplicatePolicy::name)
    );
    assert_eq!(
        union(&ts, "Severity"),
        names(&Severity::ALL, Severity::as_str)
    );
    assert_eq!(union(&ts, "Code"), names(&Code::ALL, Code::as_str));
    assert_eq!(union(&ts, "Shape"), names(&Shape::ALL, Shape::name));
}

#[test]
fn the_interfaces_name_every_field_their_type_serializes() {
    let ts = typescript();
    let mut settings = Rules::defaults().settings;
    settings.tenant_id = Some("t".into());
    settings.user_pool_id = Some("p".into());
    settings.carry_mfa = true;
    settings.reset_disabled_users = true;
    assert_eq!(fields(&ts, "Settings"), keys(&settings));

    let file = FileSummary {
        name: "f".into(),
        shape: Shape::Csv,
        users: 1,
        truncated: false,
        ignored_fields: vec![("x".into(), 1)],
    };
    assert_eq!(fields(&ts, "FileSummary"), keys(&file));
    let summary = Summary {
        blocked_reason: Some("r".into()),
        groups: BTreeMap::from([("g".into(), "n".into())]),
        files: vec![file],
        held_back: 1,
        ..Summary::default()
    };
    assert_eq!(fields(&ts, "Summary"), keys(&summary));
    let finding = Finding {
        severity: Severity::Info,
        code: Code::Disabled,
        file: "f".into(),
        index: Some(0),
        username: Some("u".into()),
        field: Some("Enabled".into()),
        message: "m".into(),
    };
    assert_eq!(fields(&ts, "Finding"), keys(&finding));
    let excluded = Excluded {
        file: "f".into(),
        index: 0,
        username: "u".into(),
        code: Code::DuplicateEmail,
        reason: "r".into(),
    };
    assert_eq!(fields(&ts, "Excluded"), keys(&excluded));

    let text = |s: &'static str| Some(s.into());
    let user = ImportUser {
        id: text("i"),
        tenant_id: text("t"),
        username: text("u"),
        email: text("e"),
        phone_number: text("p"),
        mobile_phone: text("m"),
        first_name: text("f"),
        middle_name: text("m"),
        last_name: text("l"),
        full_name: text("f"),
        birth_date: text("b"),
        image_url: text("i"),
        timezone: text("t"),
        parent_email: text("p"),
        preferred_languages: vec!["en".into()],
        active: Some(true),
        verified: Some(true),
        password_change_required: Some(true),
        insert_instant: Some(1),
        verified_instant: Some(1),
        expiry: Some(1),
        registrations: vec![UserRegistration {
            application_id: "a".into(),
            roles: vec!["r".into()],
        }],
        memberships: vec![GroupMember {
            group_id: "g".into(),
        }],
        two_factor: Some(TwoFactor {
            methods: vec![TwoFactorMethod::Email { email: "e".into() }],
        }),
        data: [("k".into(), "v".into())].into_iter().collect(),
        ..ImportUser::default()
    };
    // The Connector's user carries no password; the import files add one.
    assert_eq!(fields(&ts, "FusionAuthUser"), keys(&user));
}

#[test]
fn the_parsers_read_what_they_are_given() {
    let ts = "export type A = \"x\" | \"y-z\";\nexport interface B {\n  /** a: not a field */\n  one?: string; two: { three: number; };\n}\n";
    assert_eq!(union(ts, "A"), ["x", "y-z"]);
    assert_eq!(
        fields(ts, "B").into_iter().collect::<Vec<_>>(),
        ["one", "two"]
    );
}
