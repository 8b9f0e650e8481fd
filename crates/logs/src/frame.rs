//! Per-line format detection and prefix stripping.

use std::borrow::Cow;
use std::ops::Range;

use crate::timestamp::{self, Timestamp};

mod shape;

/// The shape a line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// strongSwan's own `filelog`: `Nov 27 00:31:57 13[IKE] <con|1> ...`, with
    /// or without the timestamp and the connection tag.
    CharonFile,
    /// BSD syslog (RFC 3164) as pfSense, OPNsense, rsyslog and `journalctl -o
    /// short` / `short-iso` write it: `Nov 27 00:31:57 fw1 charon[42]: ...`.
    BsdSyslog,
    /// A program tag with no timestamp, as in pfSense's older log views and the
    /// troubleshooting guide: `charon: 13[IKE] ...`.
    ProgramPrefix,
    /// RFC 5424 syslog: `<30>1 2026-11-27T00:31:57Z fw1 charon 42 - - ...`.
    Rfc5424,
    /// `journalctl -o json`, one JSON object per line.
    JournalJson,
    /// `swanctl --log` / `swanctl --initiate` output: `[IKE] ...`.
    Swanctl,
    /// A log view copied out of a web GUI: tab-separated columns.
    GuiExport,
    /// A message with no recognisable prefix at all.
    Bare,
    /// A daemon message found by its own shape (charon's `13[IKE] `, a
    /// known program tag, pluto's `"conn" #3: `) after a prefix of no known
    /// format: OpenWrt's `logread`, Android logcat, quoted or numbered
    /// pastes, `ipsec auto --up` output. The timestamp and host are taken
    /// from the prefix where they can be.
    Wrapped,
}

/// The program that wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Daemon {
    /// strongSwan's IKE daemon (`charon`, also logged as `ipsec` or `strongswan`).
    Charon,
    /// strongSwan's systemd flavour, which logs messages without prefixes.
    CharonSystemd,
    /// ipsec-tools' racoon (pfSense 2.1 and older).
    Racoon,
    /// Libreswan's pluto.
    Pluto,
    /// The kernel (crash dumps, panics).
    Kernel,
    /// PHP, as pfSense's web GUI logs it.
    Php,
    /// A program that passes on an IPsec daemon's output in its own lines
    /// (NetworkManager and its VPN plugins): its message is read as a pasted
    /// daemon message.
    Wrapper,
    /// A program that is none of the above.
    Other,
    /// No program name on the line.
    Unknown,
}

impl Daemon {
    fn from_program(name: &str) -> Daemon {
        match name {
            // charon-nm: NetworkManager-strongswan's charon; charon-cmd and
            // charon-svc (Windows): the same daemon and messages.
            "charon" | "strongswan" | "swanctl" | "ipsec" | "ipsec_starter" | "starter"
            | "charon-nm" | "charon-cmd" | "charon-svc" | "charon-tkm" => Daemon::Charon,
            "charon-systemd" => Daemon::CharonSystemd,
            "racoon" => Daemon::Racoon,
            "pluto" => Daemon::Pluto,
            "kernel" => Daemon::Kernel,
            "php" | "php-fpm" | "php-cgi" => Daemon::Php,
            // NetworkManager-strongswan (before charon-nm), -libreswan and
            // -l2tp log the daemon's lines as their own.
            "NetworkManager"
            | "nm-l2tp-service"
            | "nm-strongswan-service"
            | "nm-libreswan-service"
            | "nm-openswan-service" => Daemon::Wrapper,
            _ => Daemon::Other,
        }
    }

    /// Whether the daemon is strongSwan's charon in either flavour.
    pub fn is_charon(self) -> bool {
        matches!(self, Daemon::Charon | Daemon::CharonSystemd)
    }
}

/// strongSwan's `<name|unique id>` tag naming the IKE SA a message is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IkeSaTag<'a> {
    /// The connection name (`con2000`), or `""` when the tag carried only an id.
    pub name: Cow<'a, str>,
    /// The IKE SA's unique id, when present.
    pub unique_id: Option<u32>,
}

