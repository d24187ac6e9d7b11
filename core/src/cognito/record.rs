//! Writing a user back in Cognito's own shape (a `UserType` object), for previews.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::{CognitoUser, Scalar};

/// A user as one `UserType` object (`Username`, `Attributes`, dates, `Enabled`, `UserStatus`,
/// `Groups`, `UserMFASettingList`), leaving out what the export did not have. Reading the
/// result gives the same user back.
impl Serialize for CognitoUser<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Username", &self.username)?;
        map.serialize_entry("Attributes", &Attributes(&self.attributes))?;
        let scalars = [
            ("UserCreateDate", &self.created),
            ("UserLastModifiedDate", &self.last_modified),
            ("Enabled", &self.enabled),
            ("UserStatus", &self.status),
        ];
        for (name, value) in scalars {
            if let Some(value) = value {
                map.serialize_entry(name, value)?;
            }
        }
        if !self.groups.is_empty() {
            map.serialize_entry("Groups", &self.groups)?;
        }
        if !self.mfa.is_empty() {
            map.serialize_entry("UserMFASettingList", &self.mfa)?;
        }
        map.end()
    }
}

impl Serialize for Scalar<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Text(t) => serializer.serialize_str(t),
            Scalar::Number(n) => serializer.serialize_f64(*n),
            Scalar::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

struct Attributes<'u, 'a>(&'u [(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)]);

impl Serialize for Attributes<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(name, value)| Attribute { name, value }))
    }
}

struct Attribute<'v> {
    name: &'v str,
    value: &'v str,
}

impl Serialize for Attribute<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AttributeType", 2)?;
        s.serialize_field("Name", self.name)?;
        s.serialize_field("Value", self.value)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::read_export;

    fn users(bytes: &[u8]) -> Vec<crate::CognitoUser<'_>> {
        let mut users = Vec::new();
        read_export("t", 0, bytes, &mut |u, _| users.push(u)).unwrap();
        users
    }

    #[test]
    fn a_written_user_reads_back_the_same() {
        let export = br#"{"Users":[
            {"Username":"a","Attributes":[{"Name":"sub","Value":"x"},{"Name":"custom:plan","Value":"pro"}],
             "UserCreateDate":1682955829.578,"UserLastModifiedDate":"2025-12-13T14:38:41+09:00",
             "Enabled":false,"UserStatus":"FORCE_CHANGE_PASSWORD","Groups":[{"GroupName":"admins"}],
             "MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}]},
            {"Username":"b"}]}"#;
        for user in users(export) {
            let json = serde_json::to_vec(&user).unwrap();
            assert_eq!(users(&json), [user]);
        }
    }

    #[test]
    fn absent_fields_stay_absent() {
        let csv = b"cognito:username,email,cognito:mfa_enabled\nann,ann@example.com,false\n";
        let json = serde_json::to_value(&users(csv)[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"Username": "ann", "Attributes": [{"Name": "email", "Value": "ann@example.com"}]})
        );
    }
}
