//! The date and time forms Cognito exports use, turned into epoch milliseconds or `YYYY-MM-DD`.
//!
//! One instant can appear as `1637108867.442` (API, CLI v1, `--cli-timestamp-format wire`),
//! `2021-11-16T17:27:47.442000-07:00` (CLI v2), `2021-11-16 17:27:47.442000-07:00` (Python
//! `str()`), or `2021-11-17T00:27:47.442Z` (JS exporters). All of them parse here.

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether year (1..=9999), month and day form a real calendar date.
pub(crate) fn is_real_date(year: i64, month: u32, day: u32) -> bool {
    (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
}

/// Reads exactly `n` ASCII digits at `s[at..]`.
fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at + n)?;
    part.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Parses an epoch-seconds number given as text (`"1471453471"`, `"1682955829.578"`).
fn epoch_seconds_text(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let neg = int.starts_with('-');
    let int_digits = int.strip_prefix('-').unwrap_or(int);
    if int_digits.is_empty()
        || int_digits.len() > 12
        || !int_digits.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = int_digits.parse().ok()?;
    let mut ms = 0i64;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += i64::from(b - b'0') * [100, 10, 1][i];
    }
    let total = secs * 1000 + ms;
    Some(if neg { -total } else { total })
}

/// Epoch milliseconds from epoch seconds (the wire format), rounded to the millisecond.
pub(crate) fn millis_from_seconds(secs: f64) -> Option<i64> {
    let ms = (secs * 1000.0).round();
    // Beyond year 9999 or before year 0 is not a Cognito timestamp.
    (ms.is_finite() && ms.abs() < 253_402_300_800_000.0).then_some(ms as i64)
}

/// Epoch milliseconds from any textual form Cognito exports use: ISO-8601 with `T` or a space,
/// with `Z`, `±HH:MM`, `±HHMM` or no offset (read as UTC), any fraction; or epoch seconds as text.
pub(crate) fn epoch_millis(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(ms) = epoch_seconds_text(t) {
        return Some(ms);
    }
    let s = t.as_bytes();
    let year = i64::from(digits(s, 0, 4)?);
    let month = digits(s, 5, 2)?;
    let day = digits(s, 8, 2)?;
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') || !is_real_date(year, month, day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if s.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(s, 11, 2)?;
    let minute = digits(s, 14, 2)?;
    if s.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut at = 16;
    let mut second = 0;
    if s.get(at) == Some(&b':') {
        second = digits(s, 17, 2)?;
        if second > 60 {
            return None;
        }
        at = 19;
    }
    let mut millis = 0i64;
    if matches!(s.get(at), Some(b'.' | b',')) {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis += i64::from(s[at] - b'0') * [100, 10, 1][at - start];
            }
            at += 1;
        }
        if at == start {
            return None;
        }
    }
    let offset_minutes: i64 = match s.get(at) {
        None => 0,
        Some(b'Z' | b'z') if at + 1 == s.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(s, at + 1, 2)?;
            let (om, end) = if s.get(at + 3) == Some(&b':') {
                (digits(s, at + 4, 2)?, at + 6)
            } else if s.len() == at + 3 {
                (0, at + 3)
            } else {
                (digits(s, at + 3, 2)?, at + 5)
            };
            if end != s.len() || oh > 23 || om > 59 {
                return None;
            }
            let m = i64::from(oh * 60 + om);
            if sign == b'-' {
                -m
            } else {
                m
            }
        }
        _ => return None,
    };
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

/// Whether `text` is already a real date written `YYYY-MM-DD` (no allocation).
pub(crate) fn is_iso_date(text: &str) -> bool {
    let s = text.as_bytes();
    s.len() == 10
        && s[4] == b'-'
        && s[7] == b'-'
        && matches!(
            (digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)),
            (Some(y), Some(m), Some(d)) if is_real_date(i64::from(y), m, d)
        )
}

/// A calendar date as `YYYY-MM-DD`, from `YYYY-MM-DD` or the import CSV's `mm/dd/yyyy`.
/// Returns `None` for anything that is not a real date (including OIDC's `0000-MM-DD`).
pub(crate) fn calendar_date(text: &str) -> Option<String> {
    let s = text.trim().as_bytes();
    let (year, month, day) = match (s.len(), s.get(2), s.get(4)) {
        (10, _, Some(b'-')) if s[7] == b'-' => {
            (digits(s, 0, 4)?, digits(s, 5, 2)?, digits(s, 8, 2)?)
        }
        (10, Some(b'/'), _) if s[5] == b'/' => {
            (digits(s, 6, 4)?, digits(s, 0, 2)?, digits(s, 3, 2)?)
        }
        _ => return None,
    };
    is_real_date(i64::from(year), month, day).then(|| format!("{year:04}-{month:02}-{day:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTANT: i64 = 1_637_108_867_442;

    #[test]
    fn every_export_date_form_gives_the_same_instant() {
        for form in [
            "1637108867.442",
            "2021-11-16T17:27:47.442000-07:00",
            "2021-11-16 17:27:47.442000-07:00",
            "2021-11-17T00:27:47.442Z",
            "2021-11-17T00:27:47.442+00:00",
            "2021-11-17T09:27:47.442+0900",
            "2021-11-17T00:27:47.442",
        ] {
            assert_eq!(epoch_millis(form), Some(INSTANT), "{form}");
        }
    }

    #[test]
    fn no_fraction_and_integer_seconds() {
        assert_eq!(
            epoch_millis("2025-12-13T14:38:41+09:00"),
            Some(1_765_604_321_000)
        );
        assert_eq!(epoch_millis("1471453471"), Some(1_471_453_471_000));
        assert_eq!(epoch_millis("1689030181.63"), Some(1_689_030_181_630));
        assert_eq!(
            millis_from_seconds(1_682_955_829.578),
            Some(1_682_955_829_578)
        );
    }

    #[test]
    fn garbage_is_rejected_not_panicking() {
        for bad in [
            "",
            "2021-13-01T00:00:00Z",
            "2021-02-30",
            "yesterday",
            "2021-11-16T25:00:00Z",
            "2021-11-16T10:00:00+",
            "2021-11-16T10:00:00.Z",
            "٣٣٣٣-01-01",
            "2021-11-16X",
            "1e9",
            "-",
            ".5",
        ] {
            assert_eq!(epoch_millis(bad), None, "{bad}");
        }
        assert_eq!(millis_from_seconds(f64::NAN), None);
        assert_eq!(millis_from_seconds(1e300), None);
    }

    #[test]
    fn calendar_dates_in_both_forms() {
        assert_eq!(calendar_date("1985-02-01").as_deref(), Some("1985-02-01"));
        assert_eq!(calendar_date("02/01/1985").as_deref(), Some("1985-02-01"));
        assert_eq!(calendar_date("2000-02-29").as_deref(), Some("2000-02-29"));
        assert_eq!(calendar_date("1900-02-29"), None);
        assert_eq!(calendar_date("0000-05-17"), None);
        assert_eq!(calendar_date("1985"), None);
        assert_eq!(calendar_date("1985/02/01"), None);
        assert!(
            is_iso_date("2000-02-29") && !is_iso_date("1900-02-29") && !is_iso_date("02/01/1985")
        );
    }
}
