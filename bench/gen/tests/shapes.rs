//! `gen-shapes` as `bench/shapes.sh` runs it: every worst-case shape, at the benchmark's size
//! (1 MB), converts with the core to the output it must give: every value where it belongs,
//! every user, link, group and finding. Not timed (`bench/shapes.sh` measures the time).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use cognito_fusionauth::{Code, Conversion, Converter, Rules};
use serde_json::{json, Value};

/// The benchmark's size.
const BYTES: usize = 1_000_000;

/// Runs `gen-shapes SHAPE OUT --bytes N` and returns OUT's bytes.
fn generate(shape: &str, bytes: usize) -> Vec<u8> {
    // A name of its own for each run: the tests run side by side.
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, Ordering::SeqCst);
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gen-shapes-{}-{run}-{shape}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_gen-shapes"))
        .args([
            shape,
            &out.display().to_string(),
            "--bytes",
            &bytes.to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "gen-shapes {shape}: {status}");
    let data = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert!(data.len() <= bytes, "{shape}: {} bytes", data.len());
    assert!(
        data.len() > bytes * 9 / 10,
        "{shape}: only {} bytes",
        data.len()
    );
    data
}

/// Generates `shape` and converts it with the default rules (`name` is the file's name).
fn convert(shape: &str, name: &str) -> Conversion {
    let bytes = generate(shape, BYTES);
    let mapper = Rules::defaults().compile().unwrap();
    let mut converter = Converter::new(&mapper);
    converter.add_file(name, &bytes).unwrap();
    converter.finish()
}

/// The only user of a conversion.
fn only_user(conversion: &Conversion) -> Value {
    let users: Vec<Value> = conversion.users().collect();
    assert_eq!(users.len(), 1);
    users.into_iter().next().unwrap()
}

/// The issues of the report, as (code, field) pairs, counted.
fn issue_counts(conversion: &Conversion) -> BTreeMap<(Code, String), usize> {
    let mut counts = BTreeMap::new();
    for f in &conversion.report().issues {
        *counts
            .entry((f.code, f.field.clone().unwrap_or_default()))
            .or_default() += 1;
    }
    counts
}

/// The `links.json` of a conversion.
fn links(conversion: &Conversion) -> Vec<Value> {
    let mut random = |buf: &mut [u8]| buf.fill(7);
    let file = conversion
        .files(&mut random)
        .find(|f| f.name == "links.json")
        .expect("links.json");
    let links: Value = serde_json::from_slice(&file.content).unwrap();
    links.as_array().unwrap().clone()
}

#[test]
fn every_shape_is_listed_and_fits_its_size() {
    let out = Command::new(env!("CARGO_BIN_EXE_gen-shapes"))
        .arg("--list")
        .output()
        .unwrap();
    let list = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = list.lines().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(names.len(), 15, "{list}");
    for name in names {
        // Each shape at another size too, and the same bytes twice.
        let small = generate(name, 20_000);
        assert_eq!(small, generate(name, 20_000), "{name} is deterministic");
        let file = if name.starts_with("csv") {
            "x.csv"
        } else {
            "x.json"
        };
        let mapper = Rules::defaults().compile().unwrap();
        let mut converter = Converter::new(&mapper);
        converter.add_file(file, &small).unwrap();
        assert!(
            converter.finish().report().summary.users_read >= 1,
            "{name}"
        );
    }
}

#[test]
fn repeats_of_one_attribute_are_each_kept_under_their_own_name() {
    for (shape, first) in [("repeat", "custom:tag"), ("repeat-mapped", "email")] {
        let conversion = convert(shape, "x.json");
        let user = only_user(&conversion);
        let unmapped = user["data"]["unmapped"].as_object().unwrap();
        let value = |i: usize| match shape {
            "repeat" => i.to_string(),
            _ => format!("a{i}@example.com"),
        };
        // The first value is mapped; the second keeps the name, the k-th (from 0) `name (k)`.
        match shape {
            "repeat" => assert_eq!(user["data"]["custom"]["tag"], value(0)),
            _ => assert_eq!(user["email"], value(0)),
        }
        let n = unmapped.len() + 1;
        assert!(n > 20_000, "{shape}: {n} values");
        assert_eq!(unmapped[first], value(1));
        for k in 2..n {
            assert_eq!(unmapped[&format!("{first} ({k})")], value(k), "{shape} {k}");
        }
        let counts = issue_counts(&conversion);
        assert_eq!(counts[&(Code::InvalidValue, first.to_owned())], n - 1);
    }
}

