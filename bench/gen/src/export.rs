//! The export: its users, their distribution of features, and how they are written.
//!
//! Each user, in the order its attributes are written (shares are per user):
//! - `sub`: a random UUID v4, also the `Username` unless the user is federated;
//! - `website` (30 %): `https://example.com/<i>`;
//! - `email` and `email_verified` (98 %): `<given>.<family>.<i>@example.com` in lower case
//!   (without apostrophes), or, for a share `--dup-rate` of the users after the first, one of
//!   the previous 1,000 users' emails upper-cased (users without an email attribute count
//!   among those 1,000); verified `true` 2 in 3, else `false`;
//! - `given_name` (always), `middle_name` `T` (40 %), `family_name` (always), from 16 and 12
//!   names, several with non-ASCII letters;
//! - `phone_number` `+1303555<i mod 10000>` and `phone_number_verified` `false` (50 %);
//! - `birthdate` `19YY-MM-DD` (30 %), `zoneinfo` and `locale` (30 %, from 5 each);
//! - `custom:plan` (free, pro or enterprise) and `custom:seats` (1 to 500) (50 %);
//! - federated users (5 %): `identities`, a JSON string naming Google, Facebook or
//!   SignInWithApple and a 64-bit user id; `Username` `<provider>_<id>` and status
//!   `EXTERNAL_PROVIDER`.
//!
//! Then `UserCreateDate` (2021-01-01T00:00:00-07:00 plus 0 to 10^8 s, whole milliseconds),
//! `UserLastModifiedDate` (0 to 300 days later), `Enabled` (97 %) and `UserStatus`
//! (`CONFIRMED` 20 in 23, `UNCONFIRMED`, `FORCE_CHANGE_PASSWORD`, `RESET_REQUIRED` 1 in 23
//! each) for users who are not federated.
//!
//! The layout is Python's `json.dumps`'s (`", "` and `": "` separators, UTF-8 as is), one user
//! a line, as the standard-library Python generator this replaced wrote it; so are the dates.

use std::io::{self, Write};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// ISO-8601 with the pool's offset, microseconds when not zero, as `aws` v2 prints them:
    /// `"2023-09-07T15:26:17.642000-07:00"`.
    Cli2,
    /// Epoch seconds as a JSON number, as the API sends them: `1694125577.642`.
    Wire,
    /// UTC ISO-8601 with milliseconds: `"2023-09-07T22:26:17.642Z"`.
    Backup,
}

/// What to generate besides the number of users.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) seed: u64,
    pub(crate) dup_rate: f64,
    pub(crate) format: Format,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 7,
            dup_rate: 0.0,
            format: Format::Cli2,
        }
    }
}

const FIRST: [&str; 16] = [
    "Ana", "Bjørn", "Chloé", "Dmitri", "Eve", "Fatima", "Gao", "Hiro", "Inés", "José", "Kai",
    "Łukasz", "Mia", "Noor", "Olu", "Priya",
];
const LAST: [&str; 12] = [
    "Smith", "Müller", "García", "Nguyen", "O'Brien", "Kowalski", "Tanaka", "Ivanov", "Silva",
    "Khan", "Dubois", "Rossi",
];
const TIME_ZONES: [&str; 5] = [
    "America/Denver",
    "Europe/Berlin",
    "Asia/Tokyo",
    "UTC",
    "America/Sao_Paulo",
];
const LOCALES: [&str; 5] = ["en-US", "de", "fr-FR", "ja", "pt-BR"];
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
/// Providers as named in `identities`, and in lower case as the `Username` prefix.
const PROVIDERS: [(&str, &str); 3] = [
    ("Google", "google"),
    ("Facebook", "facebook"),
    ("SignInWithApple", "signinwithapple"),
];
/// Statuses other than `CONFIRMED`, each drawn 1 time in 23 (`CONFIRMED` 20 times).
const OTHER_STATUSES: [&str; 3] = ["UNCONFIRMED", "FORCE_CHANGE_PASSWORD", "RESET_REQUIRED"];

/// 2021-01-01T00:00:00-07:00 in epoch seconds.
const BASE: i64 = 1_609_484_400;
/// The pool's offset from UTC in `cli2` dates.
const OFFSET_S: i64 = -7 * 3600;
/// How many previous emails a duplicate may copy.
const RECENT: usize = 1000;
/// Bytes gathered before they are handed to the writer.
const FLUSH_AT: usize = 1 << 16;

