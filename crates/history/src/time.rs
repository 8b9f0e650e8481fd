//! Durations (`90d`), dates and RFC 3339 times, without a date library:
//! civil-from-days arithmetic in UTC.

use std::time::Duration;

const MS_PER_DAY: i64 = 86_400_000;

const SINCE_HELP: &str = "expected a duration like 2h, 30m, 90d, 1w or 45s, \
                          a date like 2026-12-01, or a time like 2026-12-01T10:00:00Z";

/// Reads `--since`: a duration back from `now_ms` (`"2h"`, `"30m"`,
/// `"90d"`, `"1w"`, `"45s"`, or a sum such as `"1h30m"`), a date
/// (`"2026-12-01"`, midnight UTC) or an RFC 3339 time
/// (`"2026-12-01T10:00:00Z"`, `"2026-12-01T12:00:00+02:00"`). Returns unix
/// milliseconds; the error names the text and what was expected.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, String> {
    let t = text.trim();
    if t.starts_with(|c: char| c.is_ascii_digit()) && t.ends_with(|c: char| c.is_ascii_alphabetic())
    {
        if let Ok(d) = parse_duration(t) {
            let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
            return Ok(now_ms.saturating_sub(ms));
        }
    }
    parse_time(t).ok_or_else(|| format!("cannot read since {text:?}: {SINCE_HELP}"))
}

/// Reads a duration such as `--retain 90d`: a number and a unit (`s`,
/// `m`, `h`, `d`, `w`), or a sum such as `"1h30m"`. The error names the
/// text and what was expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| {
        format!("cannot read duration {text:?}: {why} (expected a number and a unit: 45s, 30m, 2h, 90d, 1w)")
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut secs: u64 = 0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad("a unit must follow a number"));
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| bad("the number is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            "" => return Err(bad("the number has no unit")),
            _ => return Err(bad("unknown unit")),
        };
        rest = &rest[unit_len..];
        secs = number
            .checked_mul(scale)
            .and_then(|s| secs.checked_add(s))
            .filter(|s| *s <= (i64::MAX as u64) / 1000)
            .ok_or_else(|| bad("it is too long"))?;
    }
    Ok(Duration::from_secs(secs))
}

/// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to unix ms.
fn parse_time(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = b.get(from..from + len)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (num(5, 2)?, num(8, 2)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if b.len() == 10 {
        return Some(date_ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    // A leap second (:60) reads as the last millisecond before the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut frac_ms = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // Milliseconds: the first three digits, padded.
        for k in 0..3 {
            frac_ms = frac_ms * 10
                + b.get(start + k)
                    .filter(|_| start + k < i)
                    .map_or(0, |d| i64::from(d - b'0'));
        }
    }
    let offset_ms = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 60 + om) * 60_000;
            if *sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => return None,
    };
    let (second, frac_ms) = if second == 60 {
        (59, 999)
    } else {
        (second, frac_ms)
    };
    Some(date_ms + ((hour * 60 + minute) * 60 + second) * 1000 + frac_ms - offset_ms)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Unix ms as UTC RFC 3339: `2026-12-01T10:00:00Z`, with `.123` when the
/// milliseconds are not zero.
pub(crate) fn format_rfc3339(at_ms: i64) -> String {
    let days = at_ms.div_euclid(MS_PER_DAY);
    let in_day = at_ms.rem_euclid(MS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let (secs, ms) = (in_day / 1000, in_day % 1000);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 365, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn formats_extremes_without_panicking() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
        let _ = format_rfc3339(i64::MAX);
        let _ = format_rfc3339(i64::MIN);
    }
}
