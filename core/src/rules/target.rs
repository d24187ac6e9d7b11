//! Targets: where a rule's value goes in the FusionAuth user, and the checks each field needs.

use std::borrow::Cow;

use serde_json::Value;

use crate::fields;
use crate::finding::Code;
use crate::fusionauth::{Data, DataValue, ImportUser};

/// A FusionAuth user field or a path under `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A top-level user field.
    Field(Field),
    /// `data.a.b` as its path segments `["a", "b"]`.
    Data(Vec<String>),
}

/// The FusionAuth user fields a rule can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // FusionAuth's field names
pub enum Field {
    Id,
    Username,
    Email,
    PhoneNumber,
    MobilePhone,
    FirstName,
    MiddleName,
    LastName,
    FullName,
    BirthDate,
    ImageUrl,
    Timezone,
    ParentEmail,
    PreferredLanguages,
    Active,
    Verified,
    PasswordChangeRequired,
    InsertInstant,
    VerifiedInstant,
    Expiry,
    Memberships,
}

const FIELDS: [(&str, Field); 21] = [
    ("id", Field::Id),
    ("username", Field::Username),
    ("email", Field::Email),
    ("phoneNumber", Field::PhoneNumber),
    ("mobilePhone", Field::MobilePhone),
    ("firstName", Field::FirstName),
    ("middleName", Field::MiddleName),
    ("lastName", Field::LastName),
    ("fullName", Field::FullName),
    ("birthDate", Field::BirthDate),
    ("imageUrl", Field::ImageUrl),
    ("timezone", Field::Timezone),
    ("parentEmail", Field::ParentEmail),
    ("preferredLanguages", Field::PreferredLanguages),
    ("active", Field::Active),
    ("verified", Field::Verified),
    ("passwordChangeRequired", Field::PasswordChangeRequired),
    ("insertInstant", Field::InsertInstant),
    ("verifiedInstant", Field::VerifiedInstant),
    ("expiry", Field::Expiry),
    ("memberships", Field::Memberships),
];

/// Why a value could not be stored in its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub(crate) code: Code,
    pub(crate) message: String,
}