/// One line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed<'a> {
    /// The shape the line was written in.
    pub format: Format,
    /// When the line was written, where the line says.
    pub timestamp: Option<Timestamp>,
    /// The syslog host name, where the line carries one.
    pub host: Option<Cow<'a, str>>,
    /// Which program wrote it.
    pub daemon: Daemon,
    /// The program's process id, where logged.
    pub pid: Option<u32>,
    /// charon's worker thread number (`13` in `13[IKE]`).
    pub thread: Option<u16>,
    /// charon's log group (`IKE` in `13[IKE]`).
    pub group: Option<Cow<'a, str>>,
    /// The IKE SA tag (`<con2000|1>`), where logged.
    pub ike_sa: Option<IkeSaTag<'a>>,
    /// The daemon's message, without any prefix.
    pub message: Cow<'a, str>,
}

impl<'a> Framed<'a> {
    fn bare(format: Format, message: &'a str) -> Framed<'a> {
        Framed {
            format,
            timestamp: None,
            host: None,
            daemon: Daemon::Unknown,
            pid: None,
            thread: None,
            group: None,
            ike_sa: None,
            message: Cow::Borrowed(message),
        }
    }
}

/// Where the parts of a [`Framed`] lie in the line it was framed from, so
/// that a line framed on one thread is taken up on another without framing
/// it again: [`Framed::spans`], then [`FramedSpans::framed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramedSpans {
    format: Format,
    timestamp: Option<Timestamp>,
    host: Option<Range<usize>>,
    daemon: Daemon,
    pid: Option<u32>,
    thread: Option<u16>,
    group: Option<Range<usize>>,
    ike_sa: Option<(Range<usize>, Option<u32>)>,
    message: Range<usize>,
}

impl<'a> Framed<'a> {
    /// This framing as spans of `line`, the text it was framed from, or
    /// `None` when a part of it is not a slice of `line` (journal JSON, a
    /// web GUI's columns).
    pub fn spans(&self, line: &str) -> Option<FramedSpans> {
        let span = |part: &Cow<'_, str>| match part {
            Cow::Borrowed(text) => span_in(line, text),
            Cow::Owned(_) => None,
        };
        let optional = |part: &Option<Cow<'_, str>>| match part {
            Some(text) => span(text).map(Some),
            None => Some(None),
        };
        let ike_sa = match &self.ike_sa {
            Some(tag) => Some((span(&tag.name)?, tag.unique_id)),
            None => None,
        };
        Some(FramedSpans {
            format: self.format,
            timestamp: self.timestamp,
            host: optional(&self.host)?,
            daemon: self.daemon,
            pid: self.pid,
            thread: self.thread,
            group: optional(&self.group)?,
            ike_sa,
            message: span(&self.message)?,
        })
    }
}

impl FramedSpans {
    /// The framing again, over `line` (the same text it was taken from);
    /// `None` if `line` cannot hold these spans.
    pub fn framed<'a>(&self, line: &'a str) -> Option<Framed<'a>> {
        let part = |span: &Range<usize>| line.get(span.clone()).map(Cow::Borrowed);
        let optional = |span: &Option<Range<usize>>| match span {
            Some(span) => part(span).map(Some),
            None => Some(None),
        };
        let ike_sa = match &self.ike_sa {
            Some((name, unique_id)) => Some(IkeSaTag {
                name: part(name)?,
                unique_id: *unique_id,
            }),
            None => None,
        };
        Some(Framed {
            format: self.format,
            timestamp: self.timestamp,
            host: optional(&self.host)?,
            daemon: self.daemon,
            pid: self.pid,
            thread: self.thread,
            group: optional(&self.group)?,
            ike_sa,
            message: part(&self.message)?,
        })
    }
}

/// Where `part` lies in `line`, if it is a slice of it (as the parts of a
/// [`Framed`] are): two live strings share memory only then. (Any span of an
/// empty part will do.)
pub fn span_in(line: &str, part: &str) -> Option<Range<usize>> {
    // An empty part (an IKE SA tag with no name) may be a literal `""`.
    if part.is_empty() {
        return Some(0..0);
    }
    let start = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
    let end = start.checked_add(part.len())?;
    (end <= line.len()).then_some(start..end)
}

impl Framed<'_> {
    /// The same framing, owning its text.
    pub fn into_owned(self) -> Framed<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Framed {
            format: self.format,
            timestamp: self.timestamp,
            host: self.host.map(own),
            daemon: self.daemon,
            pid: self.pid,
            thread: self.thread,
            group: self.group.map(own),
            ike_sa: self.ike_sa.map(|tag| IkeSaTag {
                name: own(tag.name),
                unique_id: tag.unique_id,
            }),
            message: own(self.message),
        }
    }
}

