//! One Cognito user object, whatever the JSON shape around it: `Username`, `Attributes` or
//! `UserAttributes`, the dates, `Enabled`, `UserStatus`, `Groups`, and every MFA field, read
//! in whatever order they come; fields no reader knows are counted, not kept.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use rustc_hash::FxHashSet;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::json::user_error;
use super::{CognitoUser, Scalar, Shape};

/// What reading a file's users has seen so far, for messages and the file's summary.
#[derive(Default)]
pub(super) struct Seen<'a> {
    /// The username of the user being read, for error messages.
    pub(super) current: Option<Cow<'a, str>>,
    /// Fields ignored, with how many users had each.
    pub(super) ignored: BTreeMap<String, u64>,
}

/// Collects the fields of one user in whatever order they come.
#[derive(Default)]
pub(super) struct UserBuilder<'a> {
    user: CognitoUser<'a>,
    has_username: bool,
    fields: u32,
    user_attributes: bool,
    has_status: bool,
    /// The user's MFA methods once there are more than [`FEW_METHODS`] of them (a user
    /// rarely has more than two), so that each new one is checked in one look-up.
    methods: FxHashSet<Cow<'a, str>>,
}

/// MFA methods a user may have before [`UserBuilder::add_mfa`] keeps them in a set.
const FEW_METHODS: usize = 8;

impl<'a> UserBuilder<'a> {
    pub(super) fn is_empty(&self) -> bool {
        self.fields == 0
    }

    pub(super) fn single_shape(&self) -> Shape {
        match (self.user_attributes, self.has_status) {
            (true, true) => Shape::AdminGetUser,
            (true, false) => Shape::GetUser,
            _ => Shape::User,
        }
    }

    pub(super) fn field<'de: 'a, A: MapAccess<'de>>(
        &mut self,
        key: Cow<'de, str>,
        map: &mut A,
        index: u64,
        seen: &mut Seen<'a>,
    ) -> std::result::Result<(), A::Error> {
        let u = &mut self.user;
        // Builds the error only when there is one (this runs for every field of every user).
        let wrap = |field: &'static str| move |e: A::Error| user_error::<A::Error>(index, field, e);
        self.fields += 1;
        match key.as_ref() {
            "Username" => {
                let Text(name) = map.next_value().map_err(wrap("Username"))?;
                seen.current = Some(name.clone());
                u.username = name;
                self.has_username = true;
            }
            "Attributes" | "UserAttributes" => {
                self.user_attributes |= key == "UserAttributes";
                map.next_value_seed(AttributesSeed(&mut u.attributes))
                    .map_err(|e| user_error(index, &key, e))?;
            }
            "UserCreateDate" => {
                u.created = map
                    .next_value::<Option<ScalarDe<'de>>>()
                    .map_err(|e| user_error(index, &key, e))?
                    .map(|s| s.0)
            }
            "UserLastModifiedDate" => {
                u.last_modified = map
                    .next_value::<Option<ScalarDe<'de>>>()
                    .map_err(|e| user_error(index, &key, e))?
                    .map(|s| s.0)
            }
            "Enabled" => {
                u.enabled = map
                    .next_value::<Option<ScalarDe<'de>>>()
                    .map_err(|e| user_error(index, &key, e))?
                    .map(|s| s.0)
            }
            "UserStatus" => {
                self.has_status = true;
                u.status = map
                    .next_value::<Option<ScalarDe<'de>>>()
                    .map_err(|e| user_error(index, &key, e))?
                    .map(|s| s.0);
            }
            "Groups" => {
                let groups: Option<Vec<Group<'de>>> = map.next_value().map_err(wrap("Groups"))?;
                u.groups
                    .extend(groups.into_iter().flatten().map(Group::name));
            }
            "MFAOptions" => {
                let options: Option<Vec<MfaOption<'de>>> =
                    map.next_value().map_err(|e| user_error(index, &key, e))?;
                for o in options.into_iter().flatten() {
                    let method = match o.delivery_medium.as_deref() {
                        Some("EMAIL") => "EMAIL_OTP",
                        _ => "SMS_MFA",
                    };
                    self.add_mfa(Cow::Borrowed(method));
                }
            }
            "UserMFASettingList" => {
                let list: Option<Vec<Text<'de>>> =
                    map.next_value().map_err(|e| user_error(index, &key, e))?;
                for Text(m) in list.into_iter().flatten() {
                    self.add_mfa(m);
                }
            }
            "PreferredMfaSetting" => {
                let m: Option<Text<'de>> =
                    map.next_value().map_err(|e| user_error(index, &key, e))?;
                if let Some(Text(m)) = m {
                    self.add_mfa(m);
                }
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
                self.fields -= 1;
                *seen.ignored.entry(key.into_owned()).or_default() += 1;
            }
        }
        Ok(())
    }

    /// Adds an MFA method unless it is empty or the user has it already, as
    /// [`CognitoUser::add_mfa`] does, in one look-up however many methods the user has.
    fn add_mfa(&mut self, method: Cow<'a, str>) {
        let mfa = &mut self.user.mfa;
        if mfa.len() < FEW_METHODS {
            self.user.add_mfa(method);
            return;
        }
        if self.methods.is_empty() {
            self.methods.extend(mfa.iter().cloned());
        }
        if !method.is_empty() && self.methods.insert(method.clone()) {
            mfa.push(method);
        }
    }

    pub(super) fn finish<E: de::Error>(
        self,
        index: u64,
    ) -> std::result::Result<CognitoUser<'a>, E> {
        if !self.has_username {
            return Err(user_error(index, "Username", "missing field `Username`"));
        }
        if self.user.username.is_empty() {
            return Err(user_error(index, "Username", "`Username` is empty"));
        }
        Ok(self.user)
    }
}

