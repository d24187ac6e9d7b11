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

fn rules_with(attribute: Value) -> Rules {
    let mut rules = serde_json::to_value(Rules::defaults()).unwrap();
    rules["attributes"].as_array_mut().unwrap().push(attribute);
    serde_json::from_value(rules).unwrap()
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(1), |inner, _| json!([inner]))
}

#[test]
fn rules_nesting_deeper_than_a_reader_reads_back_are_refused() {
    let deep_target = format!("data.{}", vec!["x"; 33].join("."));
    let e = rules_with(json!({"source": "custom:x", "target": deep_target}))
        .compile()
        .unwrap_err();
    assert!(e.to_string().contains("33 levels deep"), "{e}");
    assert!(e.to_string().contains("target"), "{e}");
    let ok_target = format!("data.{}", vec!["x"; 32].join("."));
    assert!(
        rules_with(json!({"source": "custom:x", "target": ok_target}))
            .compile()
            .is_ok()
    );
    let e =
        rules_with(json!({"target": "data.deep", "transform": "constant", "value": nested(65)}))
            .compile()
            .unwrap_err();
    assert!(e.to_string().contains("value"), "{e}");
    assert!(rules_with(
        json!({"target": "data.deep", "transform": "constant", "value": nested(64)})
    )
    .compile()
    .is_ok());
}

#[test]
fn a_json_attribute_nested_too_deep_is_kept_as_text_with_a_finding() {
    let rules =
        rules_with(json!({"source": "custom:blob", "target": "data.blob", "transform": "json"}));
    let deep = nested(70).to_string();
    let attrs = vec![
        json!({"Name": "sub", "Value": SUB}),
        json!({"Name": "custom:blob", "Value": deep}),
    ];
    let export = json!({"Users": [{"Username": "jane", "Attributes": attrs}]});
    let conversion = common::convert(&rules, &[("users.json", export.to_string().as_bytes())]);
    let user = conversion.users().next().unwrap();
    assert_eq!(user["data"]["unmapped"]["custom:blob"], deep);
    assert!(conversion
        .report()
        .issues
        .iter()
        .any(|f| f.field.as_deref() == Some("custom:blob")));
    // Every import file reads back.
    for file in common::import_files(&conversion) {
        assert!(file["users"].is_array());
    }
}