#[test]
fn distinct_names_land_in_data_and_names_that_collide_in_data_unmapped() {
    let conversion = convert("names", "x.json");
    let custom = only_user(&conversion)["data"]["custom"].clone();
    let custom = custom.as_object().unwrap();
    assert!(custom.len() > 20_000, "{}", custom.len());
    for i in 0..custom.len() {
        assert_eq!(custom[&format!("a{i}")], i.to_string());
    }
    // The user has no email; nothing else is worth a finding.
    let issues = &conversion.report().issues;
    assert!(
        issues.iter().all(|f| f.code == Code::MissingEmail),
        "{issues:?}"
    );

    let conversion = convert("collide", "x.json");
    let user = only_user(&conversion);
    assert_eq!(user["data"]["custom"], "text");
    let unmapped = user["data"]["unmapped"].as_object().unwrap();
    assert!(unmapped.len() > 20_000, "{}", unmapped.len());
    for i in 0..unmapped.len() {
        assert_eq!(unmapped[&format!("custom:k{i}")], i.to_string());
    }
    let counts = issue_counts(&conversion);
    let moved: usize = counts
        .iter()
        .filter(|((code, field), _)| *code == Code::InvalidValue && field.starts_with("custom:k"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(moved, unmapped.len(), "one finding per value moved");
}

#[test]
fn every_identity_becomes_one_link_naming_the_user() {
    for (shape, name) in [
        ("identities", "ann@example.com"),
        ("identities-long-name", ""),
    ] {
        let conversion = convert(shape, "x.json");
        let user = only_user(&conversion);
        let display = match shape {
            "identities" => name.to_owned(),
            _ => {
                let username = user["username"].as_str().unwrap().to_owned();
                assert_eq!(username, "n".repeat(BYTES / 2));
                shown(&username)
            }
        };
        let links = links(&conversion);
        assert!(links.len() > 5_000, "{shape}: {} links", links.len());
        for (i, link) in links.iter().enumerate() {
            let link = &link["identityProviderLink"];
            assert_eq!(link["identityProviderUserId"], i.to_string(), "{shape}");
            assert_eq!(link["displayName"], display.as_str(), "{shape}");
            assert_eq!(link["userId"], user["id"], "{shape}");
        }
        assert_eq!(conversion.report().summary.links, links.len() as u64);
    }
}

#[test]
fn every_group_and_mfa_method_is_kept_once() {
    let conversion = convert("groups", "x.json");
    let groups = only_user(&conversion)["data"]["cognito"]["groups"].clone();
    let groups = groups.as_array().unwrap();
    assert!(groups.len() > 50_000, "{}", groups.len());
    let unmapped = &conversion.report().summary.unmapped_groups;
    assert_eq!(unmapped.len(), groups.len());
    for (i, g) in groups.iter().enumerate() {
        let name = format!("group-{i}");
        assert_eq!(g, name.as_str());
        assert_eq!(unmapped[&name], 1);
    }

    let conversion = convert("mfa", "x.json");
    let user = only_user(&conversion);
    let issues = &conversion.report().issues;
    let mfa: Vec<&str> = issues
        .iter()
        .filter(|f| f.code == Code::MfaNotCarried)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(mfa.len(), 1);
    let listed = mfa[0]
        .split_once('(')
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(methods, _)| methods)
        .unwrap();
    let methods: Vec<&str> = listed.split(", ").collect();
    assert!(methods.len() > 60_000, "{}", methods.len());
    for (i, m) in methods.iter().enumerate() {
        assert_eq!(*m, format!("M{i}"));
    }
    assert_eq!(
        user["data"]["cognito"]["mfa"].as_array().map(Vec::len),
        Some(methods.len())
    );
}

#[test]
fn a_long_value_is_kept_whole() {
    let conversion = convert("long-value", "x.json");
    let bio = only_user(&conversion)["data"]["custom"]["bio"]
        .as_str()
        .unwrap()
        .to_owned();
    let piece = "Zoë \"Ünïcødé\" \\ 日本 ";
    assert!(bio.len() > 900_000, "{}", bio.len());
    assert_eq!(bio, piece.repeat(bio.len() / piece.len()));
}

/// A name as findings, links and messages about other users show it: its first 256
/// characters (twice Cognito's longest username) and `…`.
fn shown(name: &str) -> String {
    format!("{}…", &name[..256])
}

#[test]
fn many_findings_of_a_user_with_a_long_username_name_it() {
    let conversion = convert("long-username", "x.json");
    let user = only_user(&conversion);
    let username = "u".repeat(BYTES / 2);
    assert_eq!(user["username"], username.as_str());
    assert_eq!(user["data"]["cognito"]["username"], username.as_str());
    let issues = &conversion.report().issues;
    let tags: Vec<_> = issues
        .iter()
        .filter(|f| f.field.as_deref() == Some("custom:tag"))
        .collect();
    let unmapped = user["data"]["unmapped"].as_object().unwrap();
    assert_eq!(tags.len(), unmapped.len());
    assert!(tags.len() > 10_000, "{}", tags.len());
    for f in tags {
        assert_eq!(f.username.as_deref(), Some(shown(&username).as_str()));
        assert_eq!((f.index, f.file.as_str()), (Some(0), "x.json"));
    }
}

#[test]
fn small_users_are_each_imported_or_reported() {
    for shape in ["users", "json-lines"] {
        let conversion = convert(shape, "x.json");
        let users: Vec<Value> = conversion.users().collect();
        assert!(users.len() > 10_000, "{shape}: {}", users.len());
        for (i, u) in users.iter().enumerate() {
            assert_eq!(u["username"], format!("u{i}"), "{shape}");
            assert_eq!(u["email"], format!("u{i}@example.com"), "{shape}");
        }
        assert!(conversion
            .report()
            .issues
            .iter()
            .all(|f| f.code == Code::InvalidId));
    }
}

#[test]
fn users_sharing_one_email_are_each_reported_in_one_group() {
    for shape in ["dup-email", "dup-email-long-name"] {
        let conversion = convert(shape, "x.json");
        let report = conversion.report();
        assert!(report.summary.blocked, "{shape}: the default policy blocks");
        let n = report.summary.users_read as usize;
        assert!(n > 5_000, "{shape}: {n}");
        assert_eq!(report.duplicates.len(), 1, "{shape}");
        let group = &report.duplicates[0];
        assert_eq!(group.value, "same@example.com");
        assert_eq!(group.users.len(), n, "{shape}");
        // The users are named whole in the group, and shown in the messages about the others.
        if shape == "dup-email-long-name" {
            let long = "u".repeat(BYTES / 2);
            assert_eq!(group.users[0].username, long);
            let message = &report
                .issues
                .iter()
                .find(|f| f.index == Some(1) && f.code == Code::DuplicateEmail)
                .unwrap()
                .message;
            assert!(
                message.contains(&format!("x.json user 0 ({:?})", shown(&long))),
                "{}",
                &message[..400]
            );
        }
        let errors = report
            .issues
            .iter()
            .filter(|f| f.code == Code::DuplicateEmail)
            .count();
        assert_eq!(errors, n, "{shape}: one error per user");
    }
}

#[test]
fn a_wide_csv_keeps_every_column() {
    let conversion = convert("csv-wide", "x.csv");
    let user = only_user(&conversion);
    assert_eq!(user["username"], "ann");
    let custom = user["data"]["custom"].as_object().unwrap();
    assert!(custom.len() > 50_000, "{}", custom.len());
    for i in 0..custom.len() {
        assert_eq!(custom[&format!("c{i}")], json!(i.to_string()));
    }
}
