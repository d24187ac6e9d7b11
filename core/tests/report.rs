//! Validation across users: every finding code, every duplicate policy, chunking, and the
//! promise that every input user is imported or excluded.

mod common;

use std::collections::BTreeSet;

use cognito_fusionauth::{Code, DuplicatePolicy, Rules, Severity};
use common::{assert_import_rules, assert_nothing_lost, convert, files, fixture};
use serde_json::Value;

fn with_policy(policy: DuplicatePolicy) -> Rules {
    let mut rules = Rules::defaults();
    rules.settings.on_duplicate = policy;
    rules
}

fn sample(policy: DuplicatePolicy) -> cognito_fusionauth::Conversion {
    convert(
        &with_policy(policy),
        &[("sample-pool.json", &fixture("sample-pool.json"))],
    )
}

#[test]
fn the_sample_pool_shows_every_finding_code() {
    let conversion = sample(DuplicatePolicy::Error);
    let codes: BTreeSet<Code> = conversion.report().issues.iter().map(|f| f.code).collect();
    let all = [
        Code::DuplicateEmail,
        Code::DuplicateUsername,
        Code::DuplicateRecord,
        Code::MissingEmail,
        Code::InvalidEmail,
        Code::InvalidBirthdate,
        Code::InvalidTimezone,
        Code::InvalidLocale,
        Code::InvalidPhone,
        Code::InvalidUrl,
        Code::InvalidId,
        Code::InvalidValue,
        Code::InvalidIdentities,
        Code::UnmappedProvider,
        Code::UnsupportedProvider,
        Code::MfaNotCarried,
        Code::NoPasswordReset,
        Code::Unconfirmed,
        Code::ResetRequired,
        Code::Disabled,
        Code::TruncatedExport,
    ];
    for code in all {
        assert!(codes.contains(&code), "missing {}", code.as_str());
    }
    for f in &conversion.report().issues {
        if f.code != Code::TruncatedExport {
            assert!(
                f.index.is_some() && f.username.is_some() && f.field.is_some(),
                "{f:?}"
            );
        }
        assert_eq!(f.file, "sample-pool.json");
    }
}

#[test]
fn error_policy_blocks_everything_but_the_report() {
    let conversion = sample(DuplicatePolicy::Error);
    assert!(conversion.blocked());
    let names: Vec<String> = files(&conversion).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["report.json"]);
    let report: Value = serde_json::from_slice(&files(&conversion)[0].1).unwrap();
    assert_eq!(report["summary"]["blocked"], true);
    // Nobody lost: the users neither excluded nor imported are held back until the errors go.
    let summary = &report["summary"];
    let held_back = summary["heldBack"].as_u64().unwrap();
    assert!(held_back > 0);
    assert_eq!(summary["imported"], 0);
    assert_eq!(
        summary["usersRead"].as_u64().unwrap(),
        summary["excluded"].as_u64().unwrap() + held_back
    );
    assert!(report["summary"]["blockedReason"]
        .as_str()
        .unwrap()
        .contains("duplicate-email"));
    let errors: Vec<_> = conversion
        .report()
        .issues
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(
        errors.len(),
        4,
        "both users of each duplicate pair are named"
    );
    let groups = &conversion.report().duplicates;
    assert_eq!(groups[0].code, Code::DuplicateEmail);
    assert_eq!(groups[0].value, "test@example.com");
    assert_eq!(groups[0].users.len(), 2);
}

#[test]
fn keep_first_and_keep_newest_exclude_the_others() {
    let first = sample(DuplicatePolicy::KeepFirst);
    let newest = sample(DuplicatePolicy::KeepNewest);
    for c in [&first, &newest] {
        assert!(!c.blocked());
        assert_nothing_lost(c);
        assert_import_rules(c, 10_000);
    }
    let excluded = |c: &cognito_fusionauth::Conversion, code: Code| {
        c.report()
            .excluded
            .iter()
            .filter(|e| e.code == code)
            .map(|e| e.username.clone())
            .collect::<Vec<_>>()
    };
    // test@example.com: user 1 comes first, user 2 (TEST@...) was modified later.
    assert_eq!(
        excluded(&first, Code::DuplicateEmail),
        ["a0000000-0000-4000-8000-000000000003"]
    );
    assert_eq!(
        excluded(&newest, Code::DuplicateEmail),
        ["06744664-df6e-48cc-9421-3d56a9732172"]
    );
    // Alice / alice: alice was modified later.
    assert_eq!(excluded(&first, Code::DuplicateUsername), ["alice"]);
    assert_eq!(excluded(&newest, Code::DuplicateUsername), ["Alice"]);
    let reason = &newest
        .report()
        .excluded
        .iter()
        .find(|e| e.code == Code::DuplicateEmail)
        .unwrap()
        .reason;
    assert!(
        reason.contains("a0000000-0000-4000-8000-000000000003"),
        "{reason}"
    );
}

