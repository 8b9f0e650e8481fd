//! A received syslog frame made into one log line: decoded, cleaned, and
//! given the sender's address as its host when it names none.
//!
//! The engine downstream (`ipsec-doctor-logs`) reads raw syslog messages
//! itself, `<PRI>` included, so a message is kept as it came. The only
//! change made to its words is the host: a message without one (OpenWrt's
//! `<30>Dec  1 10:00:00 charon[12]: ...`, an RFC 5424 message with the
//! NILVALUE host `-`) would otherwise merge every such sender into one
//! host, so the sender's IP address is put where the host belongs.
//!
//! The checks mirror what the engine takes for a timestamp and a program
//! tag (`crates/logs/src/frame.rs`, `timestamp.rs`): a host is inserted
//! only where the engine would then read it as the host, and a message
//! whose shape is not recognised is left exactly as it was.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv6Addr};

/// `frame` as one line of text, the sender's address inserted as the host
/// when the message carries none.
///
/// - Invalid UTF-8 is replaced lossily (U+FFFD), NUL bytes are removed,
///   trailing CR/LF are stripped, and a CR or LF inside the frame becomes a
///   space (a line stays one line).
/// - With `sender` given and no host in the message, the sender becomes the
///   host:
///   - RFC 3164 `<PRI>TIMESTAMP TAG: MSG` (a tag ends in `:`, or is
///     `name[pid]:`) becomes `<PRI>TIMESTAMP SENDER TAG: MSG`;
///   - RFC 5424 with the NILVALUE host, `<PRI>1 TIMESTAMP - APP ...`, becomes
///     `<PRI>1 TIMESTAMP SENDER APP ...`;
///   - a message with a priority and a tag but no timestamp,
///     `<PRI>name[pid]: MSG`, becomes the RFC 5424 message
///     `<PRI>1 - SENDER name pid - - MSG` (NILVALUE timestamp), because a
///     host is read only after a timestamp in RFC 3164.
/// - Anything else (a host is present, or the shape is not recognised) is
///   kept as received.
///
/// Never panics, whatever the bytes.
pub fn normalise(frame: &[u8], sender: Option<IpAddr>) -> String {
    let text = clean(frame);
    match sender {
        Some(ip) => insert_host(&text, ip).unwrap_or(text),
        None => text,
    }
}

/// Lossy UTF-8, without NUL, trailing CR/LF, or CR/LF inside.
fn clean(frame: &[u8]) -> String {
    let text = String::from_utf8_lossy(frame);
    let trimmed = text.trim_end_matches(['\r', '\n', '\0']);
    if !trimmed.contains(['\0', '\r', '\n']) {
        return trimmed.to_owned();
    }
    trimmed
        .chars()
        .filter(|&c| c != '\0')
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect()
}

/// The message with `ip` as its host, or `None` to keep it as it is.
fn insert_host(text: &str, ip: IpAddr) -> Option<String> {
    let (pri, rest) = match split_priority(text) {
        Some((pri, rest)) => (Some(pri), rest),
        None => (None, text),
    };
    let offset = text.len() - rest.len();
    if pri.is_some() {
        if let Some(after_version) = rest.strip_prefix("1 ") {
            return insert_host_5424(text, offset + 2, after_version, ip);
        }
    }
    match timestamp_len(rest) {
        Some(used) => {
            // The timestamp, then one blank, then the host or the tag.
            let after = &rest[used..];
            let blanks = after.len() - after.trim_start_matches([' ', '\t']).len();
            if blanks == 0 {
                return None;
            }
            let token_start = offset + used + blanks;
            let token = first_token(&text[token_start..]);
            if token.is_empty() || !is_tag(token) {
                return None;
            }
            Some(format!(
                "{}{ip} {}",
                &text[..token_start],
                &text[token_start..]
            ))
        }
        None => {
            // `<PRI>charon[12]: MSG`: no timestamp, so no place for a host
            // in RFC 3164; written as RFC 5424 with a NILVALUE timestamp.
            let pri = pri?;
            let token = first_token(rest);
            let (app, procid) = split_tag(token)?;
            let message = &rest[token.len()..];
            let message = message.strip_prefix(' ').unwrap_or(message);
            Some(format!("{pri}1 - {ip} {app} {procid} - - {message}"))
        }
    }
}