impl Target {
    /// Parses `email`, `firstName`, `data.custom.plan`, ...
    pub fn parse(text: &str) -> Option<Target> {
        if let Some(path) = text.strip_prefix("data.") {
            let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
            return segments
                .iter()
                .all(|s| !s.is_empty())
                .then_some(Target::Data(segments));
        }
        FIELDS
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, f)| Target::Field(*f))
    }

    /// The names of all user fields a rule can target.
    pub fn field_names() -> impl Iterator<Item = &'static str> {
        FIELDS.iter().map(|(n, _)| *n)
    }

    /// The finding code used when a value cannot go to this target.
    pub(crate) fn invalid_code(&self) -> Code {
        match self {
            Target::Field(Field::Email | Field::ParentEmail) => Code::InvalidEmail,
            Target::Field(Field::BirthDate) => Code::InvalidBirthdate,
            Target::Field(Field::Timezone) => Code::InvalidTimezone,
            Target::Field(Field::PreferredLanguages) => Code::InvalidLocale,
            Target::Field(Field::PhoneNumber | Field::MobilePhone) => Code::InvalidPhone,
            Target::Field(Field::ImageUrl) => Code::InvalidUrl,
            Target::Field(Field::Id) => Code::InvalidId,
            _ => Code::InvalidValue,
        }
    }

    /// Stores `value`, checking that FusionAuth will accept it. `memberships` is not handled
    /// here (it needs the group mapping).
    pub(crate) fn assign<'x>(
        &'x self,
        user: &mut ImportUser<'x>,
        value: DataValue<'x>,
    ) -> Result<(), Rejected> {
        let field = match self {
            Target::Data(path) => {
                return insert_path(&mut user.data, path.iter().map(String::as_str), value)
                    .map_err(|c| self.reject(c.message))
            }
            Target::Field(f) => *f,
        };
        let slot = match field {
            Field::Active => return self.boolean(value).map(|b| user.active = Some(b)),
            Field::Verified => return self.boolean(value).map(|b| user.verified = Some(b)),
            Field::PasswordChangeRequired => {
                return self
                    .boolean(value)
                    .map(|b| user.password_change_required = Some(b))
            }
            Field::InsertInstant => {
                return self.instant(value).map(|i| user.insert_instant = Some(i))
            }
            Field::VerifiedInstant => {
                return self.instant(value).map(|i| user.verified_instant = Some(i))
            }
            Field::Expiry => return self.instant(value).map(|i| user.expiry = Some(i)),
            Field::PreferredLanguages => return self.languages(user, value),
            Field::Memberships => {
                return Err(self.reject("memberships take the Groups source".into()))
            }
            Field::Id => &mut user.id,
            Field::Username => &mut user.username,
            Field::Email => &mut user.email,
            Field::PhoneNumber => &mut user.phone_number,
            Field::MobilePhone => &mut user.mobile_phone,
            Field::FirstName => &mut user.first_name,
            Field::MiddleName => &mut user.middle_name,
            Field::LastName => &mut user.last_name,
            Field::FullName => &mut user.full_name,
            Field::BirthDate => &mut user.birth_date,
            Field::ImageUrl => &mut user.image_url,
            Field::Timezone => &mut user.timezone,
            Field::ParentEmail => &mut user.parent_email,
        };
        let DataValue::Text(text) = value else {
            return Err(self.reject(format!("expects text, got {value}")));
        };
        let valid = match field {
            Field::Id => fields::is_uuid(&text),
            Field::Email | Field::ParentEmail => fields::is_email(&text),
            Field::PhoneNumber | Field::MobilePhone => fields::is_e164(&text),
            Field::BirthDate => crate::dates::is_iso_date(&text),
            Field::ImageUrl => fields::is_url(&text),
            Field::Timezone => fields::is_timezone(&text),
            _ => !text.is_empty(),
        };
        if !valid {
            return Err(self.reject(format!("{text:?} is not {}", describe(field))));
        }
        *slot = Some(text);
        Ok(())
    }

    fn reject(&self, message: String) -> Rejected {
        Rejected {
            code: self.invalid_code(),
            message,
        }
    }

    fn boolean(&self, value: DataValue<'_>) -> Result<bool, Rejected> {
        match value {
            DataValue::Json(Value::Bool(b)) => Ok(b),
            other => Err(self.reject(format!("expects true or false, got {other}"))),
        }
    }

    fn instant(&self, value: DataValue<'_>) -> Result<i64, Rejected> {
        match value {
            DataValue::Json(Value::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
            other => Err(self.reject(format!("expects epoch milliseconds, got {other}"))),
        }
    }

    fn languages<'x>(
        &self,
        user: &mut ImportUser<'x>,
        value: DataValue<'x>,
    ) -> Result<(), Rejected> {
        let items = match value {
            DataValue::Json(Value::Array(items)) => {
                items.into_iter().map(DataValue::from).collect()
            }
            one => vec![one],
        };
        let mut add = Vec::new();
        for item in items {
            match item {
                DataValue::Text(s) if fields::is_locale(&s) => add.push(s),
                other => {
                    return Err(self.reject(format!("{other} is not a locale like en or en_US")))
                }
            }
        }
        for lang in add {
            if !user.preferred_languages.contains(&lang) && user.preferred_languages.len() < 20 {
                user.preferred_languages.push(lang);
            }
        }
        Ok(())
    }
}

fn describe(field: Field) -> &'static str {
    match field {
        Field::Id => "a lower-case UUID",
        Field::Email | Field::ParentEmail => "a valid email address",
        Field::PhoneNumber | Field::MobilePhone => "an E.164 phone number",
        Field::BirthDate => "a real YYYY-MM-DD date",
        Field::ImageUrl => "an absolute http(s) URL",
        Field::Timezone => "an IANA time zone",
        _ => "non-empty text",
    }
}

/// A data path that runs into a value that is not an object; the value comes back unused.
#[derive(Debug)]
pub(crate) struct PathConflict<'x> {
    pub(crate) message: String,
    pub(crate) value: DataValue<'x>,
}

