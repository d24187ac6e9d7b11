//! Link API requests for federated users, from Cognito's `identities` attribute.
//!
//! `identities` is a JSON string: usually an array of `{userId, providerName, providerType,
//! issuer, primary, dateCreated}`, sometimes a single object, with `primary` and
//! `dateCreated` as booleans/numbers or as strings. Only `userId`, `providerName` and
//! `providerType` matter here, so the other fields may be anything.

use serde_json::Value;

use super::IdentityProviders;
use crate::cognito::CognitoUser;
use crate::finding::{shown_name, Code, Severity, UserFinding};
use crate::fusionauth::{IdentityProviderLink, ImportUser, LinkRequest};

/// The link requests of `user` from its Cognito `identities`, and a finding for each identity
/// that cannot become one.
pub(crate) fn user_links(
    u: &CognitoUser<'_>,
    user: &ImportUser<'_>,
    providers: &IdentityProviders,
) -> (Vec<LinkRequest>, Vec<UserFinding>) {
    let Some(identities) = u.attribute("identities") else {
        return (Vec::new(), Vec::new());
    };
    let id = user.id.as_deref().unwrap_or_default();
    // Shown in each link: a username as long as the file would be copied into every one.
    let display = user
        .email
        .as_deref()
        .or(user.username.as_deref())
        .map(shown_name);
    let display = display.as_deref();
    let (links, problems) = links_for(identities, id, display, providers);
    let findings = problems
        .into_iter()
        .map(|problem| {
            let (code, message) = match problem {
                LinkProblem::Invalid(why) => (Code::InvalidIdentities, format!("identities {why}; no link written")),
                LinkProblem::Unmapped { name, kind } => (
                    Code::UnmappedProvider,
                    format!("provider {name:?} (type {kind:?}) has no FusionAuth identity provider mapped; no link written"),
                ),
                LinkProblem::Unsupported { name } => (
                    Code::UnsupportedProvider,
                    format!("provider {name:?} is Login with Amazon, which FusionAuth does not support; no link written"),
                ),
            };
            UserFinding::new(Severity::Warning, code, "identities", message)
        })
        .collect();
    (links, findings)
}

/// Why an identity could not become a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LinkProblem {
    /// `identities` is not the JSON Cognito writes.
    Invalid(String),
    /// No FusionAuth identity provider is mapped for this Cognito provider.
    Unmapped {
        /// The pool's provider name.
        name: String,
        /// The Cognito provider type.
        kind: String,
    },
    /// Login with Amazon has no FusionAuth equivalent (and no mapping by name was given).
    Unsupported {
        /// The pool's provider name.
        name: String,
    },
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The link requests for one user, and the identities that could not be linked.
pub(super) fn links_for(
    identities: &str,
    user_id: &str,
    display_name: Option<&str>,
    providers: &IdentityProviders,
) -> (Vec<LinkRequest>, Vec<LinkProblem>) {
    let parsed: Value = match serde_json::from_str(identities) {
        Ok(v) => v,
        Err(e) => {
            return (
                Vec::new(),
                vec![LinkProblem::Invalid(format!("not valid JSON: {e}"))],
            )
        }
    };
    let items = match parsed {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => {
            return (
                Vec::new(),
                vec![LinkProblem::Invalid(
                    "expected an array of identities".into(),
                )],
            )
        }
    };
    let mut links = Vec::new();
    let mut problems = Vec::new();
    for item in &items {
        let (Some(provider_user), Some(name)) =
            (text(item.get("userId")), text(item.get("providerName")))
        else {
            problems.push(LinkProblem::Invalid(
                "an identity has no userId or providerName".into(),
            ));
            continue;
        };
        let kind = text(item.get("providerType")).unwrap_or_default();
        let id = providers
            .by_name
            .get(&name)
            .or_else(|| providers.by_type.get(&kind));
        match id {
            Some(id) => links.push(LinkRequest {
                identity_provider_link: IdentityProviderLink {
                    display_name: display_name.map(str::to_owned),
                    identity_provider_id: id.clone(),
                    identity_provider_user_id: provider_user,
                    user_id: user_id.to_owned(),
                },
            }),
            None if kind == "LoginWithAmazon" => problems.push(LinkProblem::Unsupported { name }),
            None => problems.push(LinkProblem::Unmapped { name, kind }),
        }
    }
    (links, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLE: &str = r#"[{"userId":"a1b2c3d4-5678-90ab-cdef-EXAMPLE22222","providerName":"SignInWithApple","providerType":"SignInWithApple","issuer":null,"primary":false,"dateCreated":1701125599632}]"#;

    #[test]
    fn built_in_provider_links() {
        let (links, problems) =
            links_for(APPLE, "u-1", Some("a@x.io"), &IdentityProviders::default());
        assert!(problems.is_empty());
        let link = &links[0].identity_provider_link;
        assert_eq!(
            link.identity_provider_id,
            "13d2a5db-7ef9-4d62-b909-0df58612e775"
        );
        assert_eq!(
            link.identity_provider_user_id,
            "a1b2c3d4-5678-90ab-cdef-EXAMPLE22222"
        );
        assert_eq!(link.user_id, "u-1");
    }

    #[test]
    fn string_typed_fields_single_objects_and_name_mappings() {
        let one = r#"{"userId":1182023756418122,"providerName":"Azure","providerType":"OIDC","primary":"false","dateCreated":"1762526839478"}"#;
        let (links, problems) = links_for(one, "u", None, &IdentityProviders::default());
        assert!(links.is_empty());
        assert_eq!(
            problems,
            vec![LinkProblem::Unmapped {
                name: "Azure".into(),
                kind: "OIDC".into()
            }]
        );
        let mut providers = IdentityProviders::default();
        providers.by_name.insert(
            "Azure".into(),
            "00000000-0000-0000-0000-000000000001".into(),
        );
        let (links, _) = links_for(one, "u", None, &providers);
        assert_eq!(
            links[0].identity_provider_link.identity_provider_user_id,
            "1182023756418122"
        );
    }

    #[test]
    fn amazon_and_garbage() {
        let amazon = r#"[{"userId":"amzn1.account.X","providerName":"LoginWithAmazon","providerType":"LoginWithAmazon"}]"#;
        let (_, problems) = links_for(amazon, "u", None, &IdentityProviders::default());
        assert_eq!(
            problems,
            vec![LinkProblem::Unsupported {
                name: "LoginWithAmazon".into()
            }]
        );
        assert!(matches!(
            links_for("{", "u", None, &IdentityProviders::default()).1[0],
            LinkProblem::Invalid(_)
        ));
        assert!(matches!(
            links_for("[{}]", "u", None, &IdentityProviders::default()).1[0],
            LinkProblem::Invalid(_)
        ));
        assert!(matches!(
            links_for("7", "u", None, &IdentityProviders::default()).1[0],
            LinkProblem::Invalid(_)
        ));
    }
}