/// RFC 5424 after `<PRI>1 ` (at `start` in `text`): `TIMESTAMP HOST ...`;
/// the host replaced when it is the NILVALUE `-`.
fn insert_host_5424(text: &str, start: usize, after_version: &str, ip: IpAddr) -> Option<String> {
    let ts_len = after_version.find(' ')?;
    let host_start = start + ts_len + 1;
    let host = first_token(&text[host_start..]);
    if host != "-" {
        return None;
    }
    Some(format!(
        "{}{ip}{}",
        &text[..host_start],
        &text[host_start + 1..]
    ))
}

/// `<30>` (one to three digits, as the engine takes it) and what follows.
fn split_priority(text: &str) -> Option<(&str, &str)> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    if end == 0 || end > 3 || !inner[..end].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&text[..end + 2], &inner[end + 1..]))
}

/// The text up to the first space or tab.
fn first_token(text: &str) -> &str {
    match text.find([' ', '\t']) {
        Some(end) => &text[..end],
        None => text,
    }
}

/// A program tag, not a host: it ends in `:`, or holds `[` followed later
/// by `]:`. An IPv6 address ending in `:` (`2001:db8::`) is a host.
fn is_tag(token: &str) -> bool {
    if let Some(body) = token.strip_suffix(':') {
        if body.parse::<Ipv6Addr>().is_ok() || token.parse::<Ipv6Addr>().is_ok() {
            return false;
        }
        return true;
    }
    match token.find('[') {
        Some(open) => token[open..].contains("]:"),
        None => false,
    }
}

/// `name[pid]:` or `name:` → the RFC 5424 APP-NAME and PROCID (`-` without
/// a pid). Only printable ASCII names of at most 48 characters, and digits
/// for a pid, as RFC 5424 allows them.
fn split_tag(token: &str) -> Option<(&str, Cow<'_, str>)> {
    let body = token.strip_suffix(':')?;
    let (name, pid) = match body.find('[') {
        Some(open) => {
            let pid = body[open + 1..].strip_suffix(']')?;
            if pid.is_empty() || pid.len() > 128 || !pid.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (&body[..open], Cow::Borrowed(pid))
        }
        None => (body, Cow::Borrowed("-")),
    };
    let printable = |b: u8| b.is_ascii_graphic() && !matches!(b, b'[' | b']' | b':');
    if name.is_empty() || name.len() > 48 || !name.bytes().all(printable) {
        return None;
    }
    if !name.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some((name, pid))
}

/// The length of a timestamp the engine reads at the start of a BSD syslog
/// line: `Mmm dd hh:mm:ss[.frac]` (the day space-padded or not) or ISO 8601
/// `yyyy-mm-ddThh:mm:ss[.frac][Z|±hh[:mm]]`, with an optional `:` after it.
fn timestamp_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    let used = bsd_len(b).or_else(|| iso_len(b))?;
    let used = if b.get(used) == Some(&b':') {
        used + 1
    } else {
        used
    };
    match b.get(used) {
        None | Some(b' ' | b'\t') => Some(used),
        _ => None,
    }
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn bsd_len(b: &[u8]) -> Option<usize> {
    let month = b.get(..3)?;
    if !MONTHS.contains(&month) || b.get(3) != Some(&b' ') {
        return None;
    }
    let mut i = 4;
    if b.get(i) == Some(&b' ') {
        i += 1;
    }
    let day = digit_run(&b[i..], 1, 2)?;
    i += day;
    if b.get(i) != Some(&b' ') {
        return None;
    }
    i += 1;
    i += clock_len(b.get(i..)?)?;
    Some(i + fraction_len(&b[i..]))
}

fn iso_len(b: &[u8]) -> Option<usize> {
    digit_run(b, 4, 4)?;
    let separator = *b.get(4)?;
    if !matches!(separator, b'-' | b'/') || b.get(7) != Some(&separator) {
        return None;
    }
    digit_run(b.get(5..)?, 2, 2)?;
    digit_run(b.get(8..)?, 2, 2)?;
    if !matches!(b.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let mut i = 11;
    i += clock_len(b.get(i..)?)?;
    i += fraction_len(&b[i..]);
    match b.get(i) {
        Some(b'Z') => i += 1,
        Some(b'+' | b'-') => {
            i += 1 + digit_run(b.get(i + 1..)?, 2, 4)?;
            if b.get(i) == Some(&b':') {
                if let Some(n) = b.get(i + 1..).and_then(|r| digit_run(r, 2, 2)) {
                    i += 1 + n;
                }
            }
        }
        _ => {}
    }
    Some(i)
}

/// `hh:mm:ss` → 8.
fn clock_len(b: &[u8]) -> Option<usize> {
    let ok = b.len() >= 8
        && b[2] == b':'
        && b[5] == b':'
        && [0, 1, 3, 4, 6, 7].iter().all(|&i| b[i].is_ascii_digit());
    ok.then_some(8)
}

/// `.123456` or `,123` → its length; 0 when absent.
fn fraction_len(b: &[u8]) -> usize {
    if matches!(b.first(), Some(b'.' | b',')) {
        let n = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            return n + 1;
        }
    }
    0
}

