//! Finding a daemon's message by its own shape, wherever it sits in a line.
//!
//! The known formats (`frame`'s fast path) cover what daemons and syslog
//! servers write. What people hand over is wrapped further: OpenWrt's
//! `logread` (`Fri Jan 24 21:59:24 2025 authpriv.info ipsec: 09[CFG] ...`),
//! Android logcat (`I/charon  (14804): 13[IKE] ...`, `06-13 19:35:22.123
//! 1234 5678 I charon  : 13[IKE] ...`), GUI rows whose tabs became spaces,
//! quoted (`> `), numbered, indented or bold-marked forum pastes, `ipsec auto
//! --up` output (`002 "conn" #1: ...`). Rather than a format per wrapper,
//! the message is found by the shape the daemon gives it, and whatever
//! stands before it is a prefix from which a timestamp, a host and a program
//! are taken where they can be:
//!
//! - charon: its thread and log group, `NN[GRP] ` (also `NN[GRPn]` with the
//!   level, and `[GRP] ` without a thread, as `swanctl --log` prints), with
//!   a known group name (strongSwan's `debug.c`: the same 18 names in 4.x to
//!   6.x);
//! - a known program tag anywhere (`ipsec:`, `charon[42]:`, `pluto[7]:`,
//!   `racoon:`, logcat's `I/charon  (42):`);
//! - pluto: its connection prefix `"conn"[N] ADDR #N: ` or `"conn" #N: `,
//!   `packet from ADDR:PORT: `, and at the start of a line whack's
//!   three-digit reply code (`002 `, `010 `, `181 `: Libreswan's
//!   `rc_type`, 0-299).

use std::borrow::Cow;

use super::{frame_charon_body, program_tag, Daemon, Format, Framed};
use crate::timestamp;

/// charon's log groups (strongSwan `src/libstrongswan/utils/debug.c`,
/// `debug_names`; unchanged from 4.x to 6.x).
const CHARON_GROUPS: &[&str] = &[
    "DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN", "ENC", "TNC", "IMC", "IMV",
    "PTS", "TLS", "APP", "ESP", "LIB",
];

/// What marks the start of the daemon's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// `13[IKE] `: charon's own prefix starts here.
    Charon,
    /// A program tag of a known daemon; the message follows the tag.
    Program {
        daemon: Daemon,
        pid: Option<u32>,
        /// Where the message starts.
        message: usize,
    },
    /// pluto's connection or packet prefix starts here.
    Pluto,
}

/// The line framed by the shape of the daemon message in it, or `None` if
/// there is none.
///
/// `strict` (for a line of another program) leaves out pluto's weak form,
/// `"conn": ` alone, which other programs' text also has.
pub(super) fn frame_by_shape(line: &str, strict: bool) -> Option<Framed<'_>> {
    let (start, anchor) = match find_anchor(line, strict) {
        Some(found) => found,
        None => {
            // whack's reply code at the start: `002 listening for IKE messages`.
            let code = whack_code(line)?;
            let message = line[code..].trim();
            if message.is_empty() {
                return None;
            }
            let mut framed = Framed::bare(Format::Wrapped, message);
            framed.daemon = Daemon::Pluto;
            return Some(framed);
        }
    };
    let prefix = &line[..start];
    let parts = read_prefix(prefix, matches!(anchor, Anchor::Program { .. }));
    let mut framed = match anchor {
        Anchor::Charon => {
            let daemon = match parts.daemon {
                Some(d @ Daemon::CharonSystemd) => d,
                _ => Daemon::Charon,
            };
            frame_charon_body(&line[start..], daemon)?
        }
        Anchor::Program {
            daemon,
            pid,
            message,
        } => {
            let text = &line[message..];
            let mut framed = if daemon.is_charon() {
                frame_charon_body(text, daemon)?
            } else {
                Framed::bare(Format::Wrapped, text.trim())
            };
            framed.daemon = daemon;
            framed.pid = pid;
            framed
        }
        Anchor::Pluto => {
            let mut framed = Framed::bare(Format::Wrapped, line[start..].trim_end());
            framed.daemon = Daemon::Pluto;
            framed
        }
    };
    framed.format = Format::Wrapped;
    framed.timestamp = parts.timestamp;
    framed.host = parts.host.map(Cow::Borrowed);
    if framed.pid.is_none() {
        framed.pid = parts.pid;
    }
    Some(framed)
}

