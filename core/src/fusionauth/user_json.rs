//! Writing one FusionAuth user as compact ASCII JSON, straight from the mapped user.
//!
//! The bytes are exactly those of serde_json's `to_vec` followed by
//! [`ascii_json`](super::ascii_json) (the tests hold it to that), written in one pass: this
//! runs for every user of a pool, and serde's generic path plus a second pass to escape
//! non-ASCII text cost about a fifth of a conversion.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use super::{ascii_json, Data, DataValue, ImportUser};

/// Appends `user` to `out` as compact JSON in ASCII, fields in `ImportUser`'s order, empty
/// ones left out (as its `Serialize` does).
pub(crate) fn write_user(user: &ImportUser<'_>, out: &mut Vec<u8>) {
    out.reserve(512);
    let mut o = Object::start(out);
    o.text("id", user.id.as_deref());
    o.text("tenantId", user.tenant_id.as_deref());
    o.text("username", user.username.as_deref());
    o.text("email", user.email.as_deref());
    o.text("phoneNumber", user.phone_number.as_deref());
    o.text("mobilePhone", user.mobile_phone.as_deref());
    o.text("firstName", user.first_name.as_deref());
    o.text("middleName", user.middle_name.as_deref());
    o.text("lastName", user.last_name.as_deref());
    o.text("fullName", user.full_name.as_deref());
    o.text("birthDate", user.birth_date.as_deref());
    o.text("imageUrl", user.image_url.as_deref());
    o.text("timezone", user.timezone.as_deref());
    o.text("parentEmail", user.parent_email.as_deref());
    if !user.preferred_languages.is_empty() {
        o.key("preferredLanguages");
        o.out.push(b'[');
        for (i, lang) in user.preferred_languages.iter().enumerate() {
            if i > 0 {
                o.out.push(b',');
            }
            write_str(lang, o.out);
        }
        o.out.push(b']');
    }
    o.boolean("active", user.active);
    o.boolean("verified", user.verified);
    o.boolean("passwordChangeRequired", user.password_change_required);
    o.number("insertInstant", user.insert_instant);
    o.number("verifiedInstant", user.verified_instant);
    o.number("expiry", user.expiry);
    if !user.registrations.is_empty() {
        o.serde("registrations", &user.registrations);
    }
    if !user.memberships.is_empty() {
        o.serde("memberships", &user.memberships);
    }
    if let Some(two_factor) = &user.two_factor {
        o.serde("twoFactor", two_factor);
    }
    o.text("password", user.password.as_deref());
    o.text("encryptionScheme", user.encryption_scheme.as_deref());
    o.number("factor", user.factor.map(i64::from));
    o.text("salt", user.salt.as_deref());
    if !user.data.is_empty() {
        o.key("data");
        write_data(&user.data, o.out);
    }
    out.push(b'}');
}

/// An object being written: knows whether a comma goes before the next key.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    fn start(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// `"name":`, after a comma unless it is the first key. Names are plain ASCII.
    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn text(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.key(name);
            write_str(value, self.out);
        }
    }

    fn boolean(&mut self, name: &str, value: Option<bool>) {
        if let Some(value) = value {
            self.key(name);
            write_bool(value, self.out);
        }
    }

    fn number(&mut self, name: &str, value: Option<i64>) {
        if let Some(value) = value {
            self.key(name);
            write_integer(value, self.out);
        }
    }

    fn serde(&mut self, name: &str, value: &impl Serialize) {
        self.key(name);
        write_serde(value, self.out);
    }
}

fn write_bool(value: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// An integer, as serde_json writes it.
fn write_integer(value: impl std::fmt::Display, out: &mut Vec<u8>) {
    // Writing to a Vec cannot fail.
    let _ = write!(out, "{value}");
}

/// Anything else through serde_json and the ASCII pass (rare: registrations, memberships,
/// floats, null and arrays in `data`).
fn write_serde(value: &impl Serialize, out: &mut Vec<u8>) {
    // Values of strings, numbers and JSON cannot fail to serialize.
    let json = serde_json::to_vec(value).unwrap_or_default();
    out.extend_from_slice(&ascii_json(json));
}

/// A `user.data` object, keys in the map's (sorted) order.
fn write_data(data: &Data<'_>, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (key, value)) in data.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(key, out);
        out.push(b':');
        match value {
            DataValue::Text(text) => write_str(text, out),
            DataValue::Object(map) => write_data(map, out),
            DataValue::Json(value) => write_json(value, out),
        }
    }
    out.push(b'}');
}

/// A JSON value that is not text or an object: integers and booleans directly (integers
/// print as serde_json writes them), the rest through serde_json.
fn write_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Bool(b) => write_bool(*b, out),
        Value::Number(n) if n.is_i64() || n.is_u64() => write_integer(n, out),
        other => write_serde(other, out),
    }
}

/// Bytes that cannot be copied into a JSON string as they are: controls, `"`, `\` and every
/// byte of a non-ASCII character. Tested eight at a time.
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let control = word.wrapping_sub(ONES * 0x20);
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    // A byte below 0x20, a zero byte in `quote` or `backslash`, or a high bit set: never
    // missed (a borrow may flag a neighbour as well, which the character loop then clears).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    ((control & !word) | zero(quote) | zero(backslash) | word) & HIGH != 0
}