/// Between `min` and `max` leading ASCII digits → their count.
fn digit_run(b: &[u8], min: usize, max: usize) -> Option<usize> {
    let n = b
        .iter()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    (n >= min).then_some(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip() -> Option<IpAddr> {
        Some("192.0.2.7".parse().unwrap())
    }

    fn norm(text: &str) -> String {
        normalise(text.as_bytes(), ip())
    }

    #[test]
    fn rfc3164_with_host_is_kept() {
        let line = "<30>Dec  1 10:00:00 fw1 charon[12]: 13[IKE] initiating";
        assert_eq!(norm(line), line);
        let line = "<30>Dec 11 10:00:00 fw1 charon: 13[IKE] initiating";
        assert_eq!(norm(line), line);
        // A host, then a message that is no tag: still a host.
        let line = "<30>Dec  1 10:00:00 fw1 hello world";
        assert_eq!(norm(line), line);
        // rsyslog's colonless tag after a host.
        let line = "<30>Dec  1 10:00:00 fw1 charon-systemd 08[IKE] x";
        assert_eq!(norm(line), line);
    }

    #[test]
    fn rfc3164_without_host_gets_sender() {
        assert_eq!(
            norm("<30>Dec  1 10:00:00 charon[12]: 13[IKE] initiating"),
            "<30>Dec  1 10:00:00 192.0.2.7 charon[12]: 13[IKE] initiating"
        );
        assert_eq!(
            norm("<30>Dec 11 10:00:00 charon: 13[IKE] x"),
            "<30>Dec 11 10:00:00 192.0.2.7 charon: 13[IKE] x"
        );
        assert_eq!(
            norm("<30>Dec  1 10:00:00.123 charon[12]: x"),
            "<30>Dec  1 10:00:00.123 192.0.2.7 charon[12]: x"
        );
        // A tag whose pid is not the end: `[` ... `]:`.
        assert_eq!(
            norm("<30>Dec  1 10:00:00 ipsec_starter[5]: x"),
            "<30>Dec  1 10:00:00 192.0.2.7 ipsec_starter[5]: x"
        );
    }

    #[test]
    fn iso_timestamps_in_bsd_layout() {
        assert_eq!(
            norm("<30>2026-12-01T10:00:01.5+01:00 charon[3]: x"),
            "<30>2026-12-01T10:00:01.5+01:00 192.0.2.7 charon[3]: x"
        );
        let line = "<30>2026-12-01T10:00:01Z fw3 charon[3]: x";
        assert_eq!(norm(line), line);
    }

    #[test]
    fn without_priority() {
        assert_eq!(
            norm("Dec  1 10:00:00 charon[12]: x"),
            "Dec  1 10:00:00 192.0.2.7 charon[12]: x"
        );
        let line = "Dec  1 10:00:00 fw1 charon[12]: x";
        assert_eq!(norm(line), line);
        // Neither priority nor timestamp: nowhere to put a host.
        let line = "charon: 13[IKE] x";
        assert_eq!(norm(line), line);
    }

    #[test]
    fn priority_and_tag_only_becomes_rfc5424() {
        assert_eq!(
            norm("<30>charon: 13[IKE] x"),
            "<30>1 - 192.0.2.7 charon - - - 13[IKE] x"
        );
        assert_eq!(
            norm("<30>charon[12]: 13[IKE] x"),
            "<30>1 - 192.0.2.7 charon 12 - - 13[IKE] x"
        );
        // Not a tag: kept.
        let line = "<30>hello world";
        assert_eq!(norm(line), line);
        let line = "<30>charon[x]: y";
        assert_eq!(norm(line), line);
    }

    #[test]
    fn rfc5424() {
        let line = "<30>1 2026-12-01T10:00:01.000Z fw2 charon 123 - - 13[IKE] x";
        assert_eq!(norm(line), line);
        assert_eq!(
            norm("<30>1 2026-12-01T10:00:01.000Z - charon 123 - - 13[IKE] x"),
            "<30>1 2026-12-01T10:00:01.000Z 192.0.2.7 charon 123 - - 13[IKE] x"
        );
        assert_eq!(
            norm("<30>1 - - charon - - - x"),
            "<30>1 - 192.0.2.7 charon - - - x"
        );
        // A host `-x` is a host.
        let line = "<30>1 - -x charon - - - x";
        assert_eq!(norm(line), line);
        // Truncated header.
        assert_eq!(norm("<30>1 2026"), "<30>1 2026");
        assert_eq!(norm("<30>1 2026 -"), "<30>1 2026 192.0.2.7");
    }

    #[test]
    fn ipv6_sender_and_ipv6_host() {
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(
            normalise(b"<30>Dec  1 10:00:00 charon: x", Some(v6)),
            "<30>Dec  1 10:00:00 2001:db8::1 charon: x"
        );
        let line = "<30>Dec  1 10:00:00 2001:db8:: charon: x";
        assert_eq!(normalise(line.as_bytes(), Some(v6)), line);
    }

    #[test]
    fn no_sender_keeps_text() {
        let line = "<30>Dec  1 10:00:00 charon[12]: x";
        assert_eq!(normalise(line.as_bytes(), None), line);
    }

    #[test]
    fn cleaning() {
        assert_eq!(
            norm("<30>Dec  1 10:00:00 fw1 a: b\r\n"),
            "<30>Dec  1 10:00:00 fw1 a: b"
        );
        assert_eq!(
            norm("<30>Dec  1 10:00:00 fw1 a: b\n\0"),
            "<30>Dec  1 10:00:00 fw1 a: b"
        );
        assert_eq!(norm("x\0y\nz"), "xy z");
        assert_eq!(normalise(b"a\xffb", None), "a\u{fffd}b");
        assert_eq!(normalise(b"", ip()), "");
        assert_eq!(normalise(b"\0\0\r\n", ip()), "");
    }

    /// A second, independent reader (syslog_loose) finds the sender as the
    /// host where one was inserted, and the original host where it was kept.
    #[test]
    fn another_parser_reads_the_inserted_host() {
        use syslog_loose::{parse_message, Variant};
        for (input, host, app) in [
            (
                "<30>Dec  1 10:00:00 charon[12]: 13[IKE] x",
                "192.0.2.7",
                "charon",
            ),
            (
                "<30>Dec  1 10:00:00 charon: 13[IKE] x",
                "192.0.2.7",
                "charon",
            ),
            ("<30>Dec  1 10:00:00 fw1 charon[12]: x", "fw1", "charon"),
            (
                "<30>1 2026-12-01T10:00:01.000Z - charon 123 - - x",
                "192.0.2.7",
                "charon",
            ),
            (
                "<30>1 2026-12-01T10:00:01.000Z fw2 charon 123 - - x",
                "fw2",
                "charon",
            ),
            // (`<30>charon: x`, written with a NILVALUE timestamp, is left
            // out: syslog_loose 0.21 requires a timestamp in RFC 5424.)
        ] {
            let line = norm(input);
            let message = parse_message(&line, Variant::Either);
            assert_eq!(message.hostname, Some(host), "{line}");
            assert_eq!(message.appname, Some(app), "{line}");
            assert!(message.msg.ends_with('x'), "{line}: {:?}", message.msg);
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..400 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    // Mostly bytes syslog is made of, some of any value.
                    let alphabet = b"<>0123456789 :[]-TZ.DecJan\xff\xc3\0\n";
                    if seed.is_multiple_of(5) {
                        (seed >> 8) as u8
                    } else {
                        alphabet[(seed >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            let _ = normalise(&bytes, ip());
        }
        for text in [
            "<",
            "<>",
            "<1",
            "<1>",
            "<1>1",
            "<1>1 ",
            "<999>x",
            "<30>Dec",
            "<30>Dec  1",
            "<30>Dec  1 10:00:00",
            "<30>Dec  1 10:00:00 ",
            "<30>Dec  1 10:00:00:",
            ":",
            "<30>[",
            "<30>a[",
            "<30>a[]:",
            "2026-12-01T10:00:00+",
            "<30>\u{e9}:",
        ] {
            let _ = norm(text);
        }
        assert_eq!(
            norm("<30>Dec  1 10:00:00: charon: x"),
            "<30>Dec  1 10:00:00: 192.0.2.7 charon: x"
        );
    }
}
