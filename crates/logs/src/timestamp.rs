//! Timestamps as logs write them: BSD syslog's `Nov 27 00:31:57` (no year),
//! ISO 8601 / RFC 3339 (`2026-11-27T00:31:57.123+01:00`, also with a space
//! or with slashes), and the shapes other wrappers put in front of a daemon's
//! message: OpenWrt `logread`'s and `ctime`'s `Tue Dec 27 12:48:55 2020`,
//! RFC 2822's `Tue, 27 Dec 2020 12:48:55 +0000`, Android logcat's
//! `12-27 12:48:55.123`, journalctl's `short-unix` epoch seconds
//! (`1795739517.123456`). A clock alone (`12:48:55`, as some pastes carry)
//! and the kernel's monotonic `[ 123.456789]` are recognised as prefixes but
//! give no date, so they yield no [`Timestamp`] ([`skip_prefix`]).

use std::fmt;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A wall-clock time as written in a log line. BSD syslog lines carry no year
/// and no zone; ISO lines are kept in the zone they were written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// The year, where the line has one.
    pub year: Option<i32>,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
    /// Seconds since midnight.
    pub second_of_day: u32,
}

impl Timestamp {
    /// A UTC timestamp from seconds since the Unix epoch.
    pub fn from_unix(seconds: i64) -> Timestamp {
        let days = seconds.div_euclid(86_400);
        let second_of_day = seconds.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Timestamp {
            year: Some(year),
            month,
            day,
            second_of_day,
        }
    }

    /// Seconds since an arbitrary origin, for ordering and for measuring the
    /// time between two lines of the same log. Without a year, the year is
    /// taken as 0, so only timestamps of the same kind compare well.
    pub fn sort_key(&self) -> i64 {
        days_from_civil(self.year.unwrap_or(0), self.month, self.day) * 86_400
            + i64::from(self.second_of_day)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (
            self.second_of_day / 3600,
            self.second_of_day / 60 % 60,
            self.second_of_day % 60,
        );
        match self.year {
            Some(year) => write!(
                f,
                "{year:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}",
                self.month, self.day
            ),
            None => {
                let month = MONTHS
                    .get(usize::from(self.month.saturating_sub(1)))
                    .unwrap_or(&"???");
                write!(f, "{month} {:>2} {h:02}:{m:02}:{s:02}", self.day)
            }
        }
    }
}

/// Parses a timestamp at the start of `text`; returns it with the rest.
/// These are the shapes of the known syslog formats (BSD, ISO), tried on
/// every line: the fast path.
pub(crate) fn parse_prefix(text: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = parse_bsd(text).or_else(|| parse_iso(text))?;
    after_timestamp(ts, rest)
}

/// [`parse_prefix`] and every other shape a wrapper writes: tried only on
/// the prefix of a line whose daemon message was found by its shape.
pub(crate) fn parse_any_prefix(text: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = parse_bsd(text)
        .or_else(|| parse_iso(text))
        .or_else(|| parse_weekday(text))
        .or_else(|| parse_month_day(text))
        .or_else(|| parse_epoch(text))?;
    after_timestamp(ts, rest)
}

/// The length of a dateless time prefix at the start of `text`: a clock
/// (`12:48:55`, `12:48:55.123`) or the kernel's monotonic `[ 123.456]`.
pub(crate) fn skip_prefix(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let used = if let Some((_, used)) = clock(b) {
        used + fraction(&b[used..])
    } else if b.first() == Some(&b'[') {
        let inner = b[1..].iter().take_while(|&&c| c == b' ').count() + 1;
        let secs = b[inner..].iter().take_while(|c| c.is_ascii_digit()).count();
        if secs == 0 {
            return None;
        }
        let frac = fraction(&b[inner + secs..]);
        if frac == 0 || b.get(inner + secs + frac) != Some(&b']') {
            return None;
        }
        inner + secs + frac + 1
    } else {
        return None;
    };
    let used = used + usize::from(b.get(used) == Some(&b':'));
    matches!(b.get(used), None | Some(b' ' | b'\t')).then_some(used)
}

