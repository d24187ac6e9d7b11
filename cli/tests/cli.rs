//! The binary, run as users run it: exit codes, files written, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cognito-fusionauth"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn convert_writes_every_file_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "convert",
        "--on-duplicate",
        "keep-newest",
        "--tenant-id",
        "30663132-6464-6665-3032-326466613934",
        "--application-id",
        "85a03867-dccf-4882-adde-1a79aeec50df",
        "--chunk-size",
        "7",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        names(&out),
        [
            "links.json",
            "login-ids.txt",
            "report.json",
            "users-0001.json",
            "users-0002.json",
            "users-0003.json"
        ]
    );
    let chunk: Value =
        serde_json::from_slice(&std::fs::read(out.join("users-0001.json")).unwrap()).unwrap();
    let first = &chunk["users"][0];
    assert_eq!(first["tenantId"], "30663132-6464-6665-3032-326466613934");
    assert_eq!(
        first["registrations"][0]["applicationId"],
        "85a03867-dccf-4882-adde-1a79aeec50df"
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["summary"]["usersRead"], 21);
    assert!(stderr(&o).contains("21 users read"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "data goes to files, not stdout");
}

#[test]
fn blocked_output_exits_1_with_only_the_report_and_clears_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("users-0009.json"), "stale").unwrap();
    std::fs::write(dir.path().join("keep-me.txt"), "mine").unwrap();
    let o = run(&[
        "convert",
        "--out",
        dir.path().to_str().unwrap(),
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(names(dir.path()), ["keep-me.txt", "report.json"]);
    assert!(stderr(&o).contains("output blocked"), "{}", stderr(&o));
}

#[test]
fn unreadable_or_malformed_input_exits_2_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"Users\":[{\"Username\":\"a\"},\n{\"Username\":\"b\",\"Enabled\":[1]}]}",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "convert",
        "--out",
        out.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.json: user 1 (\"b\") (line 2"), "{err}");
    assert!(err.contains("field \"Enabled\""), "{err}");
    let o = run(&[
        "validate",
        dir.path().join("missing.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.json"));
    let o = run(&["convert", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "usage error");
    let o = run(&["convert", "--on-duplicate", "sometimes", "--out", "x", "y"]);
    assert_eq!(o.status.code(), Some(2), "usage error");
}

#[test]
fn seeded_runs_are_reproducible_and_unseeded_runs_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("guide-list-users.json");
    let read = |name: &str, seed: Option<&str>| {
        let out = dir.path().join(name);
        let mut args = vec![
            "convert",
            "--out",
            out.to_str().unwrap(),
            input.to_str().unwrap(),
        ];
        if let Some(s) = seed {
            args.extend(["--seed", s]);
        }
        assert_eq!(run(&args).status.code(), Some(0));
        std::fs::read(out.join("users-0001.json")).unwrap()
    };
    assert_eq!(read("a", Some("7")), read("b", Some("7")));
    assert_ne!(read("c", None), read("d", None));
}

#[test]
fn rules_round_trip_through_the_rules_option() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let mut rules: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rules["version"], 1);
    rules["settings"]["onDuplicate"] = "keep-first".into();
    rules["attributes"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"source": "website", "target": "data.homepage"}));
    let path = dir.path().join("rules.json");
    std::fs::write(&path, serde_json::to_vec(&rules).unwrap()).unwrap();
    let out = dir.path().join("out");
    let o = run(&[
        "convert",
        "--rules",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "keep-first from the rules file: {}",
        stderr(&o)
    );
    let chunk: Value =
        serde_json::from_slice(&std::fs::read(out.join("users-0001.json")).unwrap()).unwrap();
    assert_eq!(chunk["users"][0]["data"]["homepage"], "http://example.com");
    std::fs::write(
        &path,
        "{\"version\": 1, \"attributes\": [{\"source\": \"email\", \"target\": \"mail\"}]}",
    )
    .unwrap();
    let o = run(&[
        "validate",
        "--rules",
        path.to_str().unwrap(),
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("attributes[0].target"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn validate_prints_the_report_on_stdout() {
    let o = run(&[
        "validate",
        "--on-duplicate",
        "keep-first",
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["summary"]["duplicatePolicy"], "keep-first");
    assert!(report["issues"].as_array().unwrap().len() > 10);
    let o = run(&["validate", fixture("sample-pool.json").to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "duplicates block under the default policy"
    );
}

#[test]
fn connector_user_prints_the_connector_body() {
    let o = run(&[
        "connector-user",
        fixture("guide-get-user.json").to_str().unwrap(),
        "--application-id",
        "85a03867-dccf-4882-adde-1a79aeec50df",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(body["user"]["id"], "06744664-df6e-48cc-9421-3d56a9732172");
    assert_eq!(body["user"]["data"]["migratedFrom"], "cognito");
    assert!(body["user"]["data"]["migratedDate"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    let o = run(&[
        "connector-user",
        fixture("sample-pool.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("expected exactly one user"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn estimate_both_ways() {
    let o = run(&["estimate", "--probability", "0.1", "--days", "7"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0.521703");
    let o = run(&["estimate", "--probability", "0.1", "--target", "0.9"]);
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "21.854");
    let o = run(&["estimate", "--probability", "0.1"]);
    assert_eq!(o.status.code(), Some(2), "needs --days or --target");
    let o = run(&["estimate", "--probability", "0.1", "--target", "1"]);
    assert_eq!(o.status.code(), Some(2));
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn convert_into(out: &Path, input: &Path) -> Output {
    run(&[
        "convert",
        "--on-duplicate",
        "keep-newest",
        "--out",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ])
}

fn convert_sample(out: &Path) -> Output {
    convert_into(out, &fixture("sample-pool.json"))
}

#[test]
fn convert_writes_private_files_in_a_private_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new-out");
    let o = convert_sample(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(mode(&out), 0o700);
    for name in names(&out) {
        assert_eq!(mode(&out.join(&name)), 0o600, "{name}");
    }
    // A file an earlier run left world-readable is replaced by a private one.
    std::fs::write(out.join("report.json"), "old").unwrap();
    std::fs::set_permissions(
        out.join("report.json"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let o = convert_sample(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(mode(&out.join("report.json")), 0o600);
}

#[test]
fn convert_replaces_symlinks_instead_of_writing_through_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    // A planted link under an output name, and one under the temporary name.
    std::os::unix::fs::symlink(&victim, out.join("report.json")).unwrap();
    std::os::unix::fs::symlink(&victim, out.join(".links.json.tmp")).unwrap();
    let o = convert_sample(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(out.join("report.json"))
        .unwrap()
        .is_file());
    assert!(std::fs::symlink_metadata(out.join("links.json"))
        .unwrap()
        .is_file());
}

#[test]
fn convert_removes_only_its_own_names_and_never_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("users-notes.json"), "mine").unwrap();
    std::fs::write(out.join("users-0042.json"), "stale").unwrap();
    let o = convert_sample(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let left = names(&out);
    assert!(left.contains(&"users-notes.json".to_owned()));
    assert!(!left.contains(&"users-0042.json".to_owned()));
    // An input named like an output, inside the output folder: refused, untouched.
    let input = out.join("users-0007.json");
    std::fs::copy(fixture("sample-pool.json"), &input).unwrap();
    let o = convert_into(&out, &input);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("is in the output folder"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&input).unwrap(),
        std::fs::read(fixture("sample-pool.json")).unwrap()
    );
}
