//! The CSV shapes: Cognito's user-import CSV (`GetCSVHeader` columns) and ad-hoc CSV exports.
//!
//! Cognito's CSV does not quote: a comma inside a value is written `\,`. Quoted fields
//! (RFC 4180) are read too, for exporters that quote. Values are trimmed, as Cognito trims
//! them; an empty value means the attribute is absent. A header without commas but with
//! semicolons is read as `;`-separated.

use std::borrow::Cow;

use rustc_hash::FxHashSet;

use super::{CognitoUser, FileSummary, Scalar, Shape};
use crate::error::{Error, Position, Result};

/// What a header column feeds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Username,
    MfaEnabled,
    Created,
    Modified,
    Enabled,
    Status,
    Attribute,
}

fn column_kind(name: &str) -> Column {
    match name {
        "cognito:username" | "Username" => Column::Username,
        "cognito:mfa_enabled" => Column::MfaEnabled,
        "UserCreateDate" => Column::Created,
        "UserLastModifiedDate" => Column::Modified,
        "Enabled" => Column::Enabled,
        "UserStatus" => Column::Status,
        _ => Column::Attribute,
    }
}

/// Reads a CSV export; the users are numbered from `first_index` (a slice of a file starts
/// where the slices before it ended, and repeats the header).
pub(super) fn read<'a>(
    name: &str,
    bytes: &'a [u8],
    first_index: u64,
    summary: &mut FileSummary,
    sink: &mut dyn FnMut(CognitoUser<'a>, u64),
) -> Result<()> {
    let at = |line: u64, user: Option<u64>| Position {
        file: name.to_owned(),
        line,
        column: 0,
        user_index: user,
        username: None,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        Error::read(
            at(line as u64, None),
            None,
            "not valid UTF-8 (a CSV export must be UTF-8)",
        )
    })?;
    summary.shape = Shape::Csv;
    let delimiter = delimiter(text);
    let mut records = Records {
        text,
        at: 0,
        line: 1,
        delimiter,
    };

    let (header_at, header) = loop {
        match records.next_record() {
            None => return Err(Error::read(at(1, None), None, "the CSV has no header row")),
            Some(Err((line, msg))) => return Err(Error::read(at(line, None), None, msg)),
            Some(Ok((_, fields))) if fields.iter().all(|f| f.is_empty()) => continue,
            Some(Ok(found)) => break found,
        }
    };
    let columns: Vec<Column> = header.iter().map(|h| column_kind(h)).collect();
    if !columns.contains(&Column::Username) {
        return Err(Error::read(
            at(header_at, None),
            Some("cognito:username"),
            "expected a Cognito export: the CSV header has no `cognito:username` (or `Username`) column",
        ));
    }
    // One look-up per column: a header of many thousand columns is read in linear time.
    let mut names = FxHashSet::with_capacity_and_hasher(header.len(), Default::default());
    for h in &header {
        if h.is_empty() || !names.insert(h.as_ref()) {
            let what = if h.is_empty() {
                "an empty column name"
            } else {
                "a repeated column name"
            };
            return Err(Error::read(
                at(header_at, None),
                Some(h),
                format!("the header has {what}"),
            ));
        }
    }

    let mut index = first_index;
    while let Some(record) = records.next_record() {
        let (line, fields) =
            record.map_err(|(line, msg)| Error::read(at(line, Some(index)), None, msg))?;
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if fields.len() != header.len() {
            return Err(Error::read(
                at(line, Some(index)),
                None,
                format!(
                    "expected {} columns as in the header, found {} (an unescaped comma? Cognito writes `\\,`)",
                    header.len(),
                    fields.len()
                ),
            ));
        }
        let mut user = CognitoUser::default();
        for ((value, column), name) in fields.into_iter().zip(&columns).zip(&header) {
            if value.is_empty() {
                continue;
            }
            match column {
                Column::Username => user.username = value,
                Column::MfaEnabled => {
                    if value.eq_ignore_ascii_case("true") {
                        user.add_mfa(Cow::Borrowed("SMS_MFA"));
                    }
                }
                Column::Created => user.created = Some(Scalar::Text(value)),
                Column::Modified => user.last_modified = Some(Scalar::Text(value)),
                Column::Enabled => user.enabled = Some(Scalar::Text(value)),
                Column::Status => user.status = Some(Scalar::Text(value)),
                Column::Attribute => user.attributes.push((name.clone(), value)),
            }
        }
        if user.username.is_empty() {
            let mut pos = at(line, Some(index));
            pos.column = 1;
            return Err(Error::read(
                pos,
                Some("cognito:username"),
                "the username is empty",
            ));
        }
        sink(user, index);
        index += 1;
    }
    summary.users = index - first_index;
    Ok(())
}

