//! The default rules: the guide's `processUserJSON`, extended to every standard attribute.

use serde_json::Value;

use super::{AttributeRule, Rules, Settings, Transform, RULES_VERSION};

fn rule(source: &str, target: &str, transform: Transform) -> AttributeRule {
    AttributeRule {
        source: Some(source.to_owned()),
        target: target.to_owned(),
        transform,
        value: None,
        default: None,
        unless_equals: None,
    }
}

pub(super) fn rules() -> Rules {
    use Transform::*;
    let mut username = rule("Username", "username", Copy);
    username.unless_equals = Some("sub".into());
    let mut active = rule("Enabled", "active", Boolean);
    active.default = Some(Value::Bool(true));
    let import_source = AttributeRule {
        source: None,
        target: "data.importSource".into(),
        transform: Constant,
        value: Some(Value::String("cognito".into())),
        default: None,
        unless_equals: None,
    };
    Rules {
        version: RULES_VERSION,
        settings: Settings::default(),
        attributes: vec![
            rule("sub", "id", Uuid),
            username,
            rule("email", "email", Trim),
            rule("email_verified", "verified", Boolean),
            rule("given_name", "firstName", Trim),
            rule("middle_name", "middleName", Trim),
            rule("family_name", "lastName", Trim),
            rule("name", "fullName", Trim),
            rule("phone_number", "mobilePhone", E164),
            rule("birthdate", "birthDate", Date),
            rule("picture", "imageUrl", Trim),
            rule("zoneinfo", "timezone", Trim),
            rule("locale", "preferredLanguages", Locale),
            active,
            rule("UserCreateDate", "insertInstant", EpochMillis),
            rule("Groups", "memberships", Copy),
            import_source,
            rule("Username", "data.cognito.username", Copy),
            rule("UserStatus", "data.cognito.userStatus", Copy),
            rule(
                "UserLastModifiedDate",
                "data.cognito.lastModifiedInstant",
                EpochMillis,
            ),
            rule("Groups", "data.cognito.groups", Copy),
            rule("MFA", "data.cognito.mfa", Copy),
        ],
    }
}
