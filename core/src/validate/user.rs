//! Checks of one user that do not come from a rule: status and password reset.

use crate::cognito::{CognitoUser, Scalar};
use crate::finding::{Code, Severity, UserFinding};
use crate::fusionauth::ImportUser;
use crate::rules::{MappedUser, Mapper, Settings};

/// Maps `u` with `mapper`, then adds what [`check_user`] finds — before the findings about
/// MFA and federated identities, which the mapper adds last, so that a user's findings keep
/// the order reports have always had: values, status, MFA, identities.
pub(crate) fn checked<'x>(mapper: &'x Mapper, u: &'x CognitoUser<'_>) -> MappedUser<'x> {
    let mut mapped = mapper.map(u);
    let (findings, password_reset) = check_user(u, &mapped.user, &mapper.rules().settings);
    let last = |f: &UserFinding| {
        matches!(
            f.code,
            Code::MfaNotCarried
                | Code::InvalidIdentities
                | Code::UnmappedProvider
                | Code::UnsupportedProvider
        )
    };
    let at = mapped.findings.len() - mapped.findings.iter().rev().take_while(|f| last(f)).count();
    mapped.findings.splice(at..at, findings);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn with_status(status: &str) -> CognitoUser<'static> {
        CognitoUser {
            username: "ann".into(),
            status: Some(Scalar::Text(status.to_owned().into())),
            ..CognitoUser::default()
        }
    }

    fn active(active: bool) -> ImportUser<'static> {
        ImportUser {
            active: Some(active),
            ..ImportUser::default()
        }
    }

    fn codes(findings: &[UserFinding]) -> Vec<(Severity, Code, &str)> {
        findings
            .iter()
            .map(|f| (f.severity, f.code, f.field.as_str()))
            .collect()
    }

    #[test]
    fn a_confirmed_active_user_has_no_findings_and_gets_a_reset() {
        let (findings, reset) = check_user(
            &with_status("CONFIRMED"),
            &active(true),
            &Settings::default(),
        );
        assert!(findings.is_empty(), "{findings:?}");
        assert!(reset);
    }

    #[test]
    fn unconfirmed_is_a_warning_and_still_gets_a_reset() {
        let (findings, reset) = check_user(
            &with_status("UNCONFIRMED"),
            &active(true),
            &Settings::default(),
        );
        assert_eq!(
            codes(&findings),
            [(Severity::Warning, Code::Unconfirmed, "UserStatus")]
        );
        assert!(reset);
    }

    #[test]
    fn reset_required_and_force_change_password_are_covered_by_the_reset() {
        for status in ["RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"] {
            let (findings, reset) =
                check_user(&with_status(status), &active(true), &Settings::default());
            assert_eq!(
                codes(&findings),
                [(Severity::Info, Code::ResetRequired, "UserStatus")]
            );
            assert!(findings[0].message.starts_with(status));
            assert!(reset);
        }
    }

    #[test]
    fn a_disabled_user_is_left_out_of_the_resets_unless_the_settings_list_it() {
        let u = with_status("CONFIRMED");
        let (findings, reset) = check_user(&u, &active(false), &Settings::default());
        assert_eq!(
            codes(&findings),
            [
                (Severity::Info, Code::Disabled, "Enabled"),
                (Severity::Info, Code::NoPasswordReset, "Enabled")
            ]
        );
        assert!(!reset);

        let settings = Settings {
            reset_disabled_users: true,
            ..Settings::default()
        };
        let (findings, reset) = check_user(&u, &active(false), &settings);
        assert_eq!(
            codes(&findings),
            [(Severity::Info, Code::Disabled, "Enabled")]
        );
        assert!(reset);
    }

    #[test]
    fn a_federated_only_user_has_no_password_to_reset() {
        let settings = Settings {
            reset_disabled_users: true,
            ..Settings::default()
        };
        for settings in [Settings::default(), settings] {
            let (findings, reset) =
                check_user(&with_status("EXTERNAL_PROVIDER"), &active(true), &settings);
            assert_eq!(
                codes(&findings),
                [(Severity::Info, Code::NoPasswordReset, "UserStatus")]
            );
            assert!(!reset);
        }
        // Disabled as well: one no-password-reset finding, for being federated-only.
        let (findings, reset) = check_user(
            &with_status("EXTERNAL_PROVIDER"),
            &active(false),
            &Settings::default(),
        );
        assert_eq!(
            codes(&findings),
            [
                (Severity::Info, Code::Disabled, "Enabled"),
                (Severity::Info, Code::NoPasswordReset, "UserStatus")
            ]
        );
        assert!(!reset);
    }

    #[test]
    fn a_status_that_is_not_text_is_no_status() {
        let mut u = with_status("");
        u.status = Some(Scalar::Number(1.0));
        let (findings, reset) = check_user(&u, &ImportUser::default(), &Settings::default());
        assert!(findings.is_empty(), "{findings:?}");
        assert!(reset);
    }

    #[test]
    fn checked_maps_then_adds_the_checks_and_the_reset_flag() {
        let mapper = Rules::defaults().compile().unwrap();
        let mut u = with_status("UNCONFIRMED");
        u.enabled = Some(Scalar::Text("false".into()));
        u.attributes = vec![("email".into(), "ann@example.com".into())];
        let mapped = checked(&mapper, &u);
        assert_eq!(mapped.user.active, Some(false));
        assert!(!mapped.password_reset);
        // The mapper's own findings (no UUID sub) come first, then the checks'.
        let found: Vec<Code> = mapped.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            found,
            [
                Code::InvalidId,
                Code::Unconfirmed,
                Code::Disabled,
                Code::NoPasswordReset
            ]
        );

        let mut rules = Rules::defaults();
        rules.settings.reset_disabled_users = true;
        let mapper = rules.compile().unwrap();
        assert!(checked(&mapper, &u).password_reset);

        // MFA and identity findings stay last, after the status ones.
        u.add_mfa("SOFTWARE_TOKEN_MFA".into());
        u.attributes.push(("identities".into(), "not json".into()));
        let found: Vec<Code> = checked(&mapper, &u)
            .findings
            .iter()
            .map(|f| f.code)
            .collect();
        assert_eq!(
            found,
            [
                Code::InvalidId,
                Code::Unconfirmed,
                Code::Disabled,
                Code::MfaNotCarried,
                Code::InvalidIdentities
            ]
        );
    }
}