/// `;` when the first line that is not blank has no comma but a semicolon, else `,`.
pub(super) fn delimiter(text: &str) -> char {
    let header_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !header_line.contains(',') && header_line.contains(';') {
        ';'
    } else {
        ','
    }
}

/// Where the records that are whole at the start of `text` end (a record is whole once its
/// line end is there), and, among them, where the header ends: the first record that is not
/// blank. How a file given in slices is cut between records.
pub(super) fn whole_records(text: &str, delimiter: char) -> (usize, Option<usize>) {
    let mut records = Records {
        text,
        at: 0,
        line: 1,
        delimiter,
    };
    let mut whole = 0;
    let mut header = None;
    while let Some(Ok((_, fields))) = records.next_record() {
        // The last record is whole only if its line end is in `text`.
        if !text[..records.at.min(text.len())].ends_with('\n') {
            break;
        }
        whole = records.at;
        if header.is_none() && fields.iter().any(|f| !f.is_empty()) {
            header = Some(whole);
        }
    }
    (whole, header)
}

/// An iterator over CSV records that tracks line numbers.
struct Records<'a> {
    text: &'a str,
    at: usize,
    line: u64,
    delimiter: char,
}

type Record<'a> = std::result::Result<(u64, Vec<Cow<'a, str>>), (u64, String)>;

impl<'a> Records<'a> {
    fn next_record(&mut self) -> Option<Record<'a>> {
        if self.at >= self.text.len() {
            return None;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        loop {
            match self.field() {
                Ok((value, end)) => {
                    fields.push(value);
                    match end {
                        End::Delimiter => continue,
                        End::Line => return Some(Ok((start_line, fields))),
                    }
                }
                Err(msg) => {
                    self.at = self.text.len();
                    return Some(Err((self.line, msg)));
                }
            }
        }
    }

    /// Reads one field, leaving `at` after its delimiter or line end.
    fn field(&mut self) -> std::result::Result<(Cow<'a, str>, End), String> {
        let text = self.text;
        let rest = &text[self.at..];
        let lead = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        if rest[lead..].starts_with('"') {
            return self.quoted(self.at + lead + 1);
        }
        let mut owned: Option<String> = None;
        let mut seg_start = self.at;
        let bytes = text.as_bytes();
        let mut i = self.at;
        let delim = self.delimiter as u8;
        let end = loop {
            match bytes.get(i) {
                None => break End::Line,
                Some(b'\n') => break End::Line,
                Some(b'\\') if bytes.get(i + 1) == Some(&delim) => {
                    let buf = owned.get_or_insert_with(String::new);
                    buf.push_str(&text[seg_start..i]);
                    buf.push(self.delimiter);
                    i += 2;
                    seg_start = i;
                }
                Some(&b) if b == delim => break End::Delimiter,
                Some(_) => i += 1,
            }
        };
        let value = match owned {
            Some(mut buf) => {
                buf.push_str(&text[seg_start..i]);
                Cow::Owned(buf.trim().to_owned())
            }
            None => Cow::Borrowed(text[self.at..i].trim()),
        };
        self.at = i + 1;
        if end == End::Line {
            self.line += 1;
        }
        Ok((value, end))
    }

    fn quoted(&mut self, from: usize) -> std::result::Result<(Cow<'a, str>, End), String> {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut value = String::new();
        let mut seg = from;
        let mut i = from;
        loop {
            match bytes.get(i) {
                None => return Err("a quoted value is not closed".into()),
                Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                    value.push_str(&text[seg..=i]);
                    i += 2;
                    seg = i;
                }
                Some(b'"') => break,
                Some(b'\n') => {
                    self.line += 1;
                    i += 1;
                }
                Some(_) => i += 1,
            }
        }
        value.push_str(&text[seg..i]);
        // After the closing quote: optional spaces, then a delimiter or the line end.
        let mut j = i + 1;
        while matches!(bytes.get(j), Some(b' ' | b'\t' | b'\r')) {
            j += 1;
        }
        let end = match bytes.get(j) {
            None | Some(b'\n') => End::Line,
            Some(&b) if b == self.delimiter as u8 => End::Delimiter,
            Some(_) => return Err("unexpected text after a quoted value".into()),
        };
        self.at = j + 1;
        if end == End::Line {
            self.line += 1;
        }
        Ok((Cow::Owned(value.trim().to_owned()), end))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Delimiter,
    Line,
}