/// `Attributes` / `UserAttributes`, read straight into the user's list (no second vector).
struct AttributesSeed<'x, 'a>(&'x mut Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for AttributesSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for AttributesSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"Name\", \"Value\"}")
    }
    fn visit_unit<E>(self) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        // A typical user has a dozen attributes; one allocation instead of several.
        self.0.reserve(16);
        while let Some(a) = seq.next_element::<Attribute<'de>>()? {
            if let Some(Text(value)) = a.value {
                self.0.push((a.name, value));
            }
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct Attribute<'a> {
    #[serde(rename = "Name", borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "Value", borrow, default)]
    value: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct MfaOption<'a> {
    #[serde(rename = "DeliveryMedium", borrow, default)]
    delivery_medium: Option<Cow<'a, str>>,
}

/// A group given as its name (mifi/cognito-backup) or as a `GroupType` object (cbr).
#[derive(Deserialize)]
#[serde(untagged)]
enum Group<'a> {
    Name(#[serde(borrow)] Cow<'a, str>),
    Object {
        #[serde(rename = "GroupName", borrow)]
        name: Cow<'a, str>,
    },
}

impl<'a> Group<'a> {
    fn name(self) -> Cow<'a, str> {
        match self {
            Group::Name(n) | Group::Object { name: n } => n,
        }
    }
}

/// A string borrowed from the input when it has no escapes. serde's own `Cow<str>` always
/// copies unless it is a direct struct field marked `borrow`, which keys, `Option`s and
/// `Vec`s are not; at a dozen strings per user the copies were a tenth of the read time.
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

struct ScalarDe<'a>(Scalar<'a>);

impl<'de> Deserialize<'de> for ScalarDe<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScalarDe<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Text(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Text(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Text(Cow::Owned(v))))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Number(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Number(v as f64)))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Number(v as f64)))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Self::Value, E> {
                Ok(ScalarDe(Scalar::Bool(v)))
            }
        }
        d.deserialize_any(V)
    }
}
