//! Checks of one user that do not come from a rule: status, password reset, federated
//! identities.

use crate::cognito::{CognitoUser, Scalar};
use crate::finding::{Code, Severity, UserFinding};
use crate::fusionauth::ImportUser;
use crate::rules::{MappedUser, Mapper, Settings};

/// Maps `u` with `mapper`, then adds what [`check_user`] finds.
pub(crate) fn checked<'x>(mapper: &'x Mapper, u: &'x CognitoUser<'_>) -> MappedUser<'x> {
    let mut mapped = mapper.map(u);
    let (findings, password_reset) = check_user(u, &mapped.user, &mapper.rules().settings);
    mapped.findings.extend(findings);
    mapped.password_reset = password_reset;
    mapped
}

/// The status and password-reset findings of `u`, mapped to `user`, and whether the user
/// can use a password reset (is listed in `login-ids.txt`): not federated-only, not disabled
/// (unless `settings.resetDisabledUsers`).
pub(crate) fn check_user(
    u: &CognitoUser<'_>,
    user: &ImportUser<'_>,
    settings: &Settings,
) -> (Vec<UserFinding>, bool) {
    let mut findings = Vec::new();
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
    let disabled = user.active == Some(false);
    if disabled {
        findings.push(UserFinding::new(
            Severity::Info,
            Code::Disabled,
            "Enabled",
            "disabled in Cognito; imported inactive",
        ));
    }
    let password_reset = if status == "EXTERNAL_PROVIDER" {
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
    (findings, password_reset)
}
