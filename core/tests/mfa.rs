//! Carrying MFA (`settings.carryMfa`) and who gets a reset email (`login-ids.txt`), held to
//! fixtures of each MFA shape: legacy `MFAOptions`, `UserMFASettingList` with SMS, EMAIL_OTP and
//! SOFTWARE_TOKEN, `PreferredMfaSetting`, an AdminGetUser response and CSV `cognito:mfa_enabled`;
//! an unverified phone, a federated-only and a disabled user.

mod common;

use cognito_fusionauth::{connector_user, Code, Conversion, Rules};
use common::{assert_nothing_lost, convert, files, fixture, import_files};
use serde_json::{json, Value};

const CSV: &[u8] = b"cognito:username,email,email_verified,phone_number,phone_number_verified,cognito:mfa_enabled\n\
csv-sms,csvsms@example.com,true,+15555550109,true,true\n";

fn rules(carry_mfa: bool, reset_disabled_users: bool) -> Rules {
    let mut rules = Rules::defaults();
    rules.settings.carry_mfa = carry_mfa;
    rules.settings.reset_disabled_users = reset_disabled_users;
    rules
}

fn pool(rules: &Rules) -> Conversion {
    let list = fixture("mfa-list-users.json");
    let admin = fixture("mfa-admin-get-user.json");
    convert(
        rules,
        &[
            ("mfa-list-users.json", &list),
            ("mfa-admin-get-user.json", &admin),
            ("mfa.csv", CSV),
        ],
    )
}

/// Username → `twoFactor` of each imported user.
fn two_factor(conversion: &Conversion) -> Vec<(String, Value)> {
    import_files(conversion)
        .iter()
        .flat_map(|f| f["users"].as_array().unwrap().clone())
        .map(|u| {
            (
                u["data"]["cognito"]["username"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                u.get("twoFactor").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

/// Username → message of each finding with `code`.
fn findings(conversion: &Conversion, code: Code) -> Vec<(String, String)> {
    conversion
        .report()
        .issues
        .iter()
        .filter(|f| f.code == code)
        .map(|f| (f.username.clone().unwrap(), f.message.clone()))
        .collect()
}

fn login_ids(conversion: &Conversion) -> Vec<String> {
    let (_, bytes) = files(conversion)
        .into_iter()
        .find(|(n, _)| n == "login-ids.txt")
        .unwrap();
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn with_carry_mfa_sms_and_email_go_to_verified_contacts_and_the_rest_is_reported() {
    let conversion = pool(&rules(true, false));
    assert_nothing_lost(&conversion);
    let sms = |phone: &str| json!({"methods": [{"method": "sms", "mobilePhone": phone}]});
    assert_eq!(
        two_factor(&conversion),
        [
            ("sms-legacy".to_owned(), sms("+15555550101")),
            ("sms-unverified".to_owned(), Value::Null),
            (
                "every-method".to_owned(),
                json!({"methods": [
                    {"method": "sms", "mobilePhone": "+15555550103"},
                    {"method": "email", "email": "every@example.com"}
                ]})
            ),
            ("totp-only".to_owned(), Value::Null),
            ("google_104000000000000000001".to_owned(), Value::Null),
            ("disabled".to_owned(), Value::Null),
            ("plain".to_owned(), Value::Null),
            (
                "email-otp".to_owned(),
                json!({"methods": [{"method": "email", "email": "otp@example.com"}]})
            ),
            ("csv-sms".to_owned(), sms("+15555550109")),
        ]
    );
    let not_carried = findings(&conversion, Code::MfaNotCarried);
    let who: Vec<&str> = not_carried.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(who, ["sms-unverified", "every-method", "totp-only"]);
    assert!(not_carried[0]
        .1
        .contains("SMS_MFA: phone_number is not verified"));
    assert!(not_carried[1]
        .1
        .contains("SOFTWARE_TOKEN_MFA: an authenticator app"));
    assert!(!not_carried[1].1.contains("SMS_MFA:"));
    assert!(not_carried[2].1.contains("SOFTWARE_TOKEN_MFA"));
}

#[test]
fn without_carry_mfa_nothing_is_carried_and_every_mfa_user_is_reported() {
    let conversion = pool(&rules(false, false));
    assert!(two_factor(&conversion).iter().all(|(_, t)| t.is_null()));
    let who: Vec<String> = findings(&conversion, Code::MfaNotCarried)
        .into_iter()
        .map(|(u, m)| {
            assert!(m.contains("carryMfa is off"), "{m}");
            u
        })
        .collect();
    assert_eq!(
        who,
        [
            "sms-legacy",
            "sms-unverified",
            "every-method",
            "totp-only",
            "email-otp",
            "csv-sms"
        ]
    );
}

#[test]
fn login_ids_leave_out_federated_only_and_disabled_users_each_with_the_reason() {
    let conversion = pool(&rules(false, false));
    let ids = login_ids(&conversion);
    assert!(!ids.contains(&"fed@example.com".to_owned()));
    assert!(!ids.contains(&"disabled@example.com".to_owned()));
    assert_eq!(ids.len(), 7, "{ids:?}");
    let left_out = findings(&conversion, Code::NoPasswordReset);
    assert_eq!(left_out.len(), 2);
    assert_eq!(left_out[0].0, "google_104000000000000000001");
    assert!(left_out[0].1.contains("federated-only"));
    assert_eq!(left_out[1].0, "disabled");
    assert!(left_out[1].1.contains("resetDisabledUsers"));
    // The federated-only user still gets its identity-provider link.
    let (_, links) = files(&conversion)
        .into_iter()
        .find(|(n, _)| n == "links.json")
        .unwrap();
    assert!(String::from_utf8(links)
        .unwrap()
        .contains("104000000000000000001"));
}

#[test]
fn reset_disabled_users_lists_them_again() {
    let conversion = pool(&rules(false, true));
    let ids = login_ids(&conversion);
    assert!(ids.contains(&"disabled@example.com".to_owned()));
    assert!(!ids.contains(&"fed@example.com".to_owned()));
    let left_out = findings(&conversion, Code::NoPasswordReset);
    assert_eq!(left_out.len(), 1);
}

#[test]
fn the_connector_carries_mfa_too() {
    let mapper = rules(true, false).compile().unwrap();
    let response = connector_user(
        "mfa-admin-get-user.json",
        &fixture("mfa-admin-get-user.json"),
        &mapper,
        "2026-01-01",
    )
    .unwrap();
    let user = serde_json::to_value(&response.user).unwrap();
    assert_eq!(
        user["twoFactor"],
        json!({"methods": [{"method": "email", "email": "otp@example.com"}]})
    );
}