fn after_timestamp(ts: Timestamp, rest: &str) -> Option<(Timestamp, &str)> {
    // racoon's own log file: `2012-03-27 16:31:44: ERROR: ...`; pluto's
    // `logtime` stamps likewise end with a colon.
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((ts, rest))
}

fn month_of(b: &[u8]) -> Option<u8> {
    Some(match b.get(..3)? {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn is_weekday(b: &[u8]) -> bool {
    matches!(
        b.get(..3),
        Some(b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun")
    )
}

/// `Tue Dec 27 12:48:55 2020` (ctime, OpenWrt's logread), `Tue Dec 27
/// 12:48:55.123 CET 2020`, and RFC 2822's `Tue, 27 Dec 2020 12:48:55 +0000`.
fn parse_weekday(text: &str) -> Option<(Timestamp, &str)> {
    let b = text.as_bytes();
    if !is_weekday(b) {
        return None;
    }
    match b.get(3)? {
        b' ' => {
            let (mut ts, rest) = parse_bsd(&text[4..])?;
            // An optional zone name, then an optional year.
            let mut rest = rest;
            let (zone, after_zone) = next_token(rest);
            if zone.len() >= 3 && zone.len() <= 5 && zone.bytes().all(|c| c.is_ascii_uppercase()) {
                rest = after_zone;
            }
            let (year, after_year) = next_token(rest);
            if year.len() == 4 {
                if let Some((y, 4)) = digits(year.as_bytes(), 4, 4) {
                    ts.year = Some(y as i32);
                    rest = after_year;
                }
            }
            Some((ts, rest))
        }
        b',' => {
            // `, 27 Dec 2020 12:48:55 +0000`
            let mut i = 4 + usize::from(b.get(4) == Some(&b' '));
            let (day, used) = digits(b.get(i..)?, 1, 2)?;
            i += used;
            if b.get(i) != Some(&b' ') {
                return None;
            }
            let month = month_of(b.get(i + 1..)?)?;
            i += 4;
            if b.get(i) != Some(&b' ') {
                return None;
            }
            let (year, used) = digits(b.get(i + 1..)?, 4, 4)?;
            i += 1 + used;
            if b.get(i) != Some(&b' ') {
                return None;
            }
            let (second_of_day, used) = clock(b.get(i + 1..)?)?;
            i += 1 + used;
            let mut rest = &text[i..];
            let (zone, after_zone) = next_token(rest);
            if zone.starts_with(['+', '-']) || zone == "GMT" || zone == "UTC" {
                rest = after_zone;
            }
            let ts = Timestamp {
                year: Some(year as i32),
                month,
                day: day as u8,
                second_of_day,
            };
            valid(ts).then_some((ts, rest))
        }
        _ => None,
    }
}

/// Android logcat's `12-27 12:48:55.123` (no year).
fn parse_month_day(text: &str) -> Option<(Timestamp, &str)> {
    let b = text.as_bytes();
    let (month, _) = digits(b, 2, 2)?;
    if b.get(2) != Some(&b'-') {
        return None;
    }
    let (day, _) = digits(b.get(3..)?, 2, 2)?;
    if b.get(5) != Some(&b' ') {
        return None;
    }
    let (second_of_day, used) = clock(b.get(6..)?)?;
    let i = 6 + used + fraction(&b[6 + used..]);
    let ts = Timestamp {
        year: None,
        month: month as u8,
        day: day as u8,
        second_of_day,
    };
    valid(ts).then(|| (ts, &text[i..]))
}

/// journalctl `-o short-unix`: `1795739517.123456`. Ten digits and a
/// fraction, so that a pid or a counter is not taken for one.
fn parse_epoch(text: &str) -> Option<(Timestamp, &str)> {
    let b = text.as_bytes();
    let (seconds, used) = digits_u64(b, 10, 10)?;
    let frac = fraction(&b[used..]);
    if frac == 0 {
        return None;
    }
    let seconds = i64::try_from(seconds).ok()?;
    Some((Timestamp::from_unix(seconds), &text[used + frac..]))
}

/// The first space-separated token of `text` (after its leading spaces) and
/// what follows it.
fn next_token(text: &str) -> (&str, &str) {
    let text = text.trim_start_matches(' ');
    match text.find([' ', '\t']) {
        Some(end) => (&text[..end], &text[end..]),
        None => (text, ""),
    }
}

fn parse_bsd(text: &str) -> Option<(Timestamp, &str)> {
    let b = text.as_bytes();
    // Every syslog line starts so: a match, not a search of MONTHS.
    let month = month_of(b)?;
    if b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let (day, used) = digits(&b[i..], 1, 2)?;
    i += used;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    let (second_of_day, used) = clock(&b[i..])?;
    i += used;
    i += fraction(&b[i..]);
    let ts = Timestamp {
        year: None,
        month,
        day: day as u8,
        second_of_day,
    };
    valid(ts).then(|| (ts, &text[i..]))
}

fn parse_iso(text: &str) -> Option<(Timestamp, &str)> {
    let b = text.as_bytes();
    let (year, _) = digits(b, 4, 4)?;
    // `2026-11-27`, and `2026/11/27` as some appliances (Synology, VyOS
    // GUIs) and Windows tools write it.
    let separator = *b.get(4)?;
    if !matches!(separator, b'-' | b'/') || b.get(7) != Some(&separator) {
        return None;
    }
    let (month, _) = digits(&b[5..], 2, 2)?;
    let (day, _) = digits(&b[8..], 2, 2)?;
    if !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let mut i = 11;
    let (second_of_day, used) = clock(&b[i..])?;
    i += used;
    i += fraction(&b[i..]);
    // Zone: Z, +hh:mm, +hhmm, +hh.
    match b.get(i) {
        Some(b'Z') => i += 1,
        Some(b'+' | b'-') => {
            let (_, used) = digits(&b[i + 1..], 2, 4)?;
            i += 1 + used;
            if b.get(i) == Some(&b':') {
                let (_, used) = digits(&b[i + 1..], 2, 2)?;
                i += 1 + used;
            }
        }
        _ => {}
    }
    let ts = Timestamp {
        year: Some(year as i32),
        month: month as u8,
        day: day as u8,
        second_of_day,
    };
    valid(ts).then(|| (ts, &text[i..]))
}

fn valid(ts: Timestamp) -> bool {
    (1..=12).contains(&ts.month) && (1..=31).contains(&ts.day) && ts.second_of_day < 86_400
}

/// `hh:mm:ss` → seconds of day and bytes used.
fn clock(b: &[u8]) -> Option<(u32, usize)> {
    let (h, _) = digits(b, 2, 2)?;
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    let (m, _) = digits(&b[3..], 2, 2)?;
    let (s, _) = digits(&b[6..], 2, 2)?;
    (h < 24 && m < 60 && s < 61).then(|| (h * 3600 + m * 60 + s.min(59), 8))
}

/// `.123456` → bytes used.
fn fraction(b: &[u8]) -> usize {
    if matches!(b.first(), Some(b'.' | b',')) {
        let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            return n + 1;
        }
    }
    0
}

/// Between `min` and `max` ASCII digits → value and count.
/// (At most 9 digits: the value fits a `u32`.)
fn digits(b: &[u8], min: usize, max: usize) -> Option<(u32, usize)> {
    let (value, n) = digits_u64(b, min, max.min(9))?;
    Some((u32::try_from(value).ok()?, n))
}

/// [`digits`] for up to 19 digits.
fn digits_u64(b: &[u8], min: usize, max: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    let mut n = 0;
    while n < max.min(19) {
        match b.get(n) {
            Some(&d) if d.is_ascii_digit() => value = value * 10 + u64::from(d - b'0'),
            _ => break,
        }
        n += 1;
    }
    (n >= min).then_some((value, n))
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_timestamp_with_padded_day() {
        let (ts, rest) = parse_prefix("Nov  7 00:31:57 fw1 charon: x").expect("parses");
        assert_eq!((ts.month, ts.day, ts.second_of_day), (11, 7, 1917));
        assert_eq!(rest, " fw1 charon: x");
    }

    #[test]
    fn iso_timestamp_with_zone_and_fraction() {
        let (ts, rest) = parse_prefix("2026-11-27T00:31:57.123+01:00 fw1").expect("parses");
        assert_eq!(ts.year, Some(2026));
        assert_eq!(rest, " fw1");
        let (ts, _) = parse_prefix("2026-11-27T00:31:57+0100 fw1").expect("short-iso");
        assert_eq!(ts.day, 27);
    }

    #[test]
    fn racoon_file_timestamp_ends_with_colon() {
        let (_, rest) = parse_prefix("2012-03-27 16:31:44: ERROR: x").expect("parses");
        assert_eq!(rest, " ERROR: x");
    }

    #[test]
    fn unix_round_trip() {
        let ts = Timestamp::from_unix(1_795_739_517);
        assert_eq!(ts.to_string(), "2026-11-27T00:31:57");
        assert_eq!(Timestamp::from_unix(ts.sort_key()), ts);
    }

    #[test]
    fn weekday_forms_with_and_without_year() {
        let (ts, rest) =
            parse_any_prefix("Fri Jan 24 21:59:24 2025 authpriv.info ipsec: x").expect("logread");
        assert_eq!((ts.year, ts.month, ts.day), (Some(2025), 1, 24));
        assert_eq!(rest, " authpriv.info ipsec: x");
        let (ts, _) = parse_any_prefix("Thu Sep  9 12:06:53 2021 daemon.info : x").expect("pad");
        assert_eq!((ts.day, ts.second_of_day), (9, 12 * 3600 + 6 * 60 + 53));
        let (ts, rest) = parse_any_prefix("Tue Dec 27 12:48:55 CET 2020 x").expect("zone");
        assert_eq!((ts.year, rest), (Some(2020), " x"));
        let (ts, rest) = parse_any_prefix("Tue, 27 Dec 2020 12:48:55 +0000 x").expect("2822");
        assert_eq!((ts.year, ts.month, rest), (Some(2020), 12, " x"));
        assert!(parse_any_prefix("Tuesday is a day").is_none());
    }

    #[test]
    fn logcat_epoch_and_slashed_dates() {
        let (ts, rest) = parse_any_prefix("06-13 19:35:22.123  1234  5678 I charon").expect("lc");
        assert_eq!((ts.month, ts.day, ts.year), (6, 13, None));
        assert_eq!(rest, "  1234  5678 I charon");
        let (ts, _) = parse_any_prefix("1795739517.123456 fw1 charon[1]: x").expect("unix");
        assert_eq!(ts.to_string(), "2026-11-27T00:31:57");
        let (ts, _) = parse_prefix("2026/11/27 00:31:57 x").expect("slashes");
        assert_eq!(ts.day, 27);
        assert!(parse_any_prefix("1234567890 not a time").is_none());
        // Ten nines: more than a u32 holds (a fuzz find).
        let (ts, _) = parse_any_prefix("9999999999.5 x").expect("far future");
        assert!(ts.year.is_some_and(|y| y > 2200));
    }

    #[test]
    fn dateless_prefixes_are_skipped() {
        assert_eq!(skip_prefix("17:28:19 charon: x"), Some(8));
        assert_eq!(skip_prefix("17:28:19.123: x"), Some(13));
        assert_eq!(skip_prefix("[  123.456789] x"), Some(14));
        assert_eq!(skip_prefix("[IKE] x"), None);
        assert_eq!(skip_prefix("17:28 x"), None);
    }

    #[test]
    fn not_a_timestamp() {
        assert!(parse_prefix("Novel 27").is_none());
        assert!(parse_prefix("Nov 27 25:00:00 x").is_none());
        assert!(parse_prefix("2026-13-01T00:00:00").is_none());
    }
}