/// Takes one line apart. Returns `None` only for blank lines.
pub fn frame(line: &str) -> Option<Framed<'_>> {
    let trimmed = trim_line(line)?;
    // Lines copied from a web page's source keep its escapes (`&lt;con|1&gt;`,
    // `&quot;conn&quot; #3:`).
    if memchr::memchr(b'&', trimmed.as_bytes()).is_some() {
        if let Some(unescaped) = html_unescape(trimmed) {
            return frame_known(&unescaped).map(Framed::into_owned);
        }
    }
    frame_known(trimmed)
}

/// [`frame`] of a trimmed line: the known formats first, then the daemon
/// message found by its shape ([`shape`]).
fn frame_known(trimmed: &str) -> Option<Framed<'_>> {
    let known = frame_fast(trimmed)?;
    if known.daemon == Daemon::Wrapper {
        // The wrapped daemon's own prefix, if its message has one; the
        // wrapper's time and host stand.
        if let Cow::Borrowed(message) = known.message {
            if let Some(mut found) = shape::frame_by_shape(message, true) {
                // The wrapper's host and time; its own words before the
                // daemon's message are no host.
                found.timestamp = found.timestamp.or(known.timestamp);
                found.host = known.host;
                found.format = known.format;
                return Some(found);
            }
        }
        return Some(known);
    }
    let unread = match known.daemon {
        Daemon::Unknown => known.format == Format::Bare,
        Daemon::Other => true,
        _ => false,
    };
    if unread {
        let other = known.daemon == Daemon::Other;
        if let Some(found) = shape::frame_by_shape(trimmed, other) {
            // Another program's line is taken for a daemon's only on the
            // shape of charon's own prefix with its thread number (what a
            // GUI row or a relay puts there), never on a program tag or a
            // pluto-like quote deep in its text: the sieve keeps such lines
            // only when they hold a literal, as it does charon's.
            if !other || found.daemon.is_charon() && found.thread.is_some() {
                return Some(found);
            }
        }
    }
    Some(known)
}