#[test]
fn move_to_data_keeps_everybody() {
    let conversion = sample(DuplicatePolicy::MoveToData);
    assert!(!conversion.blocked());
    assert_nothing_lost(&conversion);
    assert_import_rules(&conversion, 10_000);
    let only_repeat = conversion
        .report()
        .excluded
        .iter()
        .all(|e| e.code == Code::DuplicateRecord);
    assert!(only_repeat, "{:?}", conversion.report().excluded);
    let users: Vec<Value> = conversion.users().collect();
    let loser = users
        .iter()
        .find(|u| u["id"] == "06744664-df6e-48cc-9421-3d56a9732172")
        .unwrap();
    assert!(loser.get("email").is_none());
    assert_eq!(
        loser["data"]["cognito"]["duplicateEmail"],
        "test@example.com"
    );
    // It still has a login id: its Cognito Username.
    assert_eq!(loser["username"], "06744664-df6e-48cc-9421-3d56a9732172");
    let alice = users
        .iter()
        .find(|u| u["data"]["cognito"]["username"] == "Alice")
        .unwrap();
    assert_eq!(alice["data"]["cognito"]["duplicateUsername"], "Alice");
    assert!(alice.get("username").is_none());
    assert_eq!(alice["email"], "alice@example.com");
}

#[test]
fn duplicate_ids_from_a_custom_attribute() {
    let mut rules = with_policy(DuplicatePolicy::MoveToData);
    rules.attributes[0].source = Some("custom:legacy_id".into());
    let text = r#"[{"Username":"a","Attributes":[{"Name":"email","Value":"a@x.io"},{"Name":"custom:legacy_id","Value":"11111111-1111-4111-8111-111111111111"}]},
                   {"Username":"b","Attributes":[{"Name":"email","Value":"b@x.io"},{"Name":"custom:legacy_id","Value":"11111111-1111-4111-8111-111111111111"}]}]"#;
    let conversion = convert(&rules, &[("ids.json", text.as_bytes())]);
    assert_nothing_lost(&conversion);
    assert_import_rules(&conversion, 10_000);
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users[0]["id"], "11111111-1111-4111-8111-111111111111");
    assert_ne!(users[1]["id"], users[0]["id"]);
    assert_eq!(
        users[1]["data"]["cognito"]["duplicateId"],
        "11111111-1111-4111-8111-111111111111"
    );
    let blocked = convert(
        &with_policy(DuplicatePolicy::Error),
        &[("ids.json", text.as_bytes())],
    );
    assert!(
        !blocked.blocked(),
        "the default rules take the id from sub, so no duplicate here"
    );
    rules.settings.on_duplicate = DuplicatePolicy::Error;
    let blocked = convert(&rules, &[("ids.json", text.as_bytes())]);
    assert!(blocked.blocked());
    assert_eq!(
        blocked.report().summary.codes.get(&Code::DuplicateId),
        Some(&2)
    );
}

fn many(n: usize) -> String {
    let users: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"Username":"user{i}","Attributes":[{{"Name":"email","Value":"user{i}@example.com"}}]}}"#))
        .collect();
    format!("{{\"Users\":[{}]}}", users.join(","))
}

#[test]
fn chunking_at_the_boundary() {
    for (n, chunk, expected) in [
        (4usize, 2usize, vec![2, 2]),
        (5, 2, vec![2, 2, 1]),
        (1, 1, vec![1]),
        (3, 100_000, vec![3]),
    ] {
        let mut rules = Rules::defaults();
        rules.settings.chunk_size = chunk;
        let text = many(n);
        let conversion = convert(&rules, &[("many.json", text.as_bytes())]);
        let sizes: Vec<usize> = common::import_files(&conversion)
            .iter()
            .map(|f| f["users"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, expected, "n={n} chunk={chunk}");
        let names: Vec<String> = files(&conversion)
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.starts_with("users-"))
            .collect();
        let want: Vec<String> = (1..=expected.len())
            .map(|i| format!("users-{i:04}.json"))
            .collect();
        assert_eq!(names, want);
        assert_eq!(conversion.report().summary.chunks, expected.len() as u64);
        assert_import_rules(&conversion, chunk);
    }
    let empty = convert(&Rules::defaults(), &[("none.json", b"{\"Users\":[]}")]);
    let names: Vec<String> = files(&empty).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["login-ids.txt", "links.json", "report.json"],
        "no empty import request"
    );
}