/// Where the first daemon message starts, and by which shape it was found.
fn find_anchor(line: &str, strict: bool) -> Option<(usize, Anchor)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at_boundary = i == 0 || is_boundary(bytes[i - 1]);
        if at_boundary {
            if let Some(anchor) = anchor_at(line, i, strict) {
                return Some((i, anchor));
            }
        }
        i += 1;
    }
    None
}

/// The bytes after which a message may start: blanks and the marks pastes
/// and GUI views put between columns.
fn is_boundary(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'|' | b'>' | b'*' | b'`' | b':' | b',' | b'\'' | b'"'
    )
}

fn anchor_at(line: &str, i: usize, strict: bool) -> Option<Anchor> {
    let rest = &line[i..];
    let first = *rest.as_bytes().first()?;
    if first.is_ascii_digit() || first == b'[' {
        // Without a thread number (`[CFG] `, as swanctl prints), only at
        // the start of the line, after blanks and paste marks.
        let bare_group = first == b'[';
        if charon_prefix(rest)
            && (!bare_group
                || line[..i]
                    .bytes()
                    .all(|b| b.is_ascii_whitespace() || is_mark(b as char)))
        {
            return Some(Anchor::Charon);
        }
        return None;
    }
    if first == b'"' {
        // The weak form (`"conn": `) only where what stands before names
        // pluto or is no more than a time, a host and a column or two: not
        // inside a JSON document or another program's sentence.
        let weak_ok = !strict && weak_prefix(&line[..i]);
        return pluto_connection(rest, !weak_ok).then_some(Anchor::Pluto);
    }
    if rest.starts_with("packet from ") && packet_from(&rest["packet from ".len()..]) {
        return Some(Anchor::Pluto);
    }
    if first.is_ascii_alphabetic() {
        return program_anchor(line, i);
    }
    None
}

/// Whether the text before a weak pluto prefix (`"conn": `) leaves it to
/// pluto: nothing but what wrappers put there (a time, a facility and
/// level, an empty tag, a pid, a level column, pluto's own program name, a
/// whack code, paste marks) and at most one host; not the inside of a JSON
/// document or another program's sentence.
fn weak_prefix(before: &str) -> bool {
    let trimmed = before.trim_matches(|c: char| c.is_ascii_whitespace() || is_mark(c));
    let rest = match timestamp::parse_any_prefix(trimmed) {
        Some((_, rest)) => rest,
        None => match timestamp::skip_prefix(trimmed) {
            Some(used) => &trimmed[used..],
            None => trimmed,
        },
    };
    let mut hosts = 0;
    for token in rest
        .split(|c: char| c.is_ascii_whitespace() || c == '|')
        .filter(|t| !t.is_empty())
    {
        let bare = token.trim_end_matches(':');
        let name = bare.split('[').next().unwrap_or(bare);
        // An empty tag (`:`), a pid, a whack code or line number, a column,
        // pluto's own name, logcat's level letter.
        let wrapper_word = bare.is_empty()
            || bare.bytes().all(|b| b.is_ascii_digit())
            || is_column_word(bare)
            || matches!(name, "pluto" | "ipsec" | "libreswan" | "openswan")
            || bare.len() == 1 && bare.bytes().all(|b| b.is_ascii_uppercase());
        if wrapper_word {
            continue;
        }
        if hosts == 0 && is_host_like(bare) {
            hosts += 1;
            continue;
        }
        return false;
    }
    true
}

/// A facility and level, a level, or a GUI's level column.
fn is_column_word(word: &str) -> bool {
    if let Some((facility, level)) = word.split_once('.') {
        if FACILITIES.contains(&facility) && LEVELS.contains(&level) {
            return true;
        }
    }
    LEVELS.contains(&word) || GUI_LEVELS.contains(&word)
}

