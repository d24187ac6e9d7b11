//! One Cognito user as the export writes it: the ListUsers `UserType` shape the readers accept,
//! dates as ISO-8601 UTC with milliseconds, plus `Groups` (names) with `--groups`, and with
//! `--mfa` AdminGetUser's `PreferredMfaSetting` and `UserMFASettingList` when it has them.

use aws_sdk_cognitoidentityprovider::primitives::DateTime;
use aws_sdk_cognitoidentityprovider::types::UserType;
use serde::Serialize;

use super::mfa::Mfa;
use crate::dates::iso_8601;

/// A user, ready to serialize, borrowing from the SDK's `UserType`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ExportedUser<'a> {
    username: &'a str,
    attributes: Vec<Attribute<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_create_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_last_modified_date: Option<String>,
    enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_status: Option<&'a str>,
    #[serde(rename = "MFAOptions", skip_serializing_if = "Option::is_none")]
    mfa_options: Option<Vec<MfaOption<'a>>>,
    #[serde(rename = "UserMFASettingList", skip_serializing_if = "Option::is_none")]
    user_mfa_setting_list: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_mfa_setting: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<Vec<&'a str>>,
}

/// `{"Name", "Value"}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Attribute<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

/// `{"DeliveryMedium", "AttributeName"}` (the deprecated SMS MFA settings).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MfaOption<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery_medium: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute_name: Option<&'a str>,
}

impl<'a> ExportedUser<'a> {
    /// `user` as written; `groups` is `Some` (possibly empty) when groups were asked for.
    pub(crate) fn new(user: &'a UserType, groups: Option<Vec<&'a str>>) -> Self {
        ExportedUser {
            username: user.username().unwrap_or_default(),
            attributes: user
                .attributes()
                .iter()
                .map(|a| Attribute {
                    name: a.name(),
                    value: a.value(),
                })
                .collect(),
            user_create_date: user.user_create_date().map(iso),
            user_last_modified_date: user.user_last_modified_date().map(iso),
            enabled: user.enabled(),
            user_status: user.user_status().map(|s| s.as_str()),
            mfa_options: user.mfa_options.as_ref().map(|options| {
                options
                    .iter()
                    .map(|o| MfaOption {
                        delivery_medium: o.delivery_medium().map(|m| m.as_str()),
                        attribute_name: o.attribute_name(),
                    })
                    .collect()
            }),
            user_mfa_setting_list: None,
            preferred_mfa_setting: None,
            groups,
        }
    }

    /// With AdminGetUser's MFA settings: each key only when it has a value, as Cognito sends
    /// them (nothing for a user that was not found). The list comes first, so that readers
    /// list the methods in Cognito's order.
    pub(crate) fn with_mfa(mut self, mfa: &'a Mfa) -> Self {
        if let Mfa::Settings { methods, preferred } = mfa {
            self.preferred_mfa_setting = preferred.as_deref();
            self.user_mfa_setting_list = (!methods.is_empty()).then_some(methods.as_slice());
        }
        self
    }
}

/// The user's `sub` attribute.
pub(crate) fn sub(user: &UserType) -> Option<&str> {
    user.attributes()
        .iter()
        .find(|a| a.name() == "sub")
        .and_then(|a| a.value())
}

