//! Values that used to be lost without a finding: the same attribute twice in one user,
//! attribute names whose `data` paths collide (a prefix of another, in either order; a name
//! with a dot), and names that would land on the converter's own `data` keys. Every value
//! must end in the user, in `data`, or in `data.unmapped` with a finding naming it.

mod common;

use cognito_fusionauth::{Code, Rules};
use serde_json::{json, Value};

const SUB: &str = "4320de44-2322-4620-999b-5e2e1c8df013";

/// Converts one user with these attributes; returns the user and its findings' fields.
fn one(attributes: &[(&str, &str)]) -> (Value, Vec<(Code, String)>) {
    let mut attrs = vec![json!({"Name": "sub", "Value": SUB})];
    attrs.extend(
        attributes
            .iter()
            .map(|(n, v)| json!({"Name": n, "Value": v})),
    );
    let export = json!({"Users": [{"Username": "jane", "Enabled": true, "UserStatus": "CONFIRMED",
        "UserCreateDate": 1682955829.578, "Attributes": attrs}]});
    let conversion = common::convert(
        &Rules::defaults(),
        &[("users.json", export.to_string().as_bytes())],
    );
    let user = conversion.users().next().expect("one user");
    let findings = conversion
        .report()
        .issues
        .iter()
        .map(|f| (f.code, f.field.clone().unwrap_or_default()))
        .collect();
    (user, findings)
}

fn has(findings: &[(Code, String)], field: &str) -> bool {
    findings
        .iter()
        .any(|(c, f)| *c == Code::InvalidValue && f == field)
}

#[test]
fn an_attribute_twice_keeps_both_values() {
    let (user, findings) = one(&[
        ("email", "jane@example.com"),
        ("email", "other@example.com"),
    ]);
    assert_eq!(user["email"], "jane@example.com");
    assert_eq!(user["data"]["unmapped"]["email"], "other@example.com");
    assert!(has(&findings, "email"));
    // A catch-all attribute twice (and three times).
    let (user, findings) = one(&[
        ("custom:plan", "pro"),
        ("custom:plan", "team"),
        ("custom:plan", "free"),
    ]);
    assert_eq!(user["data"]["custom"]["plan"], "pro");
    assert_eq!(user["data"]["unmapped"]["custom:plan"], "team");
    assert_eq!(user["data"]["unmapped"]["custom:plan (2)"], "free");
    assert!(has(&findings, "custom:plan"));
}

#[test]
fn a_name_that_is_a_prefix_of_another_keeps_both_in_either_order() {
    for attrs in [
        [("custom:a", "short"), ("custom:a:b", "long")],
        [("custom:a:b", "long"), ("custom:a", "short")],
    ] {
        let (user, findings) = one(&attrs);
        let data = &user["data"];
        let text = data.to_string();
        assert!(
            text.contains("\"short\"") && text.contains("\"long\""),
            "{data}"
        );
        let kept = if data["custom"]["a"] == "short" {
            "custom:a:b"
        } else {
            "custom:a"
        };
        assert!(data["unmapped"][kept].is_string(), "{data}");
        assert!(has(&findings, kept), "{findings:?}");
    }
}

#[test]
fn a_name_with_a_dot_is_kept_apart_from_the_path_it_would_read_as() {
    let (user, findings) = one(&[("custom:a.b", "dotted"), ("custom:a:b", "nested")]);
    assert_eq!(user["data"]["custom"]["a"]["b"], "nested");
    assert_eq!(user["data"]["unmapped"]["custom:a.b"], "dotted");
    assert!(has(&findings, "custom:a.b"));
}

#[test]
fn the_converters_own_data_keys_survive_an_attribute_of_that_name() {
    let (user, findings) = one(&[
        ("cognito", "x"),
        ("importSource", "y"),
        ("migratedFrom", "z"),
        ("unmapped", "u"),
        ("cognito:username", "v"),
    ]);
    let data = &user["data"];
    assert_eq!(data["importSource"], "cognito");
    assert_eq!(data["cognito"]["username"], "jane");
    assert!(data.get("migratedFrom").is_none());
    for (name, value) in [
        ("cognito", "x"),
        ("importSource", "y"),
        ("migratedFrom", "z"),
        ("unmapped", "u"),
        ("cognito:username", "v"),
    ] {
        assert_eq!(data["unmapped"][name], value, "{name}: {data}");
        assert!(has(&findings, name), "{name}");
    }
}
