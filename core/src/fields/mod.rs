//! Checks of single FusionAuth field values: what the Import API would store but later refuse.

mod timezones;

use timezones::TIMEZONES;

/// A canonical lower-case 8-4-4-4-12 UUID, as FusionAuth ids must be.
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// An email address FusionAuth's user API would accept: one `@`, a local part, and a domain of
/// dot-separated labels (letters, digits, hyphens; not starting or ending with a hyphen) with at
/// least two labels. No spaces, quotes or control characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    let local_char = |c: char| {
        c.is_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '$'
                    | '%'
                    | '&'
                    | '\''
                    | '*'
                    | '+'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '`'
                    | '{'
                    | '|'
                    | '}'
                    | '~'
                    | '.'
                    | '-'
            )
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(local_char);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld = domain.rsplit('.').next().unwrap_or_default();
    // At least two labels: a dot.
    let domain_ok = domain.contains('.')
        && domain.len() <= 253
        && domain.split('.').all(label_ok)
        && !tld.chars().all(|c| c.is_ascii_digit());
    local_ok && domain_ok && s.len() <= 254
}

/// An IANA time zone id (a zone or a link), e.g. `America/Denver` or `UTC`.
pub fn is_timezone(s: &str) -> bool {
    TIMEZONES.binary_search(&s).is_ok()
}

/// A locale in FusionAuth's form: a 2-3 letter lower-case language, optionally `_` and a
/// 2-letter upper-case region or 3-digit area (`en`, `es_MX`, `es_419`).
pub fn is_locale(s: &str) -> bool {
    let (lang, region) = match s.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = match region {
        None => true,
        Some(r) => {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        }
    };
    lang_ok && region_ok
}

/// An absolute `http`/`https` URL with a host and no whitespace.
pub fn is_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    let Some(rest) = rest else { return false };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    !host.is_empty()
        && !host.starts_with(':')
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || "-.:[]".contains(c))
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A phone number in E.164 form: `+` and 4 to 15 digits.
pub fn is_e164(s: &str) -> bool {
    s.strip_prefix('+')
        .is_some_and(|d| (4..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(is_uuid("06744664-df6e-48cc-9421-3d56a9732172"));
        assert!(!is_uuid("06744664-DF6E-48CC-9421-3D56A9732172"));
        assert!(!is_uuid("06744664df6e48cc94213d56a9732172"));
        assert!(!is_uuid(""));
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.io",
            "first.last+tag@sub.example.com",
            "jos\u{e9}@b\u{fc}cher.de",
            "o'brien@x.ie",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.io",
            "a@b",
            "a b@c.io",
            "a@b..io",
            "a@-b.io",
            "a@@b.io",
            "a@1.2.3.4",
            ".a@b.io",
            "a\"@b.io",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn timezones_locales_urls_phones() {
        assert!(is_timezone("America/Denver") && is_timezone("UTC") && is_timezone("US/Eastern"));
        assert!(!is_timezone("Mars/Olympus") && !is_timezone("america/denver"));
        assert!(
            TIMEZONES.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert!(is_locale("en") && is_locale("es_MX") && is_locale("es_419") && is_locale("fil"));
        assert!(
            !is_locale("EMEA") && !is_locale("en_us") && !is_locale("zh_Hant_TW") && !is_locale("")
        );
        assert!(is_url("https://x.io/a.png") && is_url("http://127.0.0.1:8080/p"));
        assert!(
            !is_url("x.io/a.png")
                && !is_url("https:// x.io")
                && !is_url("https:///a")
                && !is_url("ftp://x")
        );
        assert!(is_e164("+14325551212") && is_e164("+01115551212"));
        assert!(!is_e164("14325551212") && !is_e164("+1") && !is_e164("+1432555121212345"));
    }
}