/// `2021-11-17T00:27:47.442Z`: milliseconds, as Cognito keeps them.
fn iso(date: &DateTime) -> String {
    // The wire sends epoch seconds as a JSON number with three decimals, which the SDK reads
    // through an f64: `.689` arrives as `.688999…`. Rounding to the millisecond gives it back.
    let millis = date.secs() * 1000 + i64::from((date.subsec_nanos() + 500_000) / 1_000_000);
    iso_8601(millis)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::types::{
        AttributeType, DeliveryMediumType, MfaOptionType, UserStatusType,
    };
    use serde_json::json;

    use super::*;

    fn attribute(name: &str, value: &str) -> AttributeType {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .unwrap()
    }

    #[test]
    fn a_user_is_written_in_the_list_users_shape_with_iso_dates() {
        let user = UserType::builder()
            .username("jane")
            .attributes(attribute("sub", "4320de44-2322-4620-999b-5e2e1c8df013"))
            .attributes(attribute("custom:plan", "pro"))
            .user_create_date(DateTime::from_fractional_secs(1_637_108_867, 0.442))
            .user_last_modified_date(DateTime::from_secs(1_689_030_181))
            .enabled(true)
            .user_status(UserStatusType::ForceChangePassword)
            .mfa_options(
                MfaOptionType::builder()
                    .delivery_medium(DeliveryMediumType::Sms)
                    .attribute_name("phone_number")
                    .build(),
            )
            .build();
        let written = serde_json::to_value(ExportedUser::new(&user, Some(vec!["admins"]))).unwrap();
        assert_eq!(
            written,
            json!({
                "Username": "jane",
                "Attributes": [
                    {"Name": "sub", "Value": "4320de44-2322-4620-999b-5e2e1c8df013"},
                    {"Name": "custom:plan", "Value": "pro"}
                ],
                "UserCreateDate": "2021-11-17T00:27:47.442Z",
                "UserLastModifiedDate": "2023-07-10T23:03:01.000Z",
                "Enabled": true,
                "UserStatus": "FORCE_CHANGE_PASSWORD",
                "MFAOptions": [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}],
                "Groups": ["admins"]
            })
        );
        assert_eq!(sub(&user), Some("4320de44-2322-4620-999b-5e2e1c8df013"));
    }

    #[test]
    fn fields_cognito_left_out_stay_out() {
        let user = UserType::builder().username("bob").enabled(false).build();
        let written = serde_json::to_value(ExportedUser::new(&user, None)).unwrap();
        assert_eq!(
            written,
            json!({"Username": "bob", "Attributes": [], "Enabled": false})
        );
        assert_eq!(sub(&user), None);
    }

    #[test]
    fn mfa_settings_follow_mfa_options_only_when_there_are_some() {
        let user = UserType::builder()
            .username("jane")
            .enabled(true)
            .mfa_options(
                MfaOptionType::builder()
                    .delivery_medium(DeliveryMediumType::Sms)
                    .attribute_name("phone_number")
                    .build(),
            )
            .build();
        let mfa = Mfa::Settings {
            methods: vec!["SMS_MFA".into(), "EMAIL_OTP".into()],
            preferred: Some("EMAIL_OTP".into()),
        };
        let written = ExportedUser::new(&user, Some(vec![])).with_mfa(&mfa);
        assert_eq!(
            serde_json::to_string(&written).unwrap(),
            r#"{"Username":"jane","Attributes":[],"Enabled":true,"MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}],"UserMFASettingList":["SMS_MFA","EMAIL_OTP"],"PreferredMfaSetting":"EMAIL_OTP","Groups":[]}"#
        );
        let plain = serde_json::to_string(&ExportedUser::new(&user, None)).unwrap();
        let none = Mfa::Settings {
            methods: vec![],
            preferred: None,
        };
        for mfa in [none, Mfa::NotFound] {
            let written = ExportedUser::new(&user, None).with_mfa(&mfa);
            assert_eq!(serde_json::to_string(&written).unwrap(), plain);
        }
    }

    #[test]
    fn wire_seconds_read_through_a_float_keep_their_milliseconds() {
        let date = DateTime::from_secs_f64(1_764_163_692.689);
        assert!(date.subsec_nanos() < 689_000_000, "the float is below .689");
        assert_eq!(iso(&date), "2025-11-26T13:28:12.689Z");
        let date = DateTime::from_secs_f64(1_764_163_692.999_6);
        assert_eq!(iso(&date), "2025-11-26T13:28:13.000Z");
    }

    #[test]
    fn dates_before_1970_keep_their_milliseconds() {
        assert_eq!(iso(&DateTime::from_millis(-1)), "1969-12-31T23:59:59.999Z");
    }
}
