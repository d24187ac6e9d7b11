//! Checks of one user that do not come from a rule: status, password reset, federated
//! identities.

use serde::{Deserialize, Serialize};

use crate::cognito::{CognitoUser, Scalar};
use crate::fusionauth::{links_for, LinkProblem};
use crate::report::{Code, Severity};
use crate::rules::{MappedUser, Settings};

/// A finding about one user, before the file and index are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFinding {
    /// How serious it is.
    pub severity: Severity,
    /// What it is about.
    pub code: Code,
    /// The Cognito attribute or field concerned.
    pub field: String,
    /// What happened.
    pub message: String,
}

impl UserFinding {
    pub(crate) fn new(
        severity: Severity,
        code: Code,
        field: &str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity,
            code,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Adds status, password-reset and identity findings and the user's link requests to `out`.
pub(crate) fn check_user(u: &CognitoUser<'_>, settings: &Settings, out: &mut MappedUser<'_>) {
    let findings = &mut out.findings;
    let status = match &u.status {
        Some(Scalar::Text(s)) => s.as_ref(),
        _ => "",
    };
    match status {
        "UNCONFIRMED" => findings.push(UserFinding::new(
            Severity::Warning,
            Code::Unconfirmed,
            "UserStatus",
            "never confirmed in Cognito; imported unverified",
        )),
        "RESET_REQUIRED" | "FORCE_CHANGE_PASSWORD" => findings.push(UserFinding::new(
            Severity::Info,
            Code::ResetRequired,
            "UserStatus",
            format!("{status} in Cognito; the password reset after import covers it"),
        )),
        _ => {}
    }
    let disabled = out.user.active == Some(false);
    if disabled {
        findings.push(UserFinding::new(
            Severity::Info,
            Code::Disabled,
            "Enabled",
            "disabled in Cognito; imported inactive",
        ));
    }
    out.password_reset = if status == "EXTERNAL_PROVIDER" {
        findings.push(UserFinding::new(
            Severity::Info,
            Code::NoPasswordReset,
            "UserStatus",
            "federated-only (EXTERNAL_PROVIDER): no password to reset, so not in login-ids.txt \
             and no reset email; the identity-provider link signs the user in",
        ));
        false
    } else if disabled && !settings.reset_disabled_users {
        findings.push(UserFinding::new(
            Severity::Info,
            Code::NoPasswordReset,
            "Enabled",
            "disabled: not in login-ids.txt and no reset email (settings.resetDisabledUsers lists disabled users)",
        ));
        false
    } else {
        true
    };
    let Some(identities) = u.attribute("identities") else {
        return;
    };
    let id = out.user.id.as_deref().unwrap_or_default();
    let display = out.user.email.as_deref().or(out.user.username.as_deref());
    let (links, problems) = links_for(identities, id, display, &settings.identity_providers);
    out.links = links;
    for problem in problems {
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
        out.findings.push(UserFinding::new(
            Severity::Warning,
            code,
            "identities",
            message,
        ));
    }
}
