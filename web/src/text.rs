//! How numbers and sizes are written on the page.

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte count in B, kB, MB or GB (powers of 1000, one decimal above kB).
pub fn size(bytes: u64) -> String {
    const UNITS: [(&str, f64); 3] = [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    UNITS
        .iter()
        .find(|(_, scale)| bytes as f64 >= *scale)
        .map_or_else(
            || format!("{bytes} B"),
            |(unit, scale)| format!("{:.1} {unit}", bytes as f64 / scale),
        )
}

/// `what` with an `s` unless there is one.
pub fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", count(n), if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn sizes_pick_a_unit() {
        assert_eq!(size(12), "12 B");
        assert_eq!(size(15_577), "15.6 kB");
        assert_eq!(size(660_000_000), "660.0 MB");
        assert_eq!(plural(1, "user"), "1 user");
        assert_eq!(plural(2, "user"), "2 users");
    }
}