/// Writes an export of `n` users to `out`, users as they are generated.
pub(crate) fn write(out: &mut impl Write, n: u64, options: &Options) -> io::Result<()> {
    let mut generator = Generator::new(options);
    let mut buf = Vec::with_capacity(FLUSH_AT + 4096);
    buf.extend_from_slice(b"{\n    \"Users\": [");
    for i in 0..n {
        buf.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        generator.user(i, &mut buf);
        if buf.len() >= FLUSH_AT {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"\n    ]\n}\n");
    out.write_all(&buf)
}

/// An email by what makes it: the user's names and index, and whether it was upper-cased by
/// being copied (a copy of a copy is the same string).
#[derive(Debug, Clone, Copy)]
struct Email {
    first: u8,
    last: u8,
    index: u64,
    upper: bool,
}

/// The users' generator: the random stream and the recent emails.
#[derive(Debug)]
struct Generator {
    rng: Rng,
    format: Format,
    dup_rate: f64,
    /// The last [`RECENT`] emails, a ring indexed by user index.
    recent: Vec<Email>,
    /// Email parts per name: lower case without apostrophes, and upper case.
    first: [(String, String); 16],
    last: [(String, String); 12],
}

impl Generator {
    fn new(options: &Options) -> Self {
        let parts = |name: &str| {
            let lower = name.to_lowercase().replace('\'', "");
            let upper = lower.to_uppercase();
            (lower, upper)
        };
        Self {
            rng: Rng(ChaCha8Rng::seed_from_u64(options.seed)),
            format: options.format,
            dup_rate: options.dup_rate,
            recent: Vec::with_capacity(RECENT),
            first: FIRST.map(parts),
            last: LAST.map(parts),
        }
    }

    /// Appends user `i` (one JSON object, no separator) to `buf`.
    fn user(&mut self, i: u64, buf: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let sub = uuid_v4(rng.next_u64(), rng.next_u64());
        let first = rng.below(FIRST.len() as u64) as u8;
        let last = rng.below(LAST.len() as u64) as u8;
        let federated = rng.chance(0.05).then(|| {
            let provider = PROVIDERS[rng.below(PROVIDERS.len() as u64) as usize];
            (provider, rng.next_u64())
        });
        let mut email = Email {
            first,
            last,
            index: i,
            upper: false,
        };
        if !self.recent.is_empty() && rng.chance(self.dup_rate) {
            email = self.recent[rng.below(self.recent.len() as u64) as usize];
            email.upper = true;
        }
        if self.recent.len() < RECENT {
            self.recent.push(email);
        } else {
            self.recent[(i % RECENT as u64) as usize] = email;
        }

        buf.extend_from_slice(b"{\"Username\": \"");
        match federated {
            Some(((_, provider), id)) => {
                buf.extend_from_slice(provider.as_bytes());
                buf.push(b'_');
                push_u64(buf, id);
            }
            None => buf.extend_from_slice(&sub),
        }
        buf.extend_from_slice(b"\", \"Attributes\": [{\"Name\": \"sub\", \"Value\": \"");
        buf.extend_from_slice(&sub);
        buf.extend_from_slice(b"\"}");
        if rng.chance(0.3) {
            open_attribute(buf, "website");
            buf.extend_from_slice(b"https://example.com/");
            push_u64(buf, i);
            close_attribute(buf);
        }
        if !rng.chance(0.02) {
            open_attribute(buf, "email");
            let (first, last, domain) = if email.upper {
                let (f, l) = (
                    &self.first[email.first as usize].1,
                    &self.last[email.last as usize].1,
                );
                (f, l, "@EXAMPLE.COM")
            } else {
                let (f, l) = (
                    &self.first[email.first as usize].0,
                    &self.last[email.last as usize].0,
                );
                (f, l, "@example.com")
            };
            buf.extend_from_slice(first.as_bytes());
            buf.push(b'.');
            buf.extend_from_slice(last.as_bytes());
            buf.push(b'.');
            push_u64(buf, email.index);
            buf.extend_from_slice(domain.as_bytes());
            close_attribute(buf);
            attribute(
                buf,
                "email_verified",
                if rng.below(3) < 2 { "true" } else { "false" },
            );
        }
        attribute(buf, "given_name", FIRST[first as usize]);
        if rng.chance(0.4) {
            attribute(buf, "middle_name", "T");
        }
        attribute(buf, "family_name", LAST[last as usize]);
        if rng.chance(0.5) {
            open_attribute(buf, "phone_number");
            buf.extend_from_slice(b"+1303555");
            push_padded(buf, i % 10_000, 4);
            close_attribute(buf);
            attribute(buf, "phone_number_verified", "false");
        }
        if rng.chance(0.3) {
            open_attribute(buf, "birthdate");
            buf.extend_from_slice(b"19");
            push_padded(buf, 40 + rng.below(60), 2);
            buf.push(b'-');
            push_padded(buf, 1 + rng.below(12), 2);
            buf.push(b'-');
            push_padded(buf, 1 + rng.below(28), 2);
            close_attribute(buf);
        }
        if rng.chance(0.3) {
            attribute(buf, "zoneinfo", rng.pick(&TIME_ZONES));
            attribute(buf, "locale", rng.pick(&LOCALES));
        }
        if rng.chance(0.5) {
            attribute(buf, "custom:plan", rng.pick(&PLANS));
            open_attribute(buf, "custom:seats");
            push_u64(buf, 1 + rng.below(500));
            close_attribute(buf);
        }
        if let Some(((provider, _), id)) = federated {
            open_attribute(buf, "identities");
            buf.extend_from_slice(b"[{\\\"userId\\\":\\\"");
            push_u64(buf, id);
            buf.extend_from_slice(b"\\\",\\\"providerName\\\":\\\"");
            buf.extend_from_slice(provider.as_bytes());
            buf.extend_from_slice(b"\\\",\\\"providerType\\\":\\\"");
            buf.extend_from_slice(provider.as_bytes());
            buf.extend_from_slice(
                b"\\\",\\\"issuer\\\":null,\\\"primary\\\":true,\\\"dateCreated\\\":1637108867442}]",
            );
            close_attribute(buf);
        }
        let created = BASE + rng.below(100_000_001) as i64;
        let millis = rng.below(1000) as u32;
        let modified = created + 86_400 * rng.below(301) as i64;
        buf.extend_from_slice(b"], \"UserCreateDate\": ");
        push_date(buf, self.format, created, millis);
        buf.extend_from_slice(b", \"UserLastModifiedDate\": ");
        push_date(buf, self.format, modified, millis);
        buf.extend_from_slice(if rng.chance(0.03) {
            b", \"Enabled\": false, \"UserStatus\": \""
        } else {
            b", \"Enabled\": true, \"UserStatus\": \""
        });
        let status = if federated.is_some() {
            "EXTERNAL_PROVIDER"
        } else {
            match rng.below(23) {
                s @ 20.. => OTHER_STATUSES[s as usize - 20],
                _ => "CONFIRMED",
            }
        };
        buf.extend_from_slice(status.as_bytes());
        buf.extend_from_slice(b"\"}");
    }
}

/// The random stream: ChaCha8, which is fast and the same on every platform.
#[derive(Debug)]
struct Rng(ChaCha8Rng);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n` (`n > 0`), by multiply-and-shift: its bias, under n / 2^64,
    /// does not show at these sizes.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.0.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.0.next_u64() >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < p
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A UUID v4 in its lower-case text form, from 128 random bits.
fn uuid_v4(high: u64, low: u64) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let high = (high & !0xF000) | 0x4000;
    let low = (low & !(0xC000 << 48)) | (0x8000 << 48);
    let bits = (u128::from(high) << 64) | u128::from(low);
    let mut text = [b'-'; 36];
    let mut nibble = 0;
    for (at, byte) in text.iter_mut().enumerate() {
        if matches!(at, 8 | 13 | 18 | 23) {
            continue;
        }
        *byte = HEX[((bits >> (124 - 4 * nibble)) & 0xF) as usize];
        nibble += 1;
    }
    text
}

fn open_attribute(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b", {\"Name\": \"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\", \"Value\": \"");
}

fn close_attribute(buf: &mut Vec<u8>) {
    buf.extend_from_slice(b"\"}");
}

/// An attribute whose value needs no JSON escaping (every value here).
fn attribute(buf: &mut Vec<u8>, name: &str, value: &str) {
    open_attribute(buf, name);
    buf.extend_from_slice(value.as_bytes());
    close_attribute(buf);
}

fn push_u64(buf: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[at..]);
}

/// `value` in decimal, zero-padded to `width` digits.
fn push_padded(buf: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut rest = value;
    for at in (0..width).rev() {
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    if rest == 0 {
        buf.extend_from_slice(&digits[..width]);
    } else {
        push_u64(buf, value);
    }
}

/// A date at epoch second `secs` plus `millis`, as a JSON value in `format`.
fn push_date(buf: &mut Vec<u8>, format: Format, secs: i64, millis: u32) {
    match format {
        Format::Wire => {
            push_u64(buf, secs as u64);
            buf.push(b'.');
            if millis == 0 {
                buf.push(b'0');
            } else {
                // Python's float repr: no trailing zeros.
                let all = [
                    b'0' + (millis / 100) as u8,
                    b'0' + (millis / 10 % 10) as u8,
                    b'0' + (millis % 10) as u8,
                ];
                let mut digits = all.as_slice();
                while let [rest @ .., b'0'] = digits {
                    digits = rest;
                }
                buf.extend_from_slice(digits);
            }
        }
        Format::Cli2 => {
            buf.push(b'"');
            push_date_time(buf, secs + OFFSET_S);
            if millis != 0 {
                buf.push(b'.');
                push_padded(buf, u64::from(millis), 3);
                buf.extend_from_slice(b"000");
            }
            buf.extend_from_slice(b"-07:00\"");
        }
        Format::Backup => {
            buf.push(b'"');
            push_date_time(buf, secs);
            buf.push(b'.');
            push_padded(buf, u64::from(millis), 3);
            buf.extend_from_slice(b"Z\"");
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of `secs` seconds after the epoch (in whatever zone they count).
fn push_date_time(buf: &mut Vec<u8>, secs: i64) {
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u64);
    let (year, month, day) = civil_from_days(days);
    push_padded(buf, year as u64, 4);
    buf.push(b'-');
    push_padded(buf, u64::from(month), 2);
    buf.push(b'-');
    push_padded(buf, u64::from(day), 2);
    buf.push(b'T');
    push_padded(buf, second_of_day / 3600, 2);
    buf.push(b':');
    push_padded(buf, second_of_day / 60 % 60, 2);
    buf.push(b':');
    push_padded(buf, second_of_day % 60, 2);
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(format: Format, secs: i64, millis: u32) -> String {
        let mut buf = Vec::new();
        push_date(&mut buf, format, secs, millis);
        String::from_utf8(buf).unwrap()
    }

    /// The expected strings are Python's (`isoformat()`, `round(timestamp(), 3)`,
    /// `isoformat(timespec="milliseconds")` in UTC), as the Python generator wrote them.
    #[test]
    fn dates_as_python_wrote_them() {
        let cases = [
            (
                0,
                0,
                "\"2021-01-01T00:00:00-07:00\"",
                "1609484400.0",
                "\"2021-01-01T07:00:00.000Z\"",
            ),
            (
                86_399_999,
                120,
                "\"2023-09-27T23:59:59.120000-07:00\"",
                "1695884399.12",
                "\"2023-09-28T06:59:59.120Z\"",
            ),
            (
                100_000_000,
                999,
                "\"2024-03-03T09:46:40.999000-07:00\"",
                "1709484400.999",
                "\"2024-03-03T16:46:40.999Z\"",
            ),
            (
                12_345,
                100,
                "\"2021-01-01T03:25:45.100000-07:00\"",
                "1609496745.1",
                "\"2021-01-01T10:25:45.100Z\"",
            ),
        ];
        for (offset, millis, cli2, wire, backup) in cases {
            let secs = BASE + offset;
            assert_eq!(date(Format::Cli2, secs, millis), cli2);
            assert_eq!(date(Format::Wire, secs, millis), wire);
            assert_eq!(date(Format::Backup, secs, millis), backup);
        }
    }

    #[test]
    fn civil_dates_across_leap_years() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
    }

    #[test]
    fn uuids_are_version_4() {
        let text = uuid_v4(u64::MAX, 0);
        assert_eq!(&text, b"ffffffff-ffff-4fff-8000-000000000000");
        let text = uuid_v4(0, u64::MAX);
        assert_eq!(&text, b"00000000-0000-4000-bfff-ffffffffffff");
    }

    #[test]
    fn numbers() {
        let mut buf = Vec::new();
        push_u64(&mut buf, 0);
        buf.push(b' ');
        push_u64(&mut buf, u64::MAX);
        buf.push(b' ');
        push_padded(&mut buf, 7, 4);
        buf.push(b' ');
        push_padded(&mut buf, 12_345, 2);
        assert_eq!(buf, b"0 18446744073709551615 0007 12345");
    }

    #[test]
    fn email_parts_drop_apostrophes_and_upper_case_unicode() {
        let generator = Generator::new(&Options::default());
        assert_eq!(
            generator.last[4],
            ("obrien".to_owned(), "OBRIEN".to_owned())
        );
        assert_eq!(
            generator.first[11],
            ("łukasz".to_owned(), "ŁUKASZ".to_owned())
        );
        assert_eq!(generator.first[1], ("bjørn".to_owned(), "BJØRN".to_owned()));
    }
}
