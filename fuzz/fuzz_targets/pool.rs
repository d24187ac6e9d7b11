//! Rules and an export together, under every duplicate policy, with the promises checked on
//! every run (a broken promise panics, like a crash):
//! - every user read is imported, excluded or (output blocked) held back, and the import files
//!   hold exactly the imported;
//! - every output file parses (import requests, links, report);
//! - every attribute value no rule takes lands in the user (in `data` or `data.unmapped`) or
//!   is named by a finding.
//!
//! Input: byte 0 picks the policy; the rules JSON follows, up to a NUL byte (none: the
//! default rules); the export is the rest.
#![no_main]

use cognito_fusionauth::report::Report;
use cognito_fusionauth::{read_export, Code, Converter, DuplicatePolicy, Rules};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&policy, rest)) = data.split_first() else {
        return;
    };
    let (rules_text, export) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b""[..], rest),
    };
    let mut rules = if rules_text.is_empty() {
        Rules::defaults()
    } else {
        let Ok(text) = std::str::from_utf8(rules_text) else {
            return;
        };
        let Ok(rules) = Rules::from_json(text) else {
            return;
        };
        rules
    };
    rules.settings.on_duplicate =
        DuplicatePolicy::ALL[usize::from(policy) % DuplicatePolicy::ALL.len()];
    let Ok(mapper) = rules.compile() else {
        return;
    };
    let mut converter = Converter::new(&mapper);
    if converter.add_file("export", export).is_err() {
        return;
    }
    let conversion = converter.finish();
    let summary = &conversion.report().summary;
    assert_eq!(
        summary.users_read,
        summary.imported + summary.excluded + summary.held_back
    );
    assert!(summary.blocked || summary.held_back == 0);
    assert_eq!(summary.excluded, conversion.report().excluded.len() as u64);

    let mut random = |buf: &mut [u8]| buf.fill(3);
    let mut imported = 0u64;
    for file in conversion.files(&mut random) {
        if file.name == "login-ids.txt" {
            // Every imported user but those a no-password-reset finding leaves out.
            let report = conversion.report();
            let excluded: Vec<(&str, u64)> = report
                .excluded
                .iter()
                .map(|e| (e.file.as_str(), e.index))
                .collect();
            let left_out = report
                .issues
                .iter()
                .filter(|f| f.code == Code::NoPasswordReset)
                .filter(|f| !excluded.contains(&(f.file.as_str(), f.index.unwrap_or(u64::MAX))))
                .count() as u64;
            let ids = std::str::from_utf8(&file.content).expect("login ids are UTF-8");
            assert_eq!(ids.lines().count() as u64 + left_out, summary.imported);
            continue;
        }
        let value: Value = serde_json::from_slice(&file.content)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.name));
        if file.name.starts_with("users-") {
            let users = value["users"]
                .as_array()
                .expect("an import request has users");
            assert!(!users.is_empty() && users.len() <= summary.chunk_size);
            imported += users.len() as u64;
        } else if file.name == "links.json" {
            assert!(value.is_array());
        } else if file.name == "report.json" {
            serde_json::from_value::<Report>(value).expect("report.json reads back");
        }
    }
    assert_eq!(imported, if summary.blocked { 0 } else { summary.imported });

    // Attribute values no rule takes, user by user.
    let taken: Vec<&str> = rules
        .attributes
        .iter()
        .filter_map(|r| r.source.as_deref())
        .collect();
    let _ = read_export("export", 0, export, &mut |user, _| {
        let mapped = mapper.map(&user);
        let json = serde_json::to_string(&mapped.user).expect("a user serializes");
        for (name, value) in &user.attributes {
            if value.is_empty() || taken.contains(&name.as_ref()) {
                continue;
            }
            let quoted = serde_json::to_string(value.as_ref()).expect("a string serializes");
            let named = mapped.findings.iter().any(|f| f.field == name.as_ref());
            assert!(
                json.contains(&quoted) || named,
                "attribute {name:?} = {value:?} is neither in the user nor named by a finding: {json}"
            );
        }
    });
});
