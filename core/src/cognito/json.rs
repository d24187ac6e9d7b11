//! The JSON shapes: list-users pages, single users, arrays of users and JSON Lines.
//!
//! Parsing streams: a `{"Users": [...]}` page or an array is visited element by element and
//! each user goes to the callback as soon as it is read.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json_user::{Seen, Text, UserBuilder};
use super::{CognitoUser, FileSummary, Shape};
use crate::error::{Error, Position, Result};

type Sink<'s, 'a> = &'s mut dyn FnMut(CognitoUser<'a>, u64);

/// Per-file state shared by the visitors.
struct State<'s, 'a> {
    sink: Sink<'s, 'a>,
    users: u64,
    truncated: bool,
    /// The user being read and the fields ignored so far.
    seen: Seen<'a>,
}

/// Reads the JSON shapes; the users are numbered from `first_index` (a slice of a file
/// starts where the slices before it ended).
pub(super) fn read<'a>(
    name: &str,
    bytes: &'a [u8],
    first_index: u64,
    summary: &mut FileSummary,
    sink: Sink<'_, 'a>,
) -> Result<()> {
    let mut state = State {
        sink,
        users: first_index,
        truncated: false,
        seen: Seen::default(),
    };
    // One UTF-8 check of the whole file costs far less than one per string. A file that
    // fails it is read byte-wise, which stops with the position of the bad byte.
    match std::str::from_utf8(bytes) {
        Ok(text) => read_documents(name, bytes, summary, &mut state, |start, end| {
            serde_json::Deserializer::from_str(text.get(start..end).unwrap_or_default())
        })?,
        Err(_) => read_documents(name, bytes, summary, &mut state, |start, end| {
            serde_json::Deserializer::from_slice(&bytes[start..end])
        })?,
    }
    summary.users = state.users - first_index;
    summary.truncated = state.truncated;
    summary.ignored_fields = state.seen.ignored.into_iter().collect();
    Ok(())
}

/// Reads the first JSON document, and the ones after it if there are more (JSON Lines or
/// concatenated pages). `open(start, end)` parses `bytes[start..end]`.
fn read_documents<'a, R: serde_json::de::Read<'a>>(
    name: &str,
    bytes: &'a [u8],
    summary: &mut FileSummary,
    state: &mut State<'_, 'a>,
    open: impl Fn(usize, usize) -> serde_json::Deserializer<R>,
) -> Result<()> {
    let mut de = open(0, bytes.len());
    let shape = TopSeed { state: &mut *state }
        .deserialize(&mut de)
        .map_err(|e| data_error(name, bytes, 0, &e, &mut state.seen.current))?;
    summary.shape = shape;
    if de.end().is_err() {
        // More after the first document: JSON Lines or concatenated pages. Only now find the
        // document boundaries (a second, cheap pass), and read the documents after the first.
        summary.shape = Shape::JsonLines;
        let mut stream = open(0, bytes.len()).into_iter::<IgnoredAny>();
        let mut bounds = Vec::new();
        let mut start = 0;
        while let Some(doc) = stream.next() {
            doc.map_err(|e| data_error(name, bytes, 0, &e, &mut None))?;
            let end = stream.byte_offset();
            bounds.push((start, end));
            start = end;
        }
        for &(start, end) in bounds.iter().skip(1) {
            let mut de = open(start, end);
            TopSeed { state: &mut *state }
                .deserialize(&mut de)
                .map_err(|e| data_error(name, bytes, start, &e, &mut state.seen.current))?;
        }
    }
    Ok(())
}

/// serde_json appends " at line L column C"; our `Display` prints the position itself.
fn strip_position(e: &impl fmt::Display) -> String {
    let mut text = e.to_string();
    if let Some(i) = text.rfind(" at line ") {
        text.truncate(i);
    }
    text
}

/// Turns an error raised inside document `bytes[start..]` into one positioned in the file.
fn data_error(
    name: &str,
    bytes: &[u8],
    start: usize,
    e: &serde_json::Error,
    current: &mut Option<Cow<'_, str>>,
) -> Error {
    let mut text = strip_position(e);
    if e.is_syntax() || e.is_eof() {
        text.insert_str(0, "invalid JSON: ");
    }
    let (mut line, mut column) = (e.line() as u64, e.column() as u64);
    // Errors raised by our visitors carry the user index, field and inner position.
    let mut index = None;
    let mut field = None;
    let mut parts = text.splitn(5, '\t');
    let message = match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some(i), Some(f), Some(l), Some(c), Some(message)) => {
            index = i.parse::<u64>().ok();
            field = Some(f.to_owned()).filter(|f| !f.is_empty());
            if let (Ok(l), Ok(c)) = (l.parse::<u64>(), c.parse::<u64>()) {
                if l > 0 {
                    (line, column) = (l, c);
                }
            }
            message.to_owned()
        }
        _ => text.clone(),
    };
    // Positions are relative to the document, which starts at `start` in the file.
    let before = &bytes[..start];
    if line == 1 {
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        column += (start - line_start) as u64;
    }
    line += before.iter().filter(|&&b| b == b'\n').count() as u64;
    let pos = Position {
        file: name.to_owned(),
        line,
        column,
        user_index: index,
        username: index.and(current.take()).map(Cow::into_owned),
    };
    Error::read(pos, field.as_deref(), message)
}