/// `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&#34;`, `&amp;` replaced, or `None`
/// when the line holds none of them.
fn html_unescape(line: &str) -> Option<String> {
    const ENTITIES: &[(&str, &str)] = &[
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&apos;", "'"),
        ("&nbsp;", " "),
        ("&amp;", "&"),
    ];
    if !ENTITIES.iter().any(|(e, _)| line.contains(e)) {
        return None;
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match ENTITIES.iter().find(|(e, _)| tail.starts_with(e)) {
            Some((entity, text)) => {
                out.push_str(text);
                rest = &tail[entity.len()..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    Some(out)
}

/// The known formats, tried in order of how cheaply they are told apart.
fn frame_fast(trimmed: &str) -> Option<Framed<'_>> {
    if trimmed.starts_with('{') {
        if let Some(framed) = frame_journal_json(trimmed) {
            return Some(framed);
        }
    }
    if let Some(rest) = strip_priority(trimmed) {
        if let Some(rest5424) = rest.strip_prefix("1 ") {
            if let Some(framed) = frame_rfc5424(rest5424) {
                return Some(framed);
            }
        }
        return Some(frame_syslog_like(rest));
    }
    if memchr::memchr(b'\t', trimmed.as_bytes()).is_some() {
        if let Some(framed) = frame_gui_export(trimmed) {
            return Some(framed);
        }
    }
    Some(frame_syslog_like(trimmed))
}

/// The line without its terminator and leading blanks, or `None` if blank.
fn trim_line(line: &str) -> Option<&str> {
    let line = match line.as_bytes().last() {
        Some(b'\r' | b'\n') => line.trim_end_matches(['\r', '\n']),
        _ => line,
    };
    // Nearly every line starts with a printable ASCII character: nothing
    // to trim, and not blank.
    if line.as_bytes().first().is_some_and(u8::is_ascii_graphic) {
        return Some(line);
    }
    // A BOM, and the NUL runs a syslog file gets when the host lost power.
    let trimmed = line.trim_start_matches(['\u{feff}', '\0']).trim_start();
    (!trimmed.trim_end().is_empty()).then_some(trimmed)
}

/// `<30>` at the start of a line.
fn strip_priority(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('<')?;
    let end = rest.find('>')?;
    if end == 0 || end > 3 || !rest[..end].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(&rest[end + 1..])
}

/// Everything but JSON and RFC 5424: an optional timestamp, an optional host,
/// an optional program tag, then the daemon's own prefix.
fn frame_syslog_like(line: &str) -> Framed<'_> {
    let (timestamp, rest) = match timestamp::parse_prefix(line) {
        Some((ts, rest)) => (Some(ts), trim_start(rest)),
        None => (None, line),
    };
    // charon's file log: the timestamp is followed directly by `13[IKE]`.
    if let Some(mut framed) = frame_charon_body(rest, Daemon::Unknown) {
        if framed.thread.is_some() {
            framed.format = Format::CharonFile;
            framed.daemon = Daemon::Charon;
        }
        framed.timestamp = timestamp;
        return framed;
    }
    let (first, after_first) = split_token(rest);
    if let Some((program, pid)) = program_tag(first) {
        let format = if timestamp.is_some() {
            Format::BsdSyslog
        } else {
            Format::ProgramPrefix
        };
        let mut framed = frame_program_message(program, pid, after_first, format);
        framed.timestamp = timestamp;
        return framed;
    }
    if timestamp.is_some() && !first.is_empty() {
        let (second, after_second) = split_token(after_first);
        if let Some((program, pid)) = program_tag(second) {
            let mut framed = frame_program_message(program, pid, after_second, Format::BsdSyslog);
            framed.timestamp = timestamp;
            framed.host = Some(Cow::Borrowed(first));
            return framed;
        }
        if let Some(mut framed) = frame_colonless_tag(second, after_second) {
            framed.timestamp = timestamp;
            framed.host = Some(Cow::Borrowed(first));
            return framed;
        }
    }
    let mut framed = Framed::bare(Format::Bare, rest.trim());
    framed.timestamp = timestamp;
    framed
}

/// `HOST charon-systemd 08[IKE] ...` and `HOST pluto[4242] "c" #1: ...`: the
/// tag without its colon, as rsyslog's traditional file format writes a
/// message it received as RFC 5424 (its `syslogtag` is then APP-NAME, with
/// `[PROCID]` when there is one; rsyslog 8, lab recording of strongSwan
/// 5.9-6.1 and Libreswan 4-5 through a central rsyslog). Only an IPsec
/// daemon's name is taken for a tag here: `charon` only when its own
/// `13[IKE]` prefix follows, `pluto` and `racoon` with a pid (or pluto's
/// quoted connection name); any other word after a host is a message.
fn frame_colonless_tag<'a>(token: &'a str, message: &'a str) -> Option<Framed<'a>> {
    if token.ends_with(':') {
        return None;
    }
    let (program, pid) = tag_name_and_pid(token)?;
    let daemon = Daemon::from_program(program);
    let message = message.trim();
    let mut framed = match daemon {
        // charon-systemd's own messages have no prefix (journald forwards
        // them so); the name is no English word.
        Daemon::CharonSystemd => frame_charon_body(message, daemon)?,
        Daemon::Charon => {
            let framed = frame_charon_body(message, daemon)?;
            framed.thread?;
            framed
        }
        Daemon::Pluto if pid.is_some() || message.starts_with('"') => {
            Framed::bare(Format::BsdSyslog, message)
        }
        Daemon::Racoon if pid.is_some() => Framed::bare(Format::BsdSyslog, message),
        _ => return None,
    };
    framed.format = Format::BsdSyslog;
    framed.daemon = daemon;
    framed.pid = pid;
    Some(framed)
}

fn frame_program_message<'a>(
    program: &'a str,
    pid: Option<u32>,
    message: &'a str,
    format: Format,
) -> Framed<'a> {
    let daemon = Daemon::from_program(program);
    let mut framed = match daemon {
        Daemon::Charon | Daemon::CharonSystemd => {
            frame_charon_body(message, daemon).unwrap_or_else(|| Framed::bare(format, message))
        }
        _ => Framed::bare(format, message.trim()),
    };
    framed.format = format;
    framed.daemon = daemon;
    framed.pid = pid;
    framed
}

