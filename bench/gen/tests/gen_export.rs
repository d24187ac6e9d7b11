//! `gen-export` as the benchmarks run it: its files read back with the core's reader and
//! convert without surprises, the same seed gives the same bytes, duplicates come at the rate
//! asked, and the users' features come in the shares bench/gen/src/export.rs documents.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::Command;

use cognito_fusionauth::{read_export, Code, Converter, DuplicatePolicy, Rules, Severity};

const FORMATS: [&str; 3] = ["cli2", "wire", "backup"];

/// Runs `gen-export N OUT ARGS...` into the test's temporary directory and returns OUT's bytes.
fn generate(name: &str, n: u64, args: &[&str]) -> Vec<u8> {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("gen-export-{name}.json"));
    let status = Command::new(env!("CARGO_BIN_EXE_gen-export"))
        .arg(n.to_string())
        .arg(&out)
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "gen-export {n} {args:?}: {status}");
    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    bytes
}

/// Each user's `email` attribute, in order (`None` when the user has none).
fn emails(bytes: &[u8]) -> Vec<Option<String>> {
    let mut emails = Vec::new();
    read_export("export.json", 0, bytes, &mut |user, _| {
        emails.push(user.attribute("email").map(str::to_owned));
    })
    .unwrap();
    emails
}

/// Users whose email (case-insensitive, as the core compares them) an earlier user has.
fn repeated_emails(emails: &[Option<String>]) -> usize {
    let mut seen = HashSet::new();
    emails
        .iter()
        .flatten()
        .filter(|email| !seen.insert(email.to_lowercase()))
        .count()
}

#[test]
fn reads_back_with_n_users_in_every_format() {
    for format in FORMATS {
        for n in [0, 1, 2_000] {
            let bytes = generate(&format!("n-{format}-{n}"), n, &["--format", format]);
            let summary = read_export("export.json", 0, &bytes, &mut |_, _| {}).unwrap();
            assert_eq!(summary.users, n, "{format}");
            assert!(!summary.truncated, "{format}");
            assert!(
                summary.ignored_fields.is_empty(),
                "{format}: {:?}",
                summary.ignored_fields
            );
            // Strict JSON too, with the list-users document's shape.
            let document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(document["Users"].as_array().unwrap().len() as u64, n);
        }
    }
}