/// `13[IKE] `, `13[IKE2] `, `[IKE] ` with a known group, then a blank or
/// the end of the line.
fn charon_prefix(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits > 3 {
        return false;
    }
    let Some(inner) = bytes[digits..].strip_prefix(b"[") else {
        return false;
    };
    let Some(close) = inner.iter().take(8).position(|&b| b == b']') else {
        return false;
    };
    let group = &inner[..close];
    let name_len = group.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let level = &group[name_len..];
    if level.len() > 1 || !level.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let known = CHARON_GROUPS
        .iter()
        .any(|g| g.as_bytes() == &group[..name_len]);
    known && matches!(inner.get(close + 1), None | Some(b' ' | b'\t'))
}

/// `"conn"[N] ...: ` or `"conn" #N: `, a pluto connection with an instance
/// or a state number; unless `strict`, also `"conn": ` (the connection
/// itself: `"gw": added IKEv2 connection`), with a name without blanks, as
/// ipsec.conf's connection names are.
fn pluto_connection(text: &str, strict: bool) -> bool {
    let Some(after) = text.strip_prefix('"') else {
        return false;
    };
    let Some(close) = after.find('"') else {
        return false;
    };
    if close == 0 || close > 256 || after[..close].contains(['\t', '\n']) {
        return false;
    }
    let tail = &after[close + 1..];
    if !strict && tail.starts_with(": ") && !after[..close].contains(' ') {
        return true;
    }
    if let Some(instance) = tail.strip_prefix('[') {
        let digits = instance.bytes().take_while(u8::is_ascii_digit).count();
        return digits > 0 && instance[digits..].starts_with(']');
    }
    if let Some(state) = tail.strip_prefix(" #") {
        let digits = state.bytes().take_while(u8::is_ascii_digit).count();
        return digits > 0 && state[digits..].starts_with(':');
    }
    false
}

/// `192.0.2.1:500: ` (pluto's `packet from ADDR:PORT:`, IPv4 or IPv6, or a
/// redaction of the address).
fn packet_from(text: &str) -> bool {
    let Some((endpoint, _)) = text.split_once(": ") else {
        return false;
    };
    let Some((address, port)) = endpoint.rsplit_once(':') else {
        return false;
    };
    !address.is_empty()
        && !address.contains(' ')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
}

/// A known daemon's program tag at `i`: `charon:`, `pluto[42]:`, logcat's
/// `I/charon  (42):`.
fn program_anchor(line: &str, i: usize) -> Option<Anchor> {
    let rest = &line[i..];
    let token_end = rest.find([' ', '\t']).unwrap_or(rest.len());
    let token = &rest[..token_end];
    if let Some((name, pid)) = program_tag(token) {
        let daemon = known_daemon(name)?;
        return Some(Anchor::Program {
            daemon,
            pid,
            message: i + token_end,
        });
    }
    // logcat: a level letter, a slash, the tag, blanks, `(pid):`.
    let (level, tag) = token.split_once('/')?;
    if level.len() != 1 || !matches!(level, "V" | "D" | "I" | "W" | "E" | "F") {
        return None;
    }
    let daemon = known_daemon(tag.trim_end_matches(':'))?;
    let after = rest[token_end..].trim_start();
    let (pid, used) = match after.strip_prefix('(') {
        Some(inner) => {
            let close = inner.find(')')?;
            let pid = inner[..close].trim().parse().ok();
            let tail = inner[close + 1..].strip_prefix(':')?;
            (pid, rest.len() - tail.len())
        }
        None if token.ends_with(':') => (None, token_end),
        None => return None,
    };
    Some(Anchor::Program {
        daemon,
        pid,
        message: i + used,
    })
}

/// The IPsec daemons among program names.
fn known_daemon(name: &str) -> Option<Daemon> {
    match Daemon::from_program(name) {
        d @ (Daemon::Charon | Daemon::CharonSystemd | Daemon::Pluto | Daemon::Racoon) => Some(d),
        _ => None,
    }
}