/// Appends `text` as a JSON string: serde_json's escapes for `"`, `\` and controls, and
/// `\uXXXX` (UTF-16, lower-case hex) for every character past U+007F.
fn write_str(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if is_plain(bytes) {
        out.extend_from_slice(bytes);
    } else {
        let mut start = 0;
        for (i, c) in text.char_indices() {
            if needs_char_escape(c) {
                out.extend_from_slice(&bytes[start..i]);
                escape_char(c, out);
                start = i + c.len_utf8();
            }
        }
        out.extend_from_slice(&bytes[start..]);
    }
    out.push(b'"');
}

/// Whether no byte of `bytes` needs escaping (most text: one copy, no character loop).
fn is_plain(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    for word in words.by_ref() {
        if needs_escape(u64::from_le_bytes(word.try_into().unwrap_or([0; 8]))) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| !needs_char_escape(char::from(b)))
}

/// Controls, `"`, `\` and everything past ASCII.
fn needs_char_escape(c: char) -> bool {
    c < ' ' || c == '"' || c == '\\' || !c.is_ascii()
}

fn escape_char(c: char, out: &mut Vec<u8>) {
    let short = match c {
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        _ => None,
    };
    if let Some(letter) = short {
        out.extend_from_slice(&[b'\\', letter]);
        return;
    }
    let mut units = [0u16; 2];
    for &mut unit in c.encode_utf16(&mut units) {
        super::ascii::write_escape(unit, out);
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde_json::json;

    use super::*;
    use crate::fusionauth::{GroupMember, UserRegistration};

    /// What serde_json plus the ASCII pass write: the reference.
    fn reference(user: &ImportUser<'_>) -> Vec<u8> {
        ascii_json(serde_json::to_vec(user).unwrap())
    }

    fn written(user: &ImportUser<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        write_user(user, &mut out);
        out
    }

    const TRICKY: [&str; 10] = [
        "",
        "plain ascii, longer than one word",
        "Bjørn Müller",
        "quote \" backslash \\ slash /",
        "controls \u{0} \u{1} \u{8} \u{c} \n \r \t \u{1f} del \u{7f}",
        "😀 astral and ключ and 東京",
        "\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        "12345678\"",
        "1234567é",
        "exactly8",
    ];

    #[test]
    fn every_field_writes_as_serde_json_does() {
        let t = |s: &'static str| Some(Cow::Borrowed(s));
        let mut data = Data::new();
        for (i, text) in TRICKY.iter().enumerate() {
            data.insert(Cow::Owned(format!("k{i}{text}")), DataValue::from(*text));
        }
        data.insert(
            "nested".into(),
            DataValue::from(json!({
                "n": 1.5, "b": false, "t": true, "z": null, "list": ["é", 2], "o": {},
                "i": -17, "u": u64::MAX, "e": 1e300
            })),
        );
        let user = ImportUser {
            id: t("6513270e-269e-4d37-b2a7-4de452e6b438"),
            tenant_id: t("30663132-6464-6665-3032-326466613934"),
            username: t(TRICKY[3]),
            email: t("bjørn@example.com"),
            phone_number: t("+13035550000"),
            mobile_phone: t("+13035550001"),
            first_name: t(TRICKY[2]),
            middle_name: t(TRICKY[4]),
            last_name: t(TRICKY[5]),
            full_name: t(TRICKY[6]),
            birth_date: t("1977-10-21"),
            image_url: t("https://example.com/a.png"),
            timezone: t("America/Denver"),
            parent_email: t("p@example.com"),
            preferred_languages: vec!["en_US".into(), "é".into()],
            active: Some(true),
            verified: Some(false),
            password_change_required: Some(true),
            insert_instant: Some(1_637_108_867_442),
            verified_instant: Some(-5),
            expiry: Some(0),
            registrations: vec![UserRegistration {
                application_id: "85a03867-dccf-4882-adde-1a79aeec50df".into(),
                roles: vec!["admin".into(), "ü".into()],
            }],
            memberships: vec![GroupMember {
                group_id: "g".into(),
            }],
            two_factor: Some(crate::fusionauth::TwoFactor {
                methods: vec![
                    crate::fusionauth::TwoFactorMethod::Sms {
                        mobile_phone: "+13035550001".into(),
                    },
                    crate::fusionauth::TwoFactorMethod::Email {
                        email: TRICKY[1].into(),
                    },
                ],
            }),
            password: Some("cGFzcw==".into()),
            encryption_scheme: Some("salted-pbkdf2-hmac-sha256".into()),
            factor: Some(24_000),
            salt: Some("c2FsdA==".into()),
            data,
        };
        assert_eq!(
            String::from_utf8(written(&user)).unwrap(),
            String::from_utf8(reference(&user)).unwrap()
        );
        let empty = ImportUser::default();
        assert_eq!(written(&empty), reference(&empty));
    }

    #[test]
    fn strings_of_every_length_and_position_escape_as_serde_json_does() {
        let pieces = ["a", "é", "\"", "\\", "\n", "\u{1}", "😀", "\u{7f}", "東"];
        let mut text = String::new();
        for round in 0..200 {
            text.push_str(pieces[(round * 7 + round / 3) % pieces.len()]);
            let mut out = Vec::new();
            write_str(&text, &mut out);
            let expected = ascii_json(serde_json::to_vec(&text).unwrap());
            assert_eq!(out, expected, "{text:?}");
        }
    }
}