/// Every value the generator writes is valid for the default rules (dates, birthdates, time
/// zones, locales, phone numbers, URLs, identities): the only findings are the ones the
/// pool is made to have, and the duplicate groups are the repeated emails.
#[test]
fn converts_with_only_the_findings_the_pool_is_made_to_have() {
    let expected = [
        Code::DuplicateEmail,
        Code::MissingEmail,
        Code::NoPasswordReset,
        Code::Unconfirmed,
        Code::ResetRequired,
        Code::Disabled,
    ];
    for format in FORMATS {
        let bytes = generate(
            &format!("convert-{format}"),
            5_000,
            &["--format", format, "--dup-rate", "0.01"],
        );
        let mut rules = Rules::defaults();
        rules.settings.on_duplicate = DuplicatePolicy::KeepNewest;
        let mapper = rules.compile().unwrap();
        let mut converter = Converter::new(&mapper);
        converter.add_file("export.json", &bytes).unwrap();
        let conversion = converter.finish();
        let report = conversion.report();
        assert_eq!(report.summary.users_read, 5_000);
        assert!(
            !conversion.blocked(),
            "{format}: {:?}",
            report.summary.blocked_reason
        );
        let codes: Vec<Code> = report.summary.codes.keys().copied().collect();
        assert!(
            codes.iter().all(|code| expected.contains(code)),
            "{format}: unexpected findings {:?}",
            report.summary.codes
        );
        assert_eq!(
            report.summary.codes.len(),
            expected.len(),
            "{format}: {codes:?}"
        );
        assert!(!report.summary.severities.contains_key(&Severity::Error));
        // Federated users (5 %) are linked to their provider.
        assert!(
            (150..350).contains(&report.summary.links),
            "{format}: {}",
            report.summary.links
        );
        let duplicated: usize = report
            .duplicates
            .iter()
            .filter(|group| group.code == Code::DuplicateEmail)
            .map(|group| group.users.len() - 1)
            .sum();
        assert_eq!(duplicated, repeated_emails(&emails(&bytes)), "{format}");
        assert_eq!(report.summary.excluded as usize, duplicated, "{format}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let args = ["--dup-rate", "0.01", "--seed", "42"];
    let first = generate("seed-a", 3_000, &args);
    assert_eq!(first, generate("seed-b", 3_000, &args));
    assert_ne!(
        first,
        generate("seed-c", 3_000, &["--dup-rate", "0.01", "--seed", "43"])
    );
    // The default seed is fixed too, and a larger pool only appends users.
    let default = generate("seed-d", 3_000, &["--dup-rate", "0.01"]);
    assert_eq!(
        default,
        generate("seed-e", 3_000, &["--dup-rate", "0.01", "--seed", "7"])
    );
    let larger = generate("seed-f", 3_001, &["--dup-rate", "0.01"]);
    let prefix = default.len() - "\n    ]\n}\n".len();
    assert_eq!(default[..prefix], larger[..prefix]);
}

#[test]
fn duplicates_come_at_the_rate_asked() {
    let n = 20_000;
    assert_eq!(repeated_emails(&emails(&generate("dup-0", n, &[]))), 0);
    for rate in [0.001, 0.02, 0.1] {
        let emails = emails(&generate(
            &format!("dup-{rate}"),
            n,
            &["--dup-rate", &rate.to_string()],
        ));
        // A copy shows as a repeat when both users have the email attribute (98 % each).
        let expected = rate * n as f64 * 0.98 * 0.98;
        let repeated = repeated_emails(&emails) as f64;
        let slack = 4.0 * expected.sqrt() + 2.0;
        assert!(
            (repeated - expected).abs() <= slack,
            "rate {rate}: {repeated} repeated emails, expected {expected:.0} ± {slack:.0}"
        );
        // The copies are upper-cased.
        let upper = emails
            .iter()
            .flatten()
            .filter(|email| email.ends_with("@EXAMPLE.COM"))
            .count() as f64;
        assert!(
            (upper - rate * n as f64 * 0.98).abs() <= slack,
            "rate {rate}: {upper} upper-cased"
        );
    }
}

#[test]
fn features_come_in_their_documented_shares() {
    let n = 20_000;
    let bytes = generate("shares", n, &[]);
    let mut attributes: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let (mut disabled, mut federated, mut custom_named) = (0, 0, 0);
    read_export("export.json", 0, &bytes, &mut |user, _| {
        for (name, _) in &user.attributes {
            *attributes.entry(name.to_string()).or_default() += 1;
        }
        let status = user.status.as_ref().unwrap().to_text();
        *statuses.entry(status.clone()).or_default() += 1;
        if user.enabled.as_ref().unwrap().to_text() == "false" {
            disabled += 1;
        }
        if let Some(identities) = user.attribute("identities") {
            federated += 1;
            assert_eq!(status, "EXTERNAL_PROVIDER");
            let id = &serde_json::from_str::<serde_json::Value>(identities).unwrap()[0];
            let provider = id["providerName"].as_str().unwrap().to_lowercase();
            let expected = format!("{provider}_{}", id["userId"].as_str().unwrap());
            assert_eq!(user.username, expected);
        } else {
            assert_eq!(Some(user.username.as_ref()), user.attribute("sub"));
        }
        if user.attribute("custom:plan").is_some() {
            custom_named += 1;
            assert!(user.attribute("custom:seats").is_some());
        }
    })
    .unwrap();
    let share = |count: usize| count as f64 / n as f64;
    let near = |what: &str, count: usize, expected: f64| {
        // Four standard deviations of a binomial share.
        let slack = 4.0 * (expected * (1.0 - expected) / n as f64).sqrt();
        assert!(
            (share(count) - expected).abs() <= slack,
            "{what}: {:.4}, expected {expected}",
            share(count)
        );
    };
    let attribute = |name: &str| attributes.get(name).copied().unwrap_or(0);
    assert_eq!(attribute("sub"), n as usize);
    assert_eq!(attribute("given_name"), n as usize);
    assert_eq!(attribute("family_name"), n as usize);
    near("website", attribute("website"), 0.3);
    near("email", attribute("email"), 0.98);
    assert_eq!(attribute("email_verified"), attribute("email"));
    near("middle_name", attribute("middle_name"), 0.4);
    near("phone_number", attribute("phone_number"), 0.5);
    assert_eq!(
        attribute("phone_number_verified"),
        attribute("phone_number")
    );
    near("birthdate", attribute("birthdate"), 0.3);
    near("zoneinfo", attribute("zoneinfo"), 0.3);
    assert_eq!(attribute("locale"), attribute("zoneinfo"));
    near("custom:plan", custom_named, 0.5);
    near("identities", federated, 0.05);
    near("disabled", disabled, 0.03);
    let status = |name: &str| statuses.get(name).copied().unwrap_or(0);
    assert_eq!(status("EXTERNAL_PROVIDER"), federated);
    let others = n as usize - federated;
    for name in ["UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"] {
        near(name, status(name), 0.95 / 23.0);
    }
    assert_eq!(
        status("CONFIRMED")
            + status("UNCONFIRMED")
            + status("FORCE_CHANGE_PASSWORD")
            + status("RESET_REQUIRED"),
        others
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_gen-export"))
        .args(["10", "out.json", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("--format must be cli2, wire or backup"),
        "{stderr}"
    );
    assert!(!std::path::Path::new("out.json").exists());
}
