//! Writing FusionAuth files: import chunks, login ids, link requests and the report.

use serde::Serialize;

use super::password::{placeholder_fields, scheme_fields, RandomSource};
use crate::fusionauth::{ascii_json, UserRegistration};
use crate::packed_user::PackedUser;
use crate::report::Report;
use crate::rules::Settings;

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The file name (`users-0001.json`, `report.json`, ...).
    pub name: String,
    /// The file's bytes (UTF-8).
    pub content: Vec<u8>,
}

/// About the length of the placeholder password fields, to size each file's buffer once.
const PASSWORD_FIELDS_LEN: usize = 150;

/// What every bulk user gets when its file is written rather than when it is mapped: the
/// run-wide fields (`tenantId`, `registrations`), which are the same for all users and so are
/// not stored a hundred thousand times, and the placeholder password.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    /// `"tenantId":…,"registrations":[…]`, or nothing.
    shared: Vec<u8>,
    /// The placeholder password's scheme and factor, from [`scheme_fields`].
    scheme: Vec<u8>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shared<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    registrations: Vec<UserRegistration>,
}

impl Completion {
    pub(crate) fn new(settings: &Settings) -> Self {
        let shared = Shared {
            tenant_id: settings.tenant_id.as_deref(),
            registrations: settings.user_registrations(),
        };
        // Serializing strings cannot fail.
        let json = ascii_json(serde_json::to_vec(&shared).unwrap_or_default());
        let inner = json
            .get(1..json.len().saturating_sub(1))
            .unwrap_or_default();
        Self {
            shared: inner.to_vec(),
            scheme: scheme_fields(&settings.password),
        }
    }

    /// A user's stored JSON with the run-wide fields, without a password, as a JSON value
    /// (for previews and tests).
    pub(crate) fn to_value(&self, json: &[u8]) -> serde_json::Value {
        let mut out = Vec::with_capacity(json.len() + self.shared.len() + 2);
        self.write(json, None, &mut out);
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
    }

    /// Writes a user's stored JSON with the run-wide fields and, given `random`, a
    /// placeholder password added.
    pub(crate) fn write(
        &self,
        json: &[u8],
        random: Option<&mut dyn RandomSource>,
        out: &mut Vec<u8>,
    ) {
        let body = json.strip_suffix(b"}").unwrap_or(json);
        out.extend_from_slice(body);
        // Only "{" so far: the next field needs no comma.
        let mut bare = body.len() <= 1;
        if !self.shared.is_empty() {
            if !bare {
                out.push(b',');
            }
            out.extend_from_slice(&self.shared);
            bare = false;
        }
        if let Some(random) = random {
            if !bare {
                out.push(b',');
            }
            placeholder_fields(&self.scheme, random, out);
        }
        out.push(b'}');
    }
}

/// The name of import chunk `n` (from 1).
pub(super) fn chunk_name(n: usize) -> String {
    format!("users-{n:04}.json")
}

/// Import chunks first, then `login-ids.txt`, `links.json` and `report.json`. Nothing but the
/// report when the report says output is blocked. Files are built as the iterator is driven.
pub(crate) fn write_outputs<'r>(
    kept: &'r [PackedUser],
    chunk_size: usize,
    report: &'r Report,
    completion: &'r Completion,
    random: &'r mut dyn RandomSource,
) -> impl Iterator<Item = OutputFile> + 'r {
    let blocked = report.summary.blocked;
    let chunks = kept
        .chunks(chunk_size.max(1))
        .enumerate()
        .filter(move |_| !blocked)
        .map(move |(i, chunk)| OutputFile {
            name: chunk_name(i + 1),
            content: import_request(chunk, completion, random),
        });
    let rest = (!blocked)
        .then(|| [login_ids(kept), links(kept)])
        .into_iter()
        .flatten();
    let report_file = std::iter::once_with(move || OutputFile {
        name: "report.json".into(),
        content: pretty(report),
    });
    chunks.chain(rest).chain(report_file)
}

/// `{"users":[...]}` from the users' stored JSON, without re-serializing them, each with its
/// placeholder password.
fn import_request(
    chunk: &[PackedUser],
    completion: &Completion,
    random: &mut dyn RandomSource,
) -> Vec<u8> {
    let size: usize = chunk
        .iter()
        .map(|r| r.json().len() + completion.shared.len() + PASSWORD_FIELDS_LEN)
        .sum();
    let mut out = Vec::with_capacity(size + 16);
    out.extend_from_slice(b"{\"users\":[");
    for (i, r) in chunk.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        completion.write(r.json(), Some(&mut *random), &mut out);
    }
    out.extend_from_slice(b"]}\n");
    out
}