/// charon's own prefix: `13[IKE] <con|1> message`, `[IKE] message` (swanctl),
/// or, for charon-systemd, nothing at all. Returns `None` when the text does
/// not start with a thread/group prefix and the daemon is not known to be
/// charon.
fn frame_charon_body(text: &str, daemon: Daemon) -> Option<Framed<'_>> {
    let text = trim_start(text);
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let Some(group_len) = charon_group_len(&bytes[digits..]) else {
        return daemon
            .is_charon()
            .then(|| Framed::bare(Format::Bare, text.trim_end()));
    };
    // `[`, the group, `]`: all ASCII, so these are character boundaries.
    let group = &text[digits + 1..digits + 1 + group_len];
    let rest = &text[digits + group_len + 2..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let thread = if digits > 0 {
        decimal(&text[..digits]).and_then(|n| u16::try_from(n).ok())
    } else {
        None
    };
    let rest = trim_start(rest);
    let (ike_sa, message) = match strip_ike_sa_tag(rest) {
        Some((tag, message)) => (Some(tag), message),
        None => (None, rest),
    };
    let named = group.len() - group.bytes().rev().take_while(u8::is_ascii_digit).count();
    let group_name = &group[..named];
    Some(Framed {
        format: if digits > 0 {
            Format::CharonFile
        } else {
            Format::Swanctl
        },
        timestamp: None,
        host: None,
        daemon: if daemon == Daemon::Unknown {
            Daemon::Charon
        } else {
            daemon
        },
        pid: None,
        thread,
        group: Some(Cow::Borrowed(group_name)),
        ike_sa,
        message: Cow::Borrowed(trim_end(message)),
    })
}

/// `str::trim_start`, answering at once for the usual first bytes: spaces,
/// then a printable ASCII character.
fn trim_start(text: &str) -> &str {
    let spaces = text.bytes().take_while(|&b| b == b' ').count();
    // Spaces are ASCII: a character boundary.
    let rest = &text[spaces..];
    match rest.as_bytes().first() {
        Some(b) if !b.is_ascii_graphic() => rest.trim_start(),
        _ => rest,
    }
}

/// `str::trim_end`, answering at once for the usual last byte.
fn trim_end(text: &str) -> &str {
    match text.as_bytes().last() {
        Some(b) if b.is_ascii_graphic() => text,
        _ => text.trim_end(),
    }
}

/// The length of charon's log group in `[IKE]` at the start of `bytes`: two
/// to six capitals or digits between brackets.
fn charon_group_len(bytes: &[u8]) -> Option<usize> {
    let inner = bytes.strip_prefix(b"[")?;
    // The first `]` closes the group; anything else before it spoils it.
    for (i, &b) in inner.iter().take(7).enumerate() {
        if b == b']' {
            return (2..=6).contains(&i).then_some(i);
        }
        if !(b.is_ascii_uppercase() || b.is_ascii_digit()) {
            return None;
        }
    }
    None
}

/// `<con2000|1> ` or `<5> ` (an IKE SA with no name); also `[con2000|1] `,
/// as some log consumers (swanctl-style output seen in real pastes) write it.
fn strip_ike_sa_tag(text: &str) -> Option<(IkeSaTag<'_>, &str)> {
    if let Some(inner) = text.strip_prefix('[') {
        let close = inner
            .find("] ")
            .or_else(|| inner.ends_with(']').then(|| inner.len() - 1))?;
        let tag = &inner[..close];
        let (name, id) = tag.rsplit_once('|')?;
        let unique_id = decimal(id)?;
        return Some((
            IkeSaTag {
                name: Cow::Borrowed(name),
                unique_id: Some(unique_id),
            },
            trim_start(inner.get(close + 1..).unwrap_or("")),
        ));
    }
    let inner = text.strip_prefix('<')?;
    // The first `> `, or a `>` that ends the text.
    let bytes = inner.as_bytes();
    let close =
        memchr::memchr_iter(b'>', bytes).find(|&i| bytes.get(i + 1).is_none_or(|&b| b == b' '))?;
    let tag = &inner[..close];
    let rest = trim_start(inner.get(close + 1..).unwrap_or(""));
    match tag
        .bytes()
        .rposition(|b| b == b'|')
        .map(|bar| (&tag[..bar], &tag[bar + 1..]))
    {
        Some((name, id)) => {
            let unique_id = decimal(id)?;
            Some((
                IkeSaTag {
                    name: Cow::Borrowed(name),
                    unique_id: Some(unique_id),
                },
                rest,
            ))
        }
        None => {
            let unique_id = decimal(tag)?;
            Some((
                IkeSaTag {
                    name: Cow::Borrowed(""),
                    unique_id: Some(unique_id),
                },
                rest,
            ))
        }
    }
}

