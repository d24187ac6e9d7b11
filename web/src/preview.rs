//! The preview's content: one Cognito record mapped with the current rules.

use cognito_fusionauth::validate::UserFinding;
use cognito_fusionauth::{preview, read_export, Rules};

/// What the preview panes show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The Cognito record, pretty JSON.
    pub cognito: String,
    /// The FusionAuth user it becomes, pretty JSON.
    pub fusionauth: String,
    /// The Link API requests, pretty JSON (empty when there are none).
    pub links: String,
    /// Findings about this user alone.
    pub findings: Vec<UserFinding>,
}

/// Maps `record` (one user's JSON, as the worker sends it) with `rules`.
///
/// # Errors
/// When the rules do not compile or the record does not read, with the reason.
pub fn show(rules: &Rules, record: &str) -> Result<Shown, String> {
    let mapper = rules.compile().map_err(|e| e.to_string())?;
    let mut shown = None;
    read_export("preview", 0, record.as_bytes(), &mut |user, _| {
        shown.get_or_insert_with(|| preview(&mapper, &user));
    })
    .map_err(|e| e.to_string())?;
    let p = shown.ok_or("the record holds no user")?;
    Ok(Shown {
        cognito: pretty(&p.cognito),
        fusionauth: pretty(&p.user),
        links: if p.links.is_empty() {
            String::new()
        } else {
            pretty(&p.links)
        },
        findings: p.findings,
    })
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    // Serializing JSON values and plain structs cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"{"Username":"jane","Attributes":[{"Name":"email","Value":"jane@example.com"},
        {"Name":"identities","Value":"[{\"providerName\":\"Google\",\"providerType\":\"Google\",\"userId\":\"1\",\"primary\":true}]"},
        {"Name":"birthdate","Value":"0000-05-17"}]}"#;

    #[test]
    fn a_record_shows_its_fusionauth_user_links_and_findings() {
        let shown = show(&Rules::defaults(), RECORD).unwrap();
        assert!(shown.cognito.contains("\"Username\": \"jane\""));
        assert!(shown.fusionauth.contains("\"email\": \"jane@example.com\""));
        assert!(
            shown.links.contains("82339786-3dff-42a6-aac6-1f1ceecb6c46"),
            "{}",
            shown.links
        );
        assert!(shown.findings.iter().any(|f| f.field == "birthdate"));
    }

    #[test]
    fn bad_rules_say_why() {
        let mut rules = Rules::defaults();
        rules.attributes[0].target = "nowhere".into();
        let error = show(&rules, RECORD).unwrap_err();
        assert!(error.contains("nowhere"), "{error}");
    }
}
