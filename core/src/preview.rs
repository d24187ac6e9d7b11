//! One user, mapped on its own: what the console shows beside the Cognito record.

use serde::Serialize;
use serde_json::Value;

use crate::cognito::CognitoUser;
use crate::finding::UserFinding;
use crate::fusionauth::{write_user, LinkRequest};
use crate::output::Completion;
use crate::rules::Mapper;
use crate::validate::user::checked;

/// A user as the bulk conversion would write it, before the checks across users.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The Cognito user, as a `UserType` object.
    pub cognito: Value,
    /// The FusionAuth user with the run-wide `tenantId` and `registrations`, without the
    /// placeholder password (which is random and only made when files are written).
    pub user: Value,
    /// Findings about this user alone (duplicates need the whole pool).
    pub findings: Vec<UserFinding>,
    /// The Link API requests for the user's federated identities.
    pub links: Vec<LinkRequest>,
}

/// Maps one user with `mapper` for a preview.
///
/// # Example
/// ```
/// use cognito_fusionauth::{preview, read_export, Rules};
///
/// let export = br#"{"Username": "jane", "Attributes": [{"Name": "email", "Value": " Jane@Example.com"}]}"#;
/// let mapper = Rules::defaults().compile()?;
/// let mut shown = None;
/// read_export("user.json", 0, export, &mut |user, _| shown = Some(preview(&mapper, &user)))?;
/// let shown = shown.unwrap();
/// assert_eq!(shown.user["email"], "Jane@Example.com");
/// assert_eq!(shown.cognito["Username"], "jane");
/// # Ok::<(), cognito_fusionauth::Error>(())
/// ```
pub fn preview(mapper: &Mapper, user: &CognitoUser<'_>) -> Preview {
    let mapped = checked(mapper, user);
    let mut stored = Vec::new();
    write_user(&mapped.user, &mut stored);
    Preview {
        cognito: serde_json::to_value(user).unwrap_or(Value::Null),
        user: Completion::new(&mapper.rules().settings).to_value(&stored),
        findings: mapped.findings,
        links: mapped.links,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{read_export, Rules};

    fn shown(rules: &Rules, export: &[u8]) -> Preview {
        let mapper = rules.compile().unwrap();
        let mut out = None;
        read_export("t", 0, export, &mut |u, _| out = Some(preview(&mapper, &u))).unwrap();
        out.unwrap()
    }

    const USER: &[u8] = br#"{"Username":"jane","UserStatus":"RESET_REQUIRED",
        "Attributes":[{"Name":"sub","Value":"4320de44-2322-4620-999b-5e2e1c8df013"},
                      {"Name":"email","Value":"jane@example.com"},{"Name":"website","Value":"x"}]}"#;

    #[test]
    fn the_preview_carries_run_wide_fields_but_no_password() {
        let mut rules = Rules::defaults();
        rules.settings.tenant_id = Some("9b4f1d4e-6d3c-4a5b-8f1e-2f0a6b7c8d9e".into());
        let p = shown(&rules, USER);
        assert_eq!(p.user["tenantId"], "9b4f1d4e-6d3c-4a5b-8f1e-2f0a6b7c8d9e");
        assert_eq!(p.user["id"], "4320de44-2322-4620-999b-5e2e1c8df013");
        assert!(p.user.get("password").is_none());
        assert_eq!(p.user["data"]["website"], "x");
        assert!(p
            .findings
            .iter()
            .any(|f| f.code == crate::Code::ResetRequired));
    }

    #[test]
    fn the_preview_follows_the_rules() {
        let mut rules = Rules::defaults();
        let email = rules
            .attributes
            .iter_mut()
            .find(|r| r.target == "email")
            .unwrap();
        email.target = "data.contact".into();
        let p = shown(&rules, USER);
        assert!(p.user.get("email").is_none());
        assert_eq!(p.user["data"]["contact"], "jane@example.com");
    }
}