fn split_token(text: &str) -> (&str, &str) {
    let text = trim_start(text);
    // Tokens are short (a host, a program): a plain loop beats a SIMD
    // search's set-up. Space and tab are ASCII: a character boundary.
    match text.bytes().position(|b| b == b' ' || b == b'\t') {
        Some(end) => (&text[..end], &text[end..]),
        None => (text, ""),
    }
}

/// `str::parse::<u32>` (an optional `+`, then digits), without its generic
/// machinery: ids and pids are parsed on every line.
fn decimal(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('+').unwrap_or(text).as_bytes();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |value, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        value.checked_mul(10)?.checked_add(u32::from(digit))
    })
}

/// `charon[4242]:` or `charon:`: a program name followed by a colon.
fn program_tag(token: &str) -> Option<(&str, Option<u32>)> {
    tag_name_and_pid(token.strip_suffix(':')?)
}

/// `charon[4242]` or `charon` (a tag without its colon): the program's base
/// name and pid.
fn tag_name_and_pid(body: &str) -> Option<(&str, Option<u32>)> {
    // Program tags are short: plain loops beat SIMD searches' set-up here.
    let (name, pid) = match body.bytes().position(|b| b == b'[') {
        Some(open) => (
            &body[..open],
            Some(decimal(body[open + 1..].strip_suffix(']')?)?),
        ),
        None => (body, None),
    };
    if name.is_empty() || name.len() > 48 {
        return None;
    }
    let mut seen = 0;
    for &b in name.as_bytes() {
        let class = NAME_BYTE[usize::from(b)];
        if class == 0 {
            return None;
        }
        seen |= class;
    }
    // `ERROR:` and `INFO:` (no lowercase) are racoon's levels, not programs.
    if seen & LOWERCASE == 0 {
        return None;
    }
    let base = name
        .bytes()
        .rposition(|b| b == b'/')
        .map_or(name, |slash| &name[slash + 1..]);
    Some((base, pid))
}