#[cfg(test)]
mod tests {
    use super::super::read_export;
    use super::*;

    fn read(text: &str) -> Result<Vec<CognitoUser<'_>>> {
        let mut users = Vec::new();
        read_export("users.csv", 0, text.as_bytes(), &mut |u, _| users.push(u))?;
        Ok(users)
    }

    const HEADER: &str = "name,given_name,family_name,middle_name,nickname,preferred_username,profile,picture,website,email,email_verified,gender,birthdate,zoneinfo,locale,phone_number,phone_number_verified,address,updated_at,cognito:mfa_enabled,cognito:username\n";

    #[test]
    fn import_csv_with_escaped_commas() {
        let text = format!(
            "{HEADER}John\\, Jr.,John,,,,,,,,john@example.com,TRUE,,02/01/1985,,,+12065551212,true,123 Any Street\\, Apt 4,1471453471,true,johndoe\r\n"
        );
        let users = read(&text).unwrap();
        let u = &users[0];
        assert_eq!(u.username, "johndoe");
        assert_eq!(u.attribute("name"), Some("John, Jr."));
        assert_eq!(u.attribute("address"), Some("123 Any Street, Apt 4"));
        assert_eq!(u.attribute("birthdate"), Some("02/01/1985"));
        assert_eq!(u.attribute("family_name"), None);
        assert_eq!(u.mfa, vec!["SMS_MFA"]);
    }

    #[test]
    fn quoted_fields_semicolons_and_unicode() {
        let text = "Username;email;UserCreateDate;Enabled;custom:city\n\
                    \u{5f20}\u{4f1f};zw@example.cn;2021-01-11 15:29:59.162000+00:00;True;\"Bei;jing \"\"north\"\"\"\n";
        let users = read(text).unwrap();
        assert_eq!(users[0].username, "\u{5f20}\u{4f1f}");
        assert_eq!(
            users[0].attribute("custom:city"),
            Some("Bei;jing \"north\"")
        );
        assert_eq!(users[0].enabled, Some(Scalar::Text("True".into())));
    }

    #[test]
    fn row_errors_name_file_line_and_user() {
        let text = "cognito:username,email\na,a@x.io\nb,b@x.io,extra\n";
        let err = read(text).unwrap_err();
        let pos = err.position().unwrap();
        assert_eq!((pos.line, pos.user_index), (3, Some(1)));
        assert!(err.to_string().contains("expected 2 columns"), "{err}");
        let err = read("email,name\nx@y.z,X\n").unwrap_err();
        assert!(err.to_string().contains("cognito:username"), "{err}");
        let err = read("cognito:username,email\n,a@x.io\n").unwrap_err();
        assert!(err.to_string().contains("username is empty"), "{err}");
        assert!(read("cognito:username,email\n\"a,b\n").is_err());
        assert!(read("cognito:username,email,email\na,b,c\n").is_err());
    }

    #[test]
    fn a_wide_header_reads_and_its_first_repeated_or_empty_name_is_named() {
        let names: Vec<String> = (0..20_000).map(|i| format!("custom:c{i}")).collect();
        let values: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
        let text = format!(
            "cognito:username,{}\nann,{}\n",
            names.join(","),
            values.join(",")
        );
        let users = read(&text).unwrap();
        assert_eq!(users[0].attributes.len(), 20_000);
        assert_eq!(users[0].attribute("custom:c19999"), Some("19999"));
        for (header, field, what) in [
            ("cognito:username,a,b,a,b\n", "a", "a repeated column name"),
            ("cognito:username,a,,b,a\n", "", "an empty column name"),
        ] {
            let err = read(header).unwrap_err();
            assert!(err.to_string().contains(what), "{err}");
            assert!(
                err.to_string().contains(&format!("field {field:?}")),
                "{err}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut users = Vec::new();
        let err = read_export("x.csv", 0, b"cognito:username\n\xff\n", &mut |u, _| {
            users.push(u)
        })
        .unwrap_err();
        assert_eq!(err.position().unwrap().line, 2);
    }
}
