//! Reading Cognito exports: every shape a user pool export comes in, into [`CognitoUser`]s.
//!
//! The shape is detected from the content, never from the file name (see [`Shape`]).
//! Users borrow their strings from the input bytes where they can, and are handed to a
//! callback one at a time, so a large export is never held twice in memory.

mod csv;
mod json;
mod json_user;
mod record;
mod slices;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Position, Result};

pub(crate) use slices::Place;
pub use slices::{OwnedUnit, SlicedExport, Unit, UnitReader};

/// The shape an input file was detected as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `{"Users": [...]}` from `aws cognito-idp list-users` or the ListUsers API (one or more pages).
    ListUsers,
    /// One AdminGetUser response (`UserAttributes` with status and dates).
    AdminGetUser,
    /// One GetUser response (`UserAttributes`, no status, dates or `Enabled`).
    GetUser,
    /// One user object with `Attributes` (a single `UserType`).
    User,
    /// A JSON array of users (cognito-backup-restore, mifi/cognito-backup).
    UserArray,
    /// JSON Lines or concatenated JSON documents, one user or page each.
    JsonLines,
    /// A Cognito user-import CSV (`GetCSVHeader` columns) or an ad-hoc CSV export.
    Csv,
}

impl Shape {
    /// Every shape the readers detect.
    pub const ALL: [Shape; 7] = [
        Self::ListUsers,
        Self::AdminGetUser,
        Self::GetUser,
        Self::User,
        Self::UserArray,
        Self::JsonLines,
        Self::Csv,
    ];

    /// The shape's name as written in reports (`list-users`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::ListUsers => "list-users",
            Self::AdminGetUser => "admin-get-user",
            Self::GetUser => "get-user",
            Self::User => "user",
            Self::UserArray => "user-array",
            Self::JsonLines => "json-lines",
            Self::Csv => "csv",
        }
    }
}

/// A scalar value as it appeared in the export (dates may be numbers or text, `Enabled` a
/// boolean or text).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    /// A string.
    Text(Cow<'a, str>),
    /// A JSON number.
    Number(f64),
    /// A JSON boolean.
    Bool(bool),
}

impl Scalar<'_> {
    /// The value as text, the way it would be kept in `user.data` when no rule can use it.
    pub fn to_text(&self) -> String {
        match self {
            Scalar::Text(s) => s.to_string(),
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// One Cognito user, whatever shape it was read from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CognitoUser<'a> {
    /// `Username` (or `cognito:username` in an import CSV).
    pub username: Cow<'a, str>,
    /// `Attributes` / `UserAttributes` as `(Name, Value)` pairs, in export order.
    pub attributes: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// `UserCreateDate`.
    pub created: Option<Scalar<'a>>,
    /// `UserLastModifiedDate`.
    pub last_modified: Option<Scalar<'a>>,
    /// `Enabled`.
    pub enabled: Option<Scalar<'a>>,
    /// `UserStatus`.
    pub status: Option<Scalar<'a>>,
    /// Group names (`Groups` as names or as `GroupType` objects).
    pub groups: Vec<Cow<'a, str>>,
    /// MFA methods the user has set up (`MFAOptions`, `UserMFASettingList`,
    /// `PreferredMfaSetting`, CSV `cognito:mfa_enabled`), e.g. `SMS_MFA`.
    pub mfa: Vec<Cow<'a, str>>,
}

#[cfg(test)]
impl CognitoUser<'static> {
    /// A user with this `Username` and these attributes, for the core's unit tests.
    pub(crate) fn with_attributes(username: &str, attributes: &[(&str, &str)]) -> Self {
        Self {
            username: username.to_owned().into(),
            attributes: attributes
                .iter()
                .map(|(n, v)| ((*n).to_owned().into(), (*v).to_owned().into()))
                .collect(),
            ..Self::default()
        }
    }
}

impl<'a> CognitoUser<'a> {
    /// The value of attribute `name`, if the user has it.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_ref())
    }

    pub(crate) fn add_mfa(&mut self, method: Cow<'a, str>) {
        if !method.is_empty() && !self.mfa.contains(&method) {
            self.mfa.push(method);
        }
    }
}

/// Where a user came from: the input file (by its position in the run) and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Index of the file among the inputs of the run, from 0.
    pub file: usize,
    /// Index of the user within that file, from 0.
    pub index: u64,
}

/// What reading one file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileSummary {
    /// The file's name as given.
    pub name: String,
    /// The detected shape.
    pub shape: Shape,
    /// Users read from it.
    pub users: u64,
    /// Whether it carries a `NextToken`/`PaginationToken`, i.e. more pages exist elsewhere.
    pub truncated: bool,
    /// Top-level user fields that are not part of a Cognito user and were ignored, with counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_fields: Vec<(String, u64)>,
}

/// Reads one export file, calling `each` with every user in order.
///
/// `file_index` is stamped on each [`Origin`]. A UTF-8 byte-order mark is accepted.
///
/// # Errors
/// A read error naming the file, the line and column or user index, and what was expected,
/// when the content is not one of the [`Shape`]s.
pub fn read_export<'a>(
    name: &str,
    file_index: usize,
    bytes: &'a [u8],
    each: &mut dyn FnMut(CognitoUser<'a>, Origin),
) -> Result<FileSummary> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut summary = FileSummary {
        name: name.to_owned(),
        shape: Shape::Csv,
        users: 0,
        truncated: false,
        ignored_fields: Vec::new(),
    };
    let mut counted = |user: CognitoUser<'a>, index: u64| {
        each(
            user,
            Origin {
                file: file_index,
                index,
            },
        );
    };
    match first {
        None => {
            return Err(Error::read(
                Position {
                    file: name.to_owned(),
                    ..Position::default()
                },
                None,
                "the file is empty; expected a Cognito export (JSON or CSV)",
            ))
        }
        Some(b'{' | b'[') => json::read(name, bytes, 0, &mut summary, &mut counted)?,
        Some(_) => csv::read(name, bytes, 0, &mut summary, &mut counted)?,
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> Result<(FileSummary, Vec<CognitoUser<'_>>)> {
        let mut users = Vec::new();
        let s = read_export("t", 0, bytes, &mut |u, _| users.push(u))?;
        Ok((s, users))
    }

    #[test]
    fn empty_and_blank_files_are_errors() {
        assert!(read_all(b"").unwrap_err().to_string().contains("empty"));
        assert!(read_all(b"\xEF\xBB\xBF \n").is_err());
    }

    #[test]
    fn many_mfa_methods_are_kept_once_each_in_order() {
        let mut list: Vec<String> = (0..20).map(|i| format!("\"M{i}\"")).collect();
        list.extend(["\"M3\"".into(), "\"\"".into(), "\"M19\"".into()]);
        let json = format!(
            r#"{{"Username":"a","UserMFASettingList":[{}],"PreferredMfaSetting":"M5","MFAOptions":[{{"DeliveryMedium":"SMS"}}],"UserMFASettingList":["M20","M0"]}}"#,
            list.join(",")
        );
        let (_, users) = read_all(json.as_bytes()).unwrap();
        let mut expected: Vec<String> = (0..20).map(|i| format!("M{i}")).collect();
        expected.extend(["SMS_MFA".into(), "M20".into()]);
        assert_eq!(users[0].mfa, expected);
    }

    #[test]
    fn bom_is_accepted() {
        let (s, users) = read_all(b"\xEF\xBB\xBF{\"Users\":[{\"Username\":\"a\"}]}").unwrap();
        assert_eq!(s.shape, Shape::ListUsers);
        assert_eq!(users[0].username, "a");
    }
}