/// A byte of a program name: [`NAME_OTHER`], with [`LOWERCASE`] for a
/// lowercase letter (a letter must be among them); 0 for any other byte.
const NAME_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c.is_ascii_lowercase() {
            LOWERCASE
        } else if c.is_ascii_uppercase() {
            UPPERCASE
        } else if c.is_ascii_digit() || matches!(c, b'-' | b'_' | b'.' | b'/') {
            NAME_OTHER
        } else {
            0
        };
        b += 1;
    }
    table
};
const NAME_OTHER: u8 = 1;
const UPPERCASE: u8 = 2;
const LOWERCASE: u8 = 4;

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD MSG`.
fn frame_rfc5424(text: &str) -> Option<Framed<'_>> {
    let (ts_text, rest) = split_token(text);
    let timestamp = timestamp::parse_prefix(ts_text).map(|(ts, _)| ts);
    let (host, rest) = split_token(rest);
    let (app, rest) = split_token(rest);
    let (procid, rest) = split_token(rest);
    let (_msgid, rest) = split_token(rest);
    let rest = rest.trim_start();
    let message = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        skip_structured_data(rest)?
    } else {
        rest
    };
    let message = message.strip_prefix(' ').unwrap_or(message);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    let pid = procid.parse().ok();
    let app = if app == "-" { "" } else { app };
    let mut framed = frame_program_message(app, pid, message, Format::Rfc5424);
    if app.is_empty() {
        framed.daemon = Daemon::Unknown;
    }
    framed.timestamp = timestamp;
    framed.host = (host != "-").then_some(Cow::Borrowed(host));
    Some(framed)
}

/// Skips `[id k="v"][id2 ...]`, honouring escaped quotes.
fn skip_structured_data(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        let mut in_quotes = false;
        i += 1;
        loop {
            match bytes.get(i)? {
                b'\\' if in_quotes => i += 1,
                b'"' => in_quotes = !in_quotes,
                b']' if !in_quotes => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    text.get(i..)
}

/// A web GUI's log table copied as text: `time<TAB>process<TAB>pid<TAB>message`
/// (pfSense) or `time<TAB>severity<TAB>process<TAB>message` (OPNsense).
fn frame_gui_export(line: &str) -> Option<Framed<'_>> {
    // OPNsense's copies end each row with a tab: the message is the last
    // column that holds something.
    let fields: Vec<&str> = line
        .trim_end_matches(['\t', ' '])
        .split('\t')
        .map(str::trim)
        .collect();
    let program_at = fields.iter().position(|f| {
        let name = f.split('[').next().unwrap_or(f);
        Daemon::from_program(name) != Daemon::Other
    })?;
    let message_at = fields.len() - 1;
    if program_at >= message_at {
        return None;
    }
    let program = fields[program_at];
    let (name, pid_in_name) = match program.split_once('[') {
        Some((name, pid)) => (name, pid.trim_end_matches(']').parse().ok()),
        None => (program, None),
    };
    let pid = pid_in_name.or_else(|| {
        fields[program_at + 1..message_at]
            .iter()
            .find_map(|f| f.parse().ok())
    });
    let timestamp = fields[..program_at]
        .iter()
        .find_map(|f| timestamp::parse_prefix(f).map(|(ts, _)| ts));
    let mut framed = frame_program_message(name, pid, fields[message_at], Format::GuiExport);
    framed.timestamp = timestamp;
    Some(framed)
}

/// `journalctl -o json`: `MESSAGE`, `_HOSTNAME`, `SYSLOG_IDENTIFIER`, `_PID`,
/// and charon-systemd's own `THREAD`, `GROUP`, `IKE_SA_NAME`,
/// `IKE_SA_UNIQUE_ID` fields.
fn frame_journal_json(line: &str) -> Option<Framed<'static>> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let object = value.as_object()?;
    let text = |key: &str| -> Option<String> {
        match object.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            // journald writes non-UTF-8 fields as arrays of bytes.
            serde_json::Value::Array(items) => {
                let bytes: Vec<u8> = items
                    .iter()
                    .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        }
    };
    let message = text("MESSAGE")?;
    let program = text("SYSLOG_IDENTIFIER")
        .or_else(|| text("_COMM"))
        .unwrap_or_default();
    let daemon = if program.is_empty() {
        Daemon::Unknown
    } else {
        Daemon::from_program(&program)
    };
    let timestamp = text("__REALTIME_TIMESTAMP")
        .and_then(|micros| micros.parse::<i64>().ok())
        .map(|micros| Timestamp::from_unix(micros.div_euclid(1_000_000)));
    let pid = text("_PID").and_then(|p| p.parse().ok());
    let host = text("_HOSTNAME").map(Cow::Owned);

    let mut framed = Framed {
        format: Format::JournalJson,
        timestamp,
        host,
        daemon,
        pid,
        thread: text("THREAD").and_then(|t| t.parse().ok()),
        group: text("GROUP").map(Cow::Owned),
        ike_sa: None,
        message: Cow::Owned(String::new()),
    };
    // charon (not charon-systemd) logging to syslog puts its prefix in MESSAGE.
    let owned_message = match (
        daemon.is_charon(),
        frame_charon_body(&message, Daemon::Charon),
    ) {
        (true, Some(inner)) if inner.thread.is_some() || inner.group.is_some() => {
            framed.thread = framed.thread.or(inner.thread);
            if framed.group.is_none() {
                framed.group = inner.group.map(|g| Cow::Owned(g.into_owned()));
            }
            if let Some(tag) = inner.ike_sa {
                framed.ike_sa = Some(IkeSaTag {
                    name: Cow::Owned(tag.name.into_owned()),
                    unique_id: tag.unique_id,
                });
            }
            inner.message.into_owned()
        }
        _ => message.trim().to_owned(),
    };
    // charon-systemd's structured fields name the IKE SA.
    if framed.ike_sa.is_none() {
        if let Some(unique_id) = text("IKE_SA_UNIQUE_ID").and_then(|u| u.parse().ok()) {
            let name = text("IKE_SA_NAME").unwrap_or_default();
            framed.ike_sa = Some(IkeSaTag {
                name: Cow::Owned(name),
                unique_id: Some(unique_id),
            });
        }
    }
    framed.message = Cow::Owned(owned_message);
    Some(framed)
}

#[cfg(test)]
mod tests;