fn login_ids(kept: &[PackedUser]) -> OutputFile {
    let mut content = String::new();
    for id in kept.iter().filter_map(PackedUser::reset_login_id) {
        content.push_str(id);
        content.push('\n');
    }
    OutputFile {
        name: "login-ids.txt".into(),
        content: content.into_bytes(),
    }
}

fn links(kept: &[PackedUser]) -> OutputFile {
    let all: Vec<_> = kept.iter().flat_map(PackedUser::links).collect();
    OutputFile {
        name: "links.json".into(),
        content: pretty(&all),
    }
}

pub(super) fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Serializing reports and links (strings, numbers, maps with string keys) cannot fail.
    let mut out = ascii_json(serde_json::to_vec_pretty(value).unwrap_or_default());
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine;
    use serde_json::Value;

    use super::*;
    use crate::cognito::{CognitoUser, Scalar};
    use crate::rules::{Registration, Rules};
    use crate::validate::user::checked;

    const TENANT: &str = "30663132-6464-6665-3032-326466613934";
    const APP: &str = "85a03867-dccf-4882-adde-1a79aeec50df";

    fn cognito(username: &str, attributes: &[(&str, &str)]) -> CognitoUser<'static> {
        CognitoUser::with_attributes(username, attributes)
    }

    fn packed(index: u64, cognito: &CognitoUser<'_>) -> PackedUser {
        let mapper = Rules::defaults().compile().unwrap();
        let mapped = checked(&mapper, cognito);
        PackedUser::new(0, index, cognito, mapped, &mut Vec::new())
    }

    /// Users `u0`… with emails `u0@example.com`….
    fn users(n: u64) -> Vec<PackedUser> {
        (0..n)
            .map(|i| {
                let email = format!("u{i}@example.com");
                packed(i, &cognito(&format!("u{i}"), &[("email", &email)]))
            })
            .collect()
    }

    /// 0, 1, 2, … (wrapping), one byte after the other over all calls.
    fn counter() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |buf: &mut [u8]| {
            for b in buf {
                *b = n;
                n = n.wrapping_add(1);
            }
        }
    }

    fn write(kept: &[PackedUser], chunk_size: usize, report: &Report) -> Vec<OutputFile> {
        let completion = Completion::new(&Settings::default());
        let mut random = counter();
        write_outputs(kept, chunk_size, report, &completion, &mut random).collect()
    }

    fn names(files: &[OutputFile]) -> Vec<&str> {
        files.iter().map(|f| f.name.as_str()).collect()
    }

    fn json(file: &OutputFile) -> Value {
        serde_json::from_slice(&file.content).unwrap()
    }

    fn file<'f>(files: &'f [OutputFile], name: &str) -> &'f OutputFile {
        files.iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn users_are_written_in_chunks_of_the_chunk_size_then_the_other_files() {
        let kept = users(5);
        let files = write(&kept, 2, &Report::default());
        assert_eq!(
            names(&files),
            [
                "users-0001.json",
                "users-0002.json",
                "users-0003.json",
                "login-ids.txt",
                "links.json",
                "report.json"
            ]
        );
        let emails: Vec<Vec<String>> = files[..3]
            .iter()
            .map(|f| {
                let request = json(f);
                assert_eq!(request.as_object().unwrap().len(), 1, "only `users`");
                request["users"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["email"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect();
        assert_eq!(
            emails,
            [
                vec!["u0@example.com", "u1@example.com"],
                vec!["u2@example.com", "u3@example.com"],
                vec!["u4@example.com"]
            ]
        );
        // One chunk when they all fit, and no chunk at all without users.
        assert_eq!(
            names(&write(&kept, 5, &Report::default()))[..2],
            ["users-0001.json", "login-ids.txt"]
        );
        assert_eq!(
            names(&write(&[], 5, &Report::default())),
            ["login-ids.txt", "links.json", "report.json"]
        );
    }

    #[test]
    fn each_user_gets_its_own_placeholder_password_and_the_run_wide_fields() {
        let settings = Settings {
            tenant_id: Some(TENANT.into()),
            registrations: vec![Registration {
                application_id: APP.into(),
                roles: vec!["user".into()],
            }],
            password: crate::rules::PasswordScheme {
                encryption_scheme: "bcrypt".into(),
                factor: 10,
            },
            ..Settings::default()
        };
        let completion = Completion::new(&settings);
        let kept = users(2);
        let report = Report::default();
        let mut random = counter();
        let files: Vec<OutputFile> =
            write_outputs(&kept, 10, &report, &completion, &mut random).collect();
        let request = json(&files[0]);
        let written = request["users"].as_array().unwrap();
        for (i, u) in written.iter().enumerate() {
            // 48 bytes a user: 32 for the password, then 16 for the salt.
            let from = 48 * i as u8;
            let password = BASE64.decode(u["password"].as_str().unwrap()).unwrap();
            let salt = BASE64.decode(u["salt"].as_str().unwrap()).unwrap();
            assert_eq!(password, (from..from + 32).collect::<Vec<u8>>());
            assert_eq!(salt, (from + 32..from + 48).collect::<Vec<u8>>());
            assert_eq!(u["encryptionScheme"], "bcrypt");
            assert_eq!(u["factor"], 10);
            assert_eq!(u["tenantId"], TENANT);
            assert_eq!(
                u["registrations"],
                serde_json::json!([{"applicationId": APP, "roles": ["user"]}])
            );
            assert_eq!(u["email"], format!("u{i}@example.com"));
        }
        // The stored users keep no password.
        assert!(kept
            .iter()
            .all(|r| !String::from_utf8_lossy(r.json()).contains("password")));
    }

    #[test]
    fn login_ids_list_only_the_users_who_can_reset_a_password() {
        let mut disabled = cognito("bob", &[("email", "bob@example.com")]);
        disabled.enabled = Some(Scalar::Bool(false));
        let mut federated = cognito("cid", &[("email", "cid@example.com")]);
        federated.status = Some(Scalar::Text("EXTERNAL_PROVIDER".into()));
        let kept = [
            packed(0, &cognito("ann", &[("email", "Ann@Example.com")])),
            packed(1, &disabled),
            packed(2, &federated),
            // No email: the username is the login id.
            packed(3, &cognito("dan", &[])),
        ];
        assert_eq!(kept[1].reset_login_id(), None);
        assert_eq!(kept[2].reset_login_id(), None);
        let files = write(&kept, 10, &Report::default());
        assert_eq!(
            String::from_utf8(file(&files, "login-ids.txt").content.clone()).unwrap(),
            "ann@example.com\ndan\n"
        );
        // Every kept user is imported all the same.
        assert_eq!(json(&files[0])["users"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn links_json_holds_every_link_request_of_the_kept_users() {
        let identities = r#"[{"userId":"g-1","providerName":"Google","providerType":"Google"}]"#;
        let sub = "4320de44-2322-4620-999b-5e2e1c8df013";
        let kept = [
            packed(0, &cognito("ann", &[("email", "ann@example.com")])),
            packed(
                1,
                &cognito(
                    "bob",
                    &[
                        ("sub", sub),
                        ("email", "bob@example.com"),
                        ("identities", identities),
                    ],
                ),
            ),
        ];
        let files = write(&kept, 10, &Report::default());
        let links = json(file(&files, "links.json"));
        assert_eq!(
            links,
            serde_json::json!([{"identityProviderLink": {
                "displayName": "bob@example.com",
                "identityProviderId": "82339786-3dff-42a6-aac6-1f1ceecb6c46",
                "identityProviderUserId": "g-1",
                "userId": sub
            }}])
        );
        let none = write(&kept[..1], 10, &Report::default());
        assert_eq!(file(&none, "links.json").content, b"[]\n");
    }

    #[test]
    fn report_json_comes_last_and_reads_back_as_the_report() {
        let mut report = Report::default();
        report.summary.users_read = 2;
        report.summary.imported = 2;
        let files = write(&users(2), 1, &report);
        let last = files.last().unwrap();
        assert_eq!(last.name, "report.json");
        assert!(last.content.ends_with(b"}\n"));
        let read: Report = serde_json::from_slice(&last.content).unwrap();
        assert_eq!(read, report);
    }

    #[test]
    fn a_blocked_report_is_the_only_file_and_no_password_is_drawn() {
        let mut report = Report::default();
        report.summary.blocked = true;
        report.summary.blocked_reason = Some("1 duplicate-email".into());
        let kept = users(3);
        let completion = Completion::new(&Settings::default());
        let mut draws = 0;
        let mut random = |buf: &mut [u8]| {
            draws += 1;
            buf.fill(0);
        };
        let files: Vec<OutputFile> =
            write_outputs(&kept, 1, &report, &completion, &mut random).collect();
        assert_eq!(names(&files), ["report.json"]);
        assert_eq!(json(&files[0])["summary"]["blocked"], true);
        assert_eq!(draws, 0);
    }
}
