//! A FusionAuth user id as its 16 bytes: what delivery keeps per user (in the plan, the
//! journal's sets and the undo lists) instead of a 36-character string, so that a push of ten
//! million users fits in memory.

use std::fmt;

/// A FusionAuth user id (a UUID), 16 bytes, no alignment beyond a byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId([u8; 16]);

impl UserId {
    /// The id a lower-case 8-4-4-4-12 UUID names; `None` for any other text.
    pub fn parse(text: &str) -> Option<Self> {
        if !crate::fields::is_uuid(text) {
            return None;
        }
        uuid::Uuid::parse_str(text)
            .ok()
            .map(|u| Self(*u.as_bytes()))
    }
}

/// The lower-case hyphenated form FusionAuth and the import files use.
impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 36];
        let text = uuid::Uuid::from_bytes(self.0)
            .hyphenated()
            .encode_lower(&mut buf);
        f.write_str(text)
    }
}

impl fmt::Debug for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_only_canonical_uuids_parse() {
        let text = "5ca1ab1e-0000-4000-8000-00000000002a";
        let id = UserId::parse(text).unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(std::mem::size_of::<UserId>(), 16);
        assert_eq!(std::mem::align_of::<UserId>(), 1);
        for bad in [
            "5CA1AB1E-0000-4000-8000-00000000002A",
            "u1",
            "",
            "{5ca1ab1e-0000-4000-8000-00000000002a}",
        ] {
            assert_eq!(UserId::parse(bad), None, "{bad}");
        }
    }
}