#[test]
fn login_ids_and_links() {
    let conversion = sample(DuplicatePolicy::KeepNewest);
    let out = files(&conversion);
    let login_ids = String::from_utf8(
        out.iter()
            .find(|(n, _)| n == "login-ids.txt")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    let lines: Vec<&str> = login_ids.lines().collect();
    // Every imported user but the three federated-only ones (no password to reset) and the
    // disabled one, each named by a no-password-reset finding.
    let report = conversion.report();
    assert_eq!(lines.len() as u64, report.summary.imported - 4);
    for left_out in [
        "gina@gmail.com",
        "amy@example.com",
        "sam@corp.example",
        "gone@example.com",
    ] {
        assert!(!lines.contains(&left_out), "{left_out}");
    }
    let no_reset: Vec<(&str, &str)> = report
        .issues
        .iter()
        .filter(|f| f.code == Code::NoPasswordReset)
        .map(|f| {
            (
                f.username.as_deref().unwrap_or_default(),
                f.field.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        no_reset,
        [
            ("google_118202375641812213424", "UserStatus"),
            ("loginwithamazon_amzn1.account.af3x", "UserStatus"),
            ("corpsaml_sam@corp.example", "UserStatus"),
            ("a0000000-0000-4000-8000-000000000015", "Enabled"),
        ]
    );
    assert!(lines.contains(&"testverified@example.com"));
    assert!(
        lines.contains(&"a0000000-0000-4000-8000-000000000004"),
        "the phone-only user logs in by username"
    );
    let links: Value =
        serde_json::from_slice(&out.iter().find(|(n, _)| n == "links.json").unwrap().1).unwrap();
    assert_eq!(
        links,
        serde_json::json!([{"identityProviderLink": {
            "displayName": "gina@gmail.com",
            "identityProviderId": "82339786-3dff-42a6-aac6-1f1ceecb6c46",
            "identityProviderUserId": "118202375641812213424",
            "userId": "a0000000-0000-4000-8000-000000000009"
        }}])
    );
}

#[test]
fn a_bad_file_leaves_the_conversion_usable() {
    let mapper = Rules::defaults().compile().unwrap();
    let mut converter = cognito_fusionauth::Converter::new(&mapper);
    converter.add_file("good.json", many(3).as_bytes()).unwrap();
    let half = "{\"Users\":[{\"Username\":\"x\"},{\"Username\":7}]}";
    let err = converter.add_file("bad.json", half.as_bytes()).unwrap_err();
    assert!(err.to_string().starts_with("bad.json: user 1"), "{err}");
    let conversion = converter.finish();
    assert_eq!(
        conversion.report().summary.users_read,
        3,
        "nothing of the bad file is kept"
    );
}

#[test]
fn move_to_data_excludes_a_user_left_without_a_login_id() {
    let text = r#"[{"Username":"Sam","Attributes":[{"Name":"phone_number","Value":"+14325551212"}],"UserLastModifiedDate":1},
                   {"Username":"sam","Attributes":[{"Name":"phone_number","Value":"+14325551213"}],"UserLastModifiedDate":2}]"#;
    let conversion = convert(
        &with_policy(DuplicatePolicy::MoveToData),
        &[("phones.json", text.as_bytes())],
    );
    assert_nothing_lost(&conversion);
    let excluded = &conversion.report().excluded;
    assert_eq!(excluded.len(), 1);
    assert_eq!(
        (excluded[0].code, excluded[0].username.as_str()),
        (Code::NoLoginId, "Sam")
    );
    assert!(
        excluded[0]
            .reason
            .contains("no email, username or phone number"),
        "{}",
        excluded[0].reason
    );
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users[0]["username"], "sam");
}

/// Enough users for several reader batches (and, with the `parallel` feature, several
/// mapping threads): the output keeps the input order.
#[test]
fn many_users_keep_their_input_order() {
    let text = many(5_000);
    let conversion = convert(&Rules::defaults(), &[("many.json", text.as_bytes())]);
    let names: Vec<String> = conversion
        .users()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..5_000).map(|i| format!("user{i}")).collect();
    assert_eq!(names, want);
    assert_nothing_lost(&conversion);
}

