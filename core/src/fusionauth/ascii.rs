//! JSON in ASCII only: every character past U+007F written as a `\uXXXX` escape.
//!
//! The import files, `links.json` and `report.json` then read the same whatever encoding a
//! tool assumes, and JavaScript turns them into strings several times faster (V8 keeps
//! pure-ASCII text at one byte per character without transcoding): the npm package hands
//! every file to JS as a string.

/// `json` with each non-ASCII character escaped. Outside strings JSON is ASCII already, so
/// escaping every such character is escaping them inside strings, where `\u` is valid.
pub(crate) fn ascii_json(json: Vec<u8>) -> Vec<u8> {
    if json.is_ascii() {
        json
    } else {
        escape_non_ascii(&json)
    }
}

/// [`ascii_json`] for JSON that is known to hold non-ASCII characters.
///
/// The bytes come from the serializer, so they are UTF-8; a stray byte that is not (which
/// cannot happen) would be written as U+FFFD rather than fail.
fn escape_non_ascii(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + json.len() / 8);
    let mut rest = json;
    while let Some(at) = rest.iter().position(|b| !b.is_ascii()) {
        out.extend_from_slice(&rest[..at]);
        let len = match rest[at] {
            0xF0..=0xF7 => 4,
            0xE0..=0xEF => 3,
            _ => 2,
        };
        let end = (at + len).min(rest.len());
        let c = std::str::from_utf8(&rest[at..end])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or(char::REPLACEMENT_CHARACTER);
        let mut units = [0u16; 2];
        for &mut unit in c.encode_utf16(&mut units) {
            write_escape(unit, &mut out);
        }
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// `\\u` and the four lower-case hex digits of a UTF-16 unit.
pub(super) fn write_escape(unit: u16, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_characters_become_escapes_that_read_back() {
        let value =
            serde_json::json!({"firstName": "Bjørn", "lastName": "Müller 😀", "ключ": "x\"y"});
        let text = ascii_json(serde_json::to_vec(&value).unwrap());
        assert!(text.is_ascii());
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains(r"Bj\u00f8rn"), "{text}");
        assert!(text.contains(r"\ud83d\ude00"), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn ascii_json_is_left_as_it_is() {
        let json = br#"{"a":"plain"}"#.to_vec();
        assert_eq!(ascii_json(json.clone()), json);
    }

    #[test]
    fn every_utf8_length_escapes() {
        for text in ["é", "€", "😀", "aé€😀z", "é\"x"] {
            let json = serde_json::to_vec(&text).unwrap();
            let escaped = escape_non_ascii(&json);
            assert!(escaped.is_ascii());
            assert_eq!(serde_json::from_slice::<String>(&escaped).unwrap(), text);
        }
    }
}