/// Puts `value` at `path` under `data`, creating objects on the way. Keys borrow the path's
/// segments (this runs for every attribute of every user).
pub(crate) fn insert_path<'x>(
    data: &mut Data<'x>,
    path: impl Iterator<Item = &'x str> + Clone,
    value: DataValue<'x>,
) -> Result<(), PathConflict<'x>> {
    let mut segments = path.clone().enumerate().peekable();
    let mut map = data;
    while let Some((depth, seg)) = segments.next() {
        if segments.peek().is_none() {
            // One look-up: the leaf is written only where nothing is.
            return match map.entry(Cow::Borrowed(seg)) {
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(value);
                    Ok(())
                }
                std::collections::btree_map::Entry::Occupied(_) => {
                    let shown: Vec<&str> = path.take(depth + 1).collect();
                    let message = format!("data.{} already holds a value", shown.join("."));
                    Err(PathConflict { message, value })
                }
            };
        }
        let slot = map
            .entry(Cow::Borrowed(seg))
            .or_insert_with(|| DataValue::Object(Data::new()));
        map = match slot {
            DataValue::Object(m) => m,
            _ => {
                let shown: Vec<&str> = path.take(depth + 1).collect();
                let message = format!(
                    "data.{} already holds a value that is not an object",
                    shown.join(".")
                );
                return Err(PathConflict { message, value });
            }
        };
    }
    Err(PathConflict {
        message: "empty data path".into(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(value: Value) -> DataValue<'static> {
        DataValue::from(value)
    }

    #[test]
    fn parse_targets() {
        assert_eq!(Target::parse("email"), Some(Target::Field(Field::Email)));
        assert_eq!(
            Target::parse("data.custom.plan"),
            Some(Target::Data(vec!["custom".into(), "plan".into()]))
        );
        assert_eq!(Target::parse("data."), None);
        assert_eq!(Target::parse("data.a..b"), None);
        assert_eq!(Target::parse("twoFactorSecret"), None);
    }

    #[test]
    fn assign_checks_each_field() {
        let mut u = ImportUser::default();
        let email = Target::parse("email").unwrap();
        assert_eq!(
            email.assign(&mut u, v(json!("bad@"))).unwrap_err().code,
            Code::InvalidEmail
        );
        email.assign(&mut u, v(json!("a@b.io"))).unwrap();
        assert_eq!(u.email.as_deref(), Some("a@b.io"));
        let tz = Target::parse("timezone").unwrap();
        assert_eq!(
            tz.assign(&mut u, v(json!("Nowhere"))).unwrap_err().code,
            Code::InvalidTimezone
        );
        let langs = Target::parse("preferredLanguages").unwrap();
        langs.assign(&mut u, v(json!("en_US"))).unwrap();
        langs.assign(&mut u, v(json!(["en_US", "de"]))).unwrap();
        assert_eq!(u.preferred_languages, ["en_US", "de"]);
        assert_eq!(
            langs.assign(&mut u, v(json!("EMEA"))).unwrap_err().code,
            Code::InvalidLocale
        );
        let active = Target::parse("active").unwrap();
        assert!(active.assign(&mut u, v(json!("yes"))).is_err());
        active.assign(&mut u, v(json!(false))).unwrap();
        let bd = Target::parse("birthDate").unwrap();
        assert_eq!(
            bd.assign(&mut u, v(json!("02/01/1985"))).unwrap_err().code,
            Code::InvalidBirthdate
        );
        let ins = Target::parse("insertInstant").unwrap();
        ins.assign(&mut u, v(json!(1_637_108_867_442i64))).unwrap();
        assert!(ins.assign(&mut u, v(json!("soon"))).is_err());
    }

    #[test]
    fn data_paths_nest_and_report_conflicts() {
        let mut data = Data::new();
        insert_path(&mut data, "custom.plan".split('.'), v(json!("pro"))).unwrap();
        insert_path(&mut data, "custom.seats".split('.'), v(json!("5"))).unwrap();
        assert_eq!(
            serde_json::to_value(&data).unwrap(),
            json!({"custom": {"plan": "pro", "seats": "5"}})
        );
        let err = insert_path(&mut data, "custom.plan.x".split('.'), v(json!(1))).unwrap_err();
        assert!(err.message.contains("data.custom.plan"), "{}", err.message);
        assert_eq!(err.value, v(json!(1)), "the value comes back");
    }
}