/// The length of whack's reply code and its blank at the start of `line`,
/// for a line without a connection prefix: three digits below 100 (pluto's
/// log and error codes, `RC_LOG` 002, `RC_LOG_SERIOUS` 003, the `0NN`
/// failures such as 036 for a connection that cannot be added), then a
/// word. Codes from 100 up report a state and always name a connection,
/// which the anchor search finds.
fn whack_code(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    if b.len() < 5 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b' ' {
        return None;
    }
    // 000 RC_COMMENT, 002 RC_LOG, 003 RC_LOG_SERIOUS, 004 RC_SUCCESS, 010
    // RC_RETRANSMISSION, 0NN failures from 020 (Libreswan 3.x-4.x
    // `rc_type`; docs/wordings/whack-codes.tsv). Not 001: a numbered paste.
    let code = u32::from(b[0] - b'0') * 100 + u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0');
    let known = matches!(code, 0 | 2..=4 | 10 | 11 | 20..=59);
    (known && b[4].is_ascii_alphabetic()).then_some(4)
}

/// What a prefix tells.
#[derive(Debug, Default)]
struct PrefixParts<'a> {
    timestamp: Option<timestamp::Timestamp>,
    host: Option<&'a str>,
    pid: Option<u32>,
    daemon: Option<Daemon>,
}

/// The timestamp, host and program in a prefix of unknown shape. The
/// timestamp is the first token run that reads as one; the host is the one
/// token between it and a program tag (`TIME HOST PROGRAM[PID]:`; the tag
/// is the anchor itself when `tag_follows`), unless that token is a
/// facility and level (`daemon.info`) or a number.
fn read_prefix(prefix: &str, tag_follows: bool) -> PrefixParts<'_> {
    let mut parts = PrefixParts::default();
    let mut after_time: Option<&str> = None;
    let mut offset = 0;
    while offset < prefix.len() {
        let rest = &prefix[offset..];
        let trimmed = rest.trim_start_matches(|c: char| c == ' ' || c == '\t' || is_mark(c));
        if trimmed.is_empty() {
            break;
        }
        if let Some((ts, tail)) = timestamp::parse_any_prefix(trimmed) {
            parts.timestamp = Some(ts);
            after_time = Some(tail);
            break;
        }
        if let Some(used) = timestamp::skip_prefix(trimmed) {
            after_time = Some(&trimmed[used..]);
            break;
        }
        // On to the next token.
        let skipped = prefix.len() - trimmed.len();
        let token = trimmed.find([' ', '\t']).unwrap_or(trimmed.len());
        offset = skipped + token;
    }
    let tokens: Vec<&str> = after_time
        .unwrap_or(prefix)
        .split([' ', '\t'])
        .map(|t| t.trim_matches(is_mark))
        .filter(|t| !t.is_empty())
        .collect();
    if tag_follows {
        if after_time.is_some() && tokens.len() == 1 && is_host_like(tokens[0]) {
            parts.host = Some(tokens[0]);
        }
    } else if let Some(at) = tokens.iter().rposition(|t| program_tag(t).is_some()) {
        if let Some((name, pid)) = program_tag(tokens[at]) {
            parts.pid = pid;
            parts.daemon = known_daemon(name);
        }
        if after_time.is_some() && at == 1 && is_host_like(tokens[0]) {
            parts.host = Some(tokens[0]);
        }
    }
    parts
}

/// Marks pastes put around or before lines.
fn is_mark(c: char) -> bool {
    matches!(c, '>' | '*' | '`' | '|' | '#')
}

/// A host name or address: letters, digits, `-`, `.`, `_`, `:` (IPv6), at
/// least one letter or a dotted address, and not `facility.level`.
fn is_host_like(token: &str) -> bool {
    if token.is_empty() || token.len() > 253 {
        return false;
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b':'))
    {
        return false;
    }
    if token.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    if let Some((facility, level)) = token.split_once('.') {
        if FACILITIES.contains(&facility) && LEVELS.contains(&level) {
            return false;
        }
    }
    !LEVELS.contains(&token) && !GUI_LEVELS.contains(&token)
}

/// syslog facilities and levels, as OpenWrt's `logread` and some relays
/// print them (`daemon.info`, `authpriv.notice`).
const FACILITIES: &[&str] = &[
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];
const LEVELS: &[&str] = &[
    "emerg", "alert", "crit", "err", "error", "warn", "warning", "notice", "info", "debug",
];
/// The level column of OPNsense's and pfSense's log views.
const GUI_LEVELS: &[&str] = &[
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Informational",
    "Info",
    "Debug",
];