/// Builds the error message format `data_error` understands: index, field, and the inner
/// error's own line and column (serde_json puts them at the end of its message), tab-separated.
pub(super) fn user_error<E: de::Error>(index: u64, field: &str, message: impl fmt::Display) -> E {
    let full = message.to_string();
    if full.contains('\t') {
        // Already placed by an inner visitor.
        return E::custom(full);
    }
    let (line, column) = full
        .rsplit_once(" at line ")
        .and_then(|(_, pos)| pos.split_once(" column "))
        .and_then(|(l, c)| Some((l.parse::<u64>().ok()?, c.parse::<u64>().ok()?)))
        .unwrap_or((0, 0));
    let message = strip_position(&full);
    E::custom(format_args!(
        "{index}\t{field}\t{line}\t{column}\t{message}"
    ))
}

/// A top-level document: a page, one user, or an array of users.
struct TopSeed<'s, 'x, 'a> {
    state: &'s mut State<'x, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for TopSeed<'_, '_, 'a> {
    type Value = Shape;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Shape, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for TopSeed<'_, '_, 'a> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Cognito export: {\"Users\": [...]}, a user object, or an array of users")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Shape, A::Error> {
        stream_users(self.state, seq)?;
        Ok(Shape::UserArray)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Shape, A::Error> {
        let state = self.state;
        state.seen.current = None;
        let index = state.users;
        let mut user = UserBuilder::default();
        let mut saw_users = false;
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            match key.as_ref() {
                "Users" => {
                    saw_users = true;
                    map.next_value_seed(UsersSeed { state: &mut *state })?;
                }
                "NextToken" | "PaginationToken" => {
                    let token: Option<IgnoredAny> = map.next_value()?;
                    state.truncated |= token.is_some();
                }
                _ => user.field(key, &mut map, index, &mut state.seen)?,
            }
        }
        match (saw_users, user.is_empty()) {
            (true, true) => Ok(Shape::ListUsers),
            (true, false) => Err(user_error(
                index,
                "",
                "an object has both \"Users\" and user fields; expected one or the other",
            )),
            (false, true) => Err(de::Error::custom(
                "expected a Cognito export: an object with \"Users\", a user with \"Username\", \
                 an array of users, JSON Lines or an import CSV",
            )),
            (false, false) => {
                let shape = user.single_shape();
                let user = user.finish::<A::Error>(index)?;
                state.users += 1;
                (state.sink)(user, index);
                Ok(shape)
            }
        }
    }
}

fn stream_users<'de: 'a, 'a, A: SeqAccess<'de>>(
    state: &mut State<'_, 'a>,
    mut seq: A,
) -> std::result::Result<(), A::Error> {
    loop {
        let index = state.users;
        state.seen.current = None;
        let next = seq.next_element_seed(UserSeed {
            state: &mut *state,
            index,
        });
        match next.map_err(|e| user_error(index, "", e))? {
            Some(user) => {
                state.users += 1;
                (state.sink)(user, index);
            }
            None => return Ok(()),
        }
    }
}

/// The `Users` array of a page.
struct UsersSeed<'s, 'x, 'a> {
    state: &'s mut State<'x, 'a>,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for UsersSeed<'_, '_, 'a> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for UsersSeed<'_, '_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"Users\" to be an array of users")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        stream_users(self.state, seq)
    }
}

/// One user object inside `Users` or an array.
struct UserSeed<'s, 'x, 'a> {
    state: &'s mut State<'x, 'a>,
    index: u64,
}