#[test]
fn a_phone_number_mapped_to_phone_number_is_checked_for_duplicates_under_every_policy() {
    let export = br#"{"Users": [
      {"Username": "a", "UserLastModifiedDate": 1700000000, "Attributes": [
        {"Name": "sub", "Value": "00000000-0000-4000-8000-000000000001"},
        {"Name": "email", "Value": "a@example.com"}, {"Name": "phone_number", "Value": "+15555550100"}]},
      {"Username": "b", "UserLastModifiedDate": 1800000000, "Attributes": [
        {"Name": "sub", "Value": "00000000-0000-4000-8000-000000000002"},
        {"Name": "email", "Value": "b@example.com"}, {"Name": "phone_number", "Value": "+15555550100"}]}]}"#;
    let rules_for = |policy| {
        let mut rules = with_policy(policy);
        for rule in &mut rules.attributes {
            if rule.source.as_deref() == Some("phone_number") {
                rule.target = "phoneNumber".into();
            }
        }
        rules
    };
    let blocked = convert(
        &rules_for(DuplicatePolicy::Error),
        &[("users.json", export)],
    );
    assert!(blocked.blocked());
    assert_eq!(
        blocked.report().summary.codes.get(&Code::DuplicatePhone),
        Some(&2)
    );
    assert_eq!(blocked.report().duplicates[0].code, Code::DuplicatePhone);

    let newest = convert(
        &rules_for(DuplicatePolicy::KeepNewest),
        &[("users.json", export)],
    );
    assert_eq!(newest.report().excluded.len(), 1);
    assert_eq!(newest.report().excluded[0].username, "a");
    assert_nothing_lost(&newest);

    let moved = convert(
        &rules_for(DuplicatePolicy::MoveToData),
        &[("users.json", export)],
    );
    let users: Vec<Value> = moved.users().collect();
    assert_eq!(users.len(), 2);
    let a = users
        .iter()
        .find(|u| u["email"] == "a@example.com")
        .unwrap();
    assert!(a.get("phoneNumber").is_none());
    assert_eq!(a["data"]["cognito"]["duplicatePhoneNumber"], "+15555550100");
    let b = users
        .iter()
        .find(|u| u["email"] == "b@example.com")
        .unwrap();
    assert_eq!(b["phoneNumber"], "+15555550100");
}

#[test]
fn an_unreadable_file_is_an_error_finding_that_blocks_the_import_files() {
    let mapper = Rules::defaults().compile().unwrap();
    let mut converter = cognito_fusionauth::Converter::new(&mapper);
    converter
        .add_file("sample-pool.json", &fixture("sample-pool.json"))
        .unwrap();
    let broken = b"{\"Users\":[{\"Username\":\"a\"},\n{\"Username\":\"b\",\"Enabled\":[1]}]}";
    assert!(converter.add_file("cut.json", broken).is_err());
    let conversion = converter.finish();
    assert!(conversion.blocked());
    let f = conversion
        .report()
        .issues
        .iter()
        .find(|f| f.code == Code::UnreadableFile)
        .expect("the file is in the report");
    assert_eq!(
        (f.file.as_str(), f.index, f.username.as_deref()),
        ("cut.json", Some(1), Some("b"))
    );
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("line 2"), "{}", f.message);
    // The sample pool's duplicate emails block too; alone, the file names the reason.
    let mut alone = cognito_fusionauth::Converter::new(&mapper);
    assert!(alone.add_file("cut.json", broken).is_err());
    let reason = alone
        .finish()
        .report()
        .summary
        .blocked_reason
        .clone()
        .unwrap();
    assert!(reason.contains("cannot be read (cut.json)"), "{reason}");
    let names: Vec<String> = files(&conversion).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["report.json"]);
}

#[test]
fn progress_counts_users_read_over_all_files_and_never_goes_back() {
    let mapper = Rules::defaults().compile().unwrap();
    let pool = many(12_000);
    let seen = std::cell::RefCell::new(Vec::new());
    let mut converter = cognito_fusionauth::Converter::new(&mapper);
    converter.on_progress(|n| seen.borrow_mut().push(n));
    converter.add_file("a.json", pool.as_bytes()).unwrap();
    assert_eq!(converter.users_read(), 12_000);
    converter.add_file("b.json", pool.as_bytes()).unwrap();
    assert_eq!(converter.users_read(), 24_000);
    drop(converter);
    let seen = seen.into_inner();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(
        *seen.last().unwrap() > 12_000,
        "the second file counts on from the first: {seen:?}"
    );
}
