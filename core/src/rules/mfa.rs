//! Carrying Cognito MFA into FusionAuth (`settings.carryMfa`): SMS MFA to the verified
//! `phone_number`, email MFA (`EMAIL_OTP`) to the verified email. An authenticator app
//! (`SOFTWARE_TOKEN_MFA`) never is: Cognito does not export its secret.

use crate::cognito::CognitoUser;
use crate::finding::{Code, Severity, UserFinding};
use crate::fusionauth::{ImportUser, TwoFactor, TwoFactorMethod};

/// Sets `user.twoFactor` from the user's Cognito MFA methods when `carry`; returns the
/// finding for the methods not carried, each with its reason.
pub(crate) fn carry_mfa(
    u: &CognitoUser<'_>,
    carry: bool,
    user: &mut ImportUser<'_>,
) -> Option<UserFinding> {
    if u.mfa.is_empty() {
        return None;
    }
    if !carry {
        return Some(UserFinding::new(
            Severity::Warning,
            Code::MfaNotCarried,
            "MFA",
            format!(
                "MFA ({}) is not carried (settings.carryMfa is off); the user enrols again in FusionAuth",
                u.mfa.join(", ")
            ),
        ));
    }
    let mut methods = Vec::new();
    let mut left = Vec::new();
    for method in &u.mfa {
        let carried = match method.as_ref() {
            "SMS_MFA" => verified(u, "phone_number").map(|phone| TwoFactorMethod::Sms {
                mobile_phone: phone.to_owned(),
            }),
            "EMAIL_OTP" => verified(u, "email").map(|email| TwoFactorMethod::Email {
                email: email.to_owned(),
            }),
            "SOFTWARE_TOKEN_MFA" => Err(
                "an authenticator app, whose secret Cognito never exports: the user enrols it again"
                    .to_owned(),
            ),
            other => Err(format!("{other} is not an MFA method FusionAuth takes")),
        };
        match carried {
            Ok(m) if !methods.contains(&m) => methods.push(m),
            Ok(_) => {}
            Err(why) => left.push(format!("{method}: {why}")),
        }
    }
    if !methods.is_empty() {
        user.two_factor = Some(TwoFactor { methods });
    }
    (!left.is_empty()).then(|| {
        UserFinding::new(
            Severity::Warning,
            Code::MfaNotCarried,
            "MFA",
            format!("not carried: {}", left.join("; ")),
        )
    })
}

/// The attribute `name` when Cognito verified it (`{name}_verified` is `true`).
fn verified<'u>(u: &'u CognitoUser<'_>, name: &str) -> Result<&'u str, String> {
    let value = u
        .attribute(name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("the user has no {name}"))?;
    match u.attribute(&format!("{name}_verified")) {
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(value.trim()),
        _ => Err(format!("{name} is not verified in Cognito")),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn user(
        mfa: &[&'static str],
        attributes: &[(&'static str, &'static str)],
    ) -> CognitoUser<'static> {
        let mut u = CognitoUser::default();
        for (n, v) in attributes {
            u.attributes.push((Cow::Borrowed(n), Cow::Borrowed(v)));
        }
        for m in mfa {
            u.add_mfa(Cow::Borrowed(m));
        }
        u
    }

    const VERIFIED: [(&str, &str); 4] = [
        ("phone_number", "+15555550100"),
        ("phone_number_verified", "true"),
        ("email", "ann@example.com"),
        ("email_verified", "true"),
    ];

    #[test]
    fn sms_and_email_are_carried_to_verified_contacts_and_totp_is_reported() {
        let u = user(&["SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA"], &VERIFIED);
        let mut out = ImportUser::default();
        let finding = carry_mfa(&u, true, &mut out).unwrap();
        assert_eq!(
            out.two_factor.unwrap().methods,
            [
                TwoFactorMethod::Sms {
                    mobile_phone: "+15555550100".into()
                },
                TwoFactorMethod::Email {
                    email: "ann@example.com".into()
                }
            ]
        );
        assert_eq!(finding.code, Code::MfaNotCarried);
        assert!(finding
            .message
            .contains("SOFTWARE_TOKEN_MFA: an authenticator app"));
        assert!(!finding.message.contains("SMS_MFA"));
    }

    #[test]
    fn an_unverified_or_missing_contact_is_not_carried_and_says_why() {
        let u = user(
            &["SMS_MFA", "EMAIL_OTP"],
            &[
                ("phone_number", "+15555550100"),
                ("phone_number_verified", "false"),
            ],
        );
        let mut out = ImportUser::default();
        let finding = carry_mfa(&u, true, &mut out).unwrap();
        assert_eq!(out.two_factor, None);
        assert!(
            finding
                .message
                .contains("SMS_MFA: phone_number is not verified"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("EMAIL_OTP: the user has no email"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn off_by_default_nothing_is_carried_and_every_method_is_named() {
        let u = user(&["SMS_MFA"], &VERIFIED);
        let mut out = ImportUser::default();
        let finding = carry_mfa(&u, false, &mut out).unwrap();
        assert_eq!(out.two_factor, None);
        assert!(finding.message.contains("SMS_MFA") && finding.message.contains("carryMfa"));
        assert_eq!(carry_mfa(&user(&[], &VERIFIED), true, &mut out), None);
    }
}