impl<'de: 'a, 'a> DeserializeSeed<'de> for UserSeed<'_, '_, 'a> {
    type Value = CognitoUser<'a>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for UserSeed<'_, '_, 'a> {
    type Value = CognitoUser<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user object with \"Username\"")
    }
    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        self.state.seen.current = None;
        let mut user = UserBuilder::default();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            user.field(key, &mut map, self.index, &mut self.state.seen)?;
        }
        user.finish(self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{read_export, Scalar};
    use super::*;

    fn read(bytes: &[u8]) -> Result<(FileSummary, Vec<CognitoUser<'_>>)> {
        let mut users = Vec::new();
        let s = read_export("in.json", 0, bytes, &mut |u, _| users.push(u))?;
        Ok((s, users))
    }

    #[test]
    fn list_users_page_with_token() {
        let src = br#"{"Users":[{"Username":"a","Attributes":[{"Name":"email","Value":"a@x.io"},{"Name":"novalue"}],
            "UserCreateDate":1682955829.578,"Enabled":false,"UserStatus":"CONFIRMED"}],"PaginationToken":"abc"}"#;
        let (s, users) = read(src).unwrap();
        assert_eq!(s.shape, Shape::ListUsers);
        assert!(s.truncated);
        assert_eq!(users[0].attribute("email"), Some("a@x.io"));
        assert_eq!(users[0].attributes.len(), 1);
        assert_eq!(users[0].created, Some(Scalar::Number(1_682_955_829.578)));
        assert_eq!(users[0].enabled, Some(Scalar::Bool(false)));
    }

    #[test]
    fn single_users_are_told_apart() {
        let get = br#"{"Username":"u","UserAttributes":[{"Name":"sub","Value":"s"}]}"#;
        assert_eq!(read(get).unwrap().0.shape, Shape::GetUser);
        let admin = br#"{"Username":"u","UserAttributes":[],"UserStatus":"CONFIRMED","Enabled":true,
            "UserMFASettingList":["SOFTWARE_TOKEN_MFA"],"PreferredMfaSetting":"SOFTWARE_TOKEN_MFA","ResponseMetadata":{}}"#;
        let (s, users) = read(admin).unwrap();
        assert_eq!(s.shape, Shape::AdminGetUser);
        assert_eq!(users[0].mfa, vec!["SOFTWARE_TOKEN_MFA"]);
        assert_eq!(s.ignored_fields, vec![("ResponseMetadata".to_owned(), 1)]);
        let plain = br#"{"Username":"u","Attributes":[]}"#;
        assert_eq!(read(plain).unwrap().0.shape, Shape::User);
    }

    #[test]
    fn arrays_with_groups_as_names_or_objects() {
        let src = br#"[{"Username":"a","Groups":["admins","staff"]},
                      {"Username":"b","Groups":[{"GroupName":"admins","Precedence":1}],"MFAOptions":[{"DeliveryMedium":"SMS","AttributeName":"phone_number"}]}]"#;
        let (s, users) = read(src).unwrap();
        assert_eq!(s.shape, Shape::UserArray);
        assert_eq!(users[0].groups, vec!["admins", "staff"]);
        assert_eq!(users[1].groups, vec!["admins"]);
        assert_eq!(users[1].mfa, vec!["SMS_MFA"]);
    }

    #[test]
    fn json_lines_and_concatenated_pages() {
        let src =
            b"{\"Username\":\"a\"}\n{\"Username\":\"b\"}\n\n{\"Users\":[{\"Username\":\"c\"}]}\n";
        let (s, users) = read(src).unwrap();
        assert_eq!(s.shape, Shape::JsonLines);
        let names: Vec<_> = users.iter().map(|u| u.username.as_ref()).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let err = read(b"{\"Users\":[\n{\"Username\":\"a\",}\n]}").unwrap_err();
        let pos = err.position().unwrap();
        assert_eq!((pos.file.as_str(), pos.line), ("in.json", 2));
        assert!(
            err.to_string()
                .contains("user 0 (\"a\") (line 2, column 17): trailing comma"),
            "{err}"
        );
        let err = read(b"{\"Users\":[]}\n{\"Username\":\"b\"}\n{oops\n").unwrap_err();
        assert_eq!(err.position().unwrap().line, 3, "{err}");
        assert!(err.to_string().contains("invalid JSON"), "{err}");
        let err = read(b"[{\"Username\":\"a\"}").unwrap_err();
        assert_eq!(
            err.to_string(),
            "in.json: user 1 (line 1, column 17): EOF while parsing a list"
        );
    }

    #[test]
    fn type_errors_name_the_user_and_field() {
        let src = b"{\"Users\":[{\"Username\":\"a\"},\n{\"Username\":\"b\",\"Attributes\":7}]}";
        let err = read(src).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("user 1"), "{text}");
        assert!(text.contains("\"b\""), "{text}");
        assert!(text.contains("field \"Attributes\""), "{text}");
        assert_eq!(err.position().unwrap().line, 2);
        let err = read(b"[{\"Attributes\":[]}]").unwrap_err();
        assert!(
            err.to_string().contains("missing field `Username`"),
            "{err}"
        );
        let err = read(b"{\"Foo\":1}").unwrap_err();
        assert!(
            err.to_string().contains("expected a Cognito export"),
            "{err}"
        );
        let err = read(b"{\"Username\":\"a\"}\n{\"Username\":5}").unwrap_err();
        assert_eq!(err.position().unwrap().line, 2, "{err}");
    }

    #[test]
    fn escaped_unicode_is_decoded() {
        let src = "[{\"Username\":\"\\u00e9l\u{e8}ne\",\"Attributes\":[{\"Name\":\"name\",\"Value\":\"\u{5f20}\u{4f1f}\"}]}]";
        let (_, users) = read(src.as_bytes()).unwrap();
        assert_eq!(users[0].username, "él\u{e8}ne");
        assert_eq!(users[0].attribute("name"), Some("\u{5f20}\u{4f1f}"));
    }
}
