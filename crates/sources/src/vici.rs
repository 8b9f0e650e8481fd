//! strongSwan's VICI socket: charon's own log events, and its loaded
//! connections and SAs, so that a configured tunnel that is down is a
//! tunnel in the state, not a missing row.
//!
//! The protocol is strongSwan's `src/libcharon/plugins/vici/README.md`
//! (every 5.x and 6.x): segments of a 32-bit big-endian length (at most
//! 512 KiB) and the data; a packet is its type (`CMD_REQUEST` 0,
//! `CMD_RESPONSE` 1, `CMD_UNKNOWN` 2, `EVENT_REGISTER` 3, `EVENT_UNREGISTER`
//! 4, `EVENT_CONFIRM` 5, `EVENT_UNKNOWN` 6, `EVENT` 7), for named types an
//! 8-bit length and the name, then a message: elements `SECTION_START` 1
//! (name), `SECTION_END` 2, `KEY_VALUE` 3 (name, 16-bit length, value),
//! `LIST_START` 4 (name), `LIST_ITEM` 5 (16-bit length, value), `LIST_END`
//! 6.
//!
//! [`vici()`] connects, registers for `log`, `ike-updown`, `child-updown`
//! and the `list-conn`/`list-sa` streams, asks `version`, then `list-conns`
//! and `list-sas` every [`ViciOptions::poll`] (and a second after an SA
//! went up or down). Each `log` event becomes a line as charon's syslog
//! logger writes it (`HOST charon: 05[IKE] <conn|3> message`), so the
//! engine reads it as any other; VICI carries levels 0 and 1 only
//! (`charon.plugins.vici` logs at its own level, 1 by default). When
//! charon goes away it reconnects, waiting 0.5 s, then twice as long each
//! time up to 30 s.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

use crate::{Received, Stats};

/// The longest segment charon sends or takes (`VICI_MAX_MSGLEN`).
pub const MAX_SEGMENT: usize = 512 * 1024;

const CMD_REQUEST: u8 = 0;
const CMD_RESPONSE: u8 = 1;
const CMD_UNKNOWN: u8 = 2;
const EVENT_REGISTER: u8 = 3;
const EVENT_CONFIRM: u8 = 5;
const EVENT_UNKNOWN: u8 = 6;
const EVENT: u8 = 7;

const SECTION_START: u8 = 1;
const SECTION_END: u8 = 2;
const KEY_VALUE: u8 = 3;
const LIST_START: u8 = 4;
const LIST_ITEM: u8 = 5;
const LIST_END: u8 = 6;

/// A value of a VICI message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A key's value (charon sends strings only, numbers as text).
    Str(String),
    /// A list's items.
    List(Vec<String>),
    /// A sub-section.
    Section(Message),
}

/// A VICI message: a section's entries, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// Names and values.
    pub entries: Vec<(String, Value)>,
}

impl Message {
    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string value of `key`.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The list `key` (empty when there is none).
    pub fn list(&self, key: &str) -> &[String] {
        match self.get(key) {
            Some(Value::List(items)) => items,
            _ => &[],
        }
    }

    /// The sub-sections, by name.
    pub fn sections(&self) -> impl Iterator<Item = (&str, &Message)> {
        self.entries.iter().filter_map(|(k, v)| match v {
            Value::Section(m) => Some((k.as_str(), m)),
            _ => None,
        })
    }

    /// Encodes the message's elements.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for (key, value) in &self.entries {
            match value {
                Value::Str(s) => {
                    out.push(KEY_VALUE);
                    push_name(out, key);
                    push_value(out, s.as_bytes());
                }
                Value::List(items) => {
                    out.push(LIST_START);
                    push_name(out, key);
                    for item in items {
                        out.push(LIST_ITEM);
                        push_value(out, item.as_bytes());
                    }
                    out.push(LIST_END);
                }
                Value::Section(m) => {
                    out.push(SECTION_START);
                    push_name(out, key);
                    m.encode(out);
                    out.push(SECTION_END);
                }
            }
        }
    }
}

fn push_name(out: &mut Vec<u8>, name: &str) {
    let bytes = &name.as_bytes()[..name.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn push_value(out: &mut Vec<u8>, value: &[u8]) {
    let value = &value[..value.len().min(usize::from(u16::MAX))];
    out.extend_from_slice(&(value.len() as u16).to_be_bytes());
    out.extend_from_slice(value);
}

/// What went wrong reading VICI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViciError {
    /// A segment longer than [`MAX_SEGMENT`].
    TooLong(usize),
    /// A packet or message that does not parse, and where.
    Malformed(&'static str),
}

impl fmt::Display for ViciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViciError::TooLong(n) => {
                write!(f, "a VICI segment of {n} bytes (at most {MAX_SEGMENT})")
            }
            ViciError::Malformed(what) => write!(f, "a malformed VICI packet: {what}"),
        }
    }
}

impl std::error::Error for ViciError {}

/// A packet: its type, its name (named types) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The packet type.
    pub kind: u8,
    /// The name, for `CMD_REQUEST`, `EVENT_REGISTER`, `EVENT_UNREGISTER`, `EVENT`.
    pub name: Option<String>,
    /// The message (empty for types without one).
    pub message: Message,
}

/// A whole segment (length prefix included) for a packet.
pub fn encode_packet(kind: u8, name: Option<&str>, message: &Message) -> Vec<u8> {
    let mut body = vec![kind];
    if let Some(name) = name {
        push_name(&mut body, name);
    }
    message.encode(&mut body);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Decodes one segment's data (without its length prefix).
pub fn decode_packet(data: &[u8]) -> Result<Packet, ViciError> {
    let (&kind, mut rest) = data
        .split_first()
        .ok_or(ViciError::Malformed("an empty packet"))?;
    let named = matches!(kind, CMD_REQUEST | EVENT_REGISTER | 4 | EVENT);
    let name = if named {
        let (name, after) = take_name(rest)?;
        rest = after;
        Some(name)
    } else {
        None
    };
    let message = if matches!(kind, CMD_REQUEST | CMD_RESPONSE | EVENT) {
        decode_message(rest)?
    } else {
        Message::default()
    };
    Ok(Packet {
        kind,
        name,
        message,
    })
}

fn take_name(data: &[u8]) -> Result<(String, &[u8]), ViciError> {
    let (&len, rest) = data
        .split_first()
        .ok_or(ViciError::Malformed("a name cut short"))?;
    let len = usize::from(len);
    if rest.len() < len {
        return Err(ViciError::Malformed("a name cut short"));
    }
    Ok((
        String::from_utf8_lossy(&rest[..len]).into_owned(),
        &rest[len..],
    ))
}

fn take_value(data: &[u8]) -> Result<(String, &[u8]), ViciError> {
    if data.len() < 2 {
        return Err(ViciError::Malformed("a value cut short"));
    }
    let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
    let rest = &data[2..];
    if rest.len() < len {
        return Err(ViciError::Malformed("a value cut short"));
    }
    Ok((
        String::from_utf8_lossy(&rest[..len]).into_owned(),
        &rest[len..],
    ))
}

/// Decodes a message's elements into its tree.
pub fn decode_message(mut data: &[u8]) -> Result<Message, ViciError> {
    // Sections being read, innermost last, each with its name.
    let mut stack: Vec<(String, Message)> = vec![(String::new(), Message::default())];
    let mut list: Option<(String, Vec<String>)> = None;
    while let Some((&element, rest)) = data.split_first() {
        data = rest;
        if list.is_some() && !matches!(element, LIST_ITEM | LIST_END) {
            return Err(ViciError::Malformed("an element inside a list"));
        }
        match element {
            SECTION_START => {
                if stack.len() > 64 {
                    return Err(ViciError::Malformed("sections nested too deep"));
                }
                let (name, rest) = take_name(data)?;
                data = rest;
                stack.push((name, Message::default()));
            }
            SECTION_END => {
                if stack.len() < 2 {
                    return Err(ViciError::Malformed("a section end without a start"));
                }
                let (name, section) = stack.pop().ok_or(ViciError::Malformed("sections"))?;
                let parent = stack.last_mut().ok_or(ViciError::Malformed("sections"))?;
                parent.1.entries.push((name, Value::Section(section)));
            }
            KEY_VALUE => {
                let (name, rest) = take_name(data)?;
                let (value, rest) = take_value(rest)?;
                data = rest;
                let current = stack.last_mut().ok_or(ViciError::Malformed("sections"))?;
                current.1.entries.push((name, Value::Str(value)));
            }
            LIST_START => {
                let (name, rest) = take_name(data)?;
                data = rest;
                list = Some((name, Vec::new()));
            }
            LIST_ITEM => {
                let (value, rest) = take_value(data)?;
                data = rest;
                list.as_mut()
                    .ok_or(ViciError::Malformed("a list item outside a list"))?
                    .1
                    .push(value);
            }
            LIST_END => {
                let (name, items) = list
                    .take()
                    .ok_or(ViciError::Malformed("a list end without a start"))?;
                let current = stack.last_mut().ok_or(ViciError::Malformed("sections"))?;
                current.1.entries.push((name, Value::List(items)));
            }
            _ => return Err(ViciError::Malformed("an unknown element type")),
        }
    }
    if list.is_some() || stack.len() != 1 {
        return Err(ViciError::Malformed("a section or list left open"));
    }
    Ok(stack.pop().map(|(_, m)| m).unwrap_or_default())
}

/// Where charon's VICI socket is: `unix:///run/charon.vici` or
/// `tcp://HOST:PORT` (charon's `plugins.vici.socket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket's path.
    Unix(PathBuf),
    /// A TCP address, `HOST:PORT`.
    Tcp(String),
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Endpoint, String> {
        if let Some(path) = s.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(format!("{s}: no socket path"));
            }
            Ok(Endpoint::Unix(PathBuf::from(path)))
        } else if let Some(addr) = s.strip_prefix("tcp://") {
            if !addr.contains(':') {
                return Err(format!("{s}: tcp://HOST:PORT"));
            }
            Ok(Endpoint::Tcp(addr.to_owned()))
        } else {
            Err(format!(
                "{s}: unix:///path/to/charon.vici or tcp://HOST:PORT"
            ))
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// How [`vici()`] runs.
#[derive(Debug, Clone)]
pub struct ViciOptions {
    /// The host name its lines and tunnels get.
    pub host: String,
    /// How often connections and SAs are listed.
    pub poll: Duration,
}

/// A connection charon has loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    /// Its name (the tunnel's, as the log names it).
    pub name: String,
    /// This side's addresses.
    pub local_addrs: Vec<String>,
    /// The peer's addresses.
    pub remote_addrs: Vec<String>,
    /// `IKEv1`, `IKEv2` or `0` (any).
    pub version: String,
}

/// An IKE SA charon has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sa {
    /// Its connection's name.
    pub name: String,
    /// Its state (`ESTABLISHED`, `CONNECTING`, ...).
    pub state: String,
    /// This side's address.
    pub local_host: String,
    /// The peer's address.
    pub remote_host: String,
    /// How many of its CHILD SAs are `INSTALLED`.
    pub children_installed: usize,
}

/// What charon has, at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The host ([`ViciOptions::host`]).
    pub host: String,
    /// Loaded connections.
    pub conns: Vec<Conn>,
    /// IKE SAs.
    pub sas: Vec<Sa>,
}

/// What [`vici()`] tells besides lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Connected, to this daemon (`charon 5.9.8`).
    Connected(String),
    /// The connection ended or could not be made, and why.
    Disconnected(String),
    /// Connections and SAs, listed.
    View(View),
}

/// Follows charon's VICI socket until the channels close; never returns an
/// error for charon going away (it reconnects), only for channels closed.
pub async fn vici(
    endpoint: Endpoint,
    opts: ViciOptions,
    lines: Sender<Received>,
    events: Sender<Event>,
    stats: Arc<Stats>,
) {
    let source: Arc<str> = Arc::from(format!("vici:{endpoint}"));
    let counter = stats.line_counter(&source);
    let mut backoff = Duration::from_millis(500);
    loop {
        let outcome = match connect(&endpoint).await {
            Ok((r, w)) => {
                session(
                    r,
                    w,
                    &opts,
                    &source,
                    &counter,
                    &lines,
                    &events,
                    &mut backoff,
                )
                .await
            }
            Err(e) => Err(io::Error::new(e.kind(), format!("{endpoint}: {e}"))),
        };
        let reason = match outcome {
            Ok(()) => return, // a channel closed: watch is stopping
            Err(e) => e.to_string(),
        };
        if events.send(Event::Disconnected(reason)).await.is_err() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// The two halves of a connection to charon's socket.
type Halves = (
    Box<dyn AsyncRead + Unpin + Send>,
    Box<dyn AsyncWrite + Unpin + Send>,
);

async fn connect(endpoint: &Endpoint) -> io::Result<Halves> {
    Ok(match endpoint {
        Endpoint::Unix(path) => {
            let (r, w) = tokio::net::UnixStream::connect(path).await?.into_split();
            (Box::new(r), Box::new(w))
        }
        Endpoint::Tcp(addr) => {
            let (r, w) = tokio::net::TcpStream::connect(addr).await?.into_split();
            (Box::new(r), Box::new(w))
        }
    })
}

/// What the session waits for an answer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Nothing,
    Version,
    Conns,
    Sas,
}

#[allow(clippy::too_many_arguments)]
async fn session(
    mut r: impl AsyncRead + Unpin,
    mut w: impl AsyncWrite + Unpin,
    opts: &ViciOptions,
    source: &Arc<str>,
    counter: &std::sync::atomic::AtomicU64,
    lines: &Sender<Received>,
    events: &Sender<Event>,
    backoff: &mut Duration,
) -> io::Result<()> {
    let none = Message::default();
    for event in ["log", "ike-updown", "child-updown", "list-conn", "list-sa"] {
        w.write_all(&encode_packet(EVENT_REGISTER, Some(event), &none))
            .await?;
    }
    w.write_all(&encode_packet(CMD_REQUEST, Some("version"), &none))
        .await?;
    let mut asked = Asked::Version;
    let mut conns = Vec::new();
    let mut sas = Vec::new();
    let mut next_list = Instant::now();
    let noblock = Message {
        entries: vec![("noblock".to_owned(), Value::Str("yes".to_owned()))],
    };
    loop {
        let packet = tokio::select! {
            packet = read_packet(&mut r) => packet?,
            _ = tokio::time::sleep_until(next_list), if asked == Asked::Nothing => {
                conns.clear();
                w.write_all(&encode_packet(CMD_REQUEST, Some("list-conns"), &none)).await?;
                asked = Asked::Conns;
                next_list = Instant::now() + opts.poll;
                continue;
            }
        };
        match (packet.kind, packet.name.as_deref()) {
            (EVENT, Some("log")) => {
                for line in log_lines(&opts.host, &packet.message) {
                    counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let received = Received {
                        source: source.clone(),
                        line,
                        position: None,
                    };
                    if lines.send(received).await.is_err() {
                        return Ok(());
                    }
                }
            }
            (EVENT, Some("list-conn")) => conns.extend(conns_of(&packet.message)),
            (EVENT, Some("list-sa")) => sas.extend(sas_of(&packet.message)),
            (EVENT, Some("ike-updown" | "child-updown")) => {
                // An SA went up or down: list again soon.
                next_list = next_list.min(Instant::now() + Duration::from_secs(1));
            }
            (CMD_RESPONSE | CMD_UNKNOWN, _) => match asked {
                Asked::Version => {
                    let daemon = format!(
                        "{} {}",
                        packet.message.str("daemon").unwrap_or("charon"),
                        packet.message.str("version").unwrap_or("")
                    );
                    *backoff = Duration::from_millis(500);
                    if events.send(Event::Connected(daemon)).await.is_err() {
                        return Ok(());
                    }
                    asked = Asked::Nothing;
                }
                Asked::Conns => {
                    sas.clear();
                    w.write_all(&encode_packet(CMD_REQUEST, Some("list-sas"), &noblock))
                        .await?;
                    asked = Asked::Sas;
                }
                Asked::Sas => {
                    let view = View {
                        host: opts.host.clone(),
                        conns: std::mem::take(&mut conns),
                        sas: std::mem::take(&mut sas),
                    };
                    if events.send(Event::View(view)).await.is_err() {
                        return Ok(());
                    }
                    asked = Asked::Nothing;
                }
                Asked::Nothing => {}
            },
            // Registration confirmed, or an event this charon lacks.
            (EVENT_CONFIRM | EVENT_UNKNOWN, _) => {}
            _ => {}
        }
    }
}

async fn read_packet(r: &mut (impl AsyncRead + Unpin)) -> io::Result<Packet> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_SEGMENT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            ViciError::TooLong(len),
        ));
    }
    let mut data = vec![0u8; len];
    r.read_exact(&mut data).await?;
    decode_packet(&data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// A `log` event as charon's syslog logger writes it, one line per line of
/// its message: `Mon DD HH:MM:SS HOST charon: TT[GRP] <name|id> text`
/// (the time is when it was read, UTC).
pub fn log_lines(host: &str, event: &Message) -> Vec<String> {
    let group = event.str("group").unwrap_or("DMN");
    let thread: u32 = event
        .str("thread")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let tag = match (event.str("ikesa-name"), event.str("ikesa-uniqueid")) {
        (Some(name), Some(id)) => format!("<{name}|{id}> "),
        (None, Some(id)) => format!("<{id}> "),
        _ => String::new(),
    };
    let stamp = bsd_time(SystemTime::now());
    event
        .str("msg")
        .unwrap_or("")
        .lines()
        .filter(|l| !l.is_empty())
        .map(|text| format!("{stamp} {host} charon: {thread:02}[{group}] {tag}{text}"))
        .collect()
}

fn bsd_time(at: SystemTime) -> String {
    let secs = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let ts = ipsec_doctor_logs::Timestamp::from_unix(i64::try_from(secs).unwrap_or(0));
    // Without its year the logs crate writes syslog's `Mon DD HH:MM:SS`.
    ipsec_doctor_logs::Timestamp { year: None, ..ts }.to_string()
}

fn conns_of(event: &Message) -> Vec<Conn> {
    event
        .sections()
        .map(|(name, conn)| Conn {
            name: name.to_owned(),
            local_addrs: conn.list("local_addrs").to_vec(),
            remote_addrs: conn.list("remote_addrs").to_vec(),
            version: conn.str("version").unwrap_or("").to_owned(),
        })
        .collect()
}

fn sas_of(event: &Message) -> Vec<Sa> {
    event
        .sections()
        .map(|(name, sa)| Sa {
            name: name.to_owned(),
            state: sa.str("state").unwrap_or("").to_owned(),
            local_host: sa.str("local-host").unwrap_or("").to_owned(),
            remote_host: sa.str("remote-host").unwrap_or("").to_owned(),
            children_installed: sa
                .get("child-sas")
                .and_then(|c| match c {
                    Value::Section(children) => Some(
                        children
                            .sections()
                            .filter(|(_, c)| c.str("state") == Some("INSTALLED"))
                            .count(),
                    ),
                    _ => None,
                })
                .unwrap_or(0),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The README's encoding example, byte for byte.
    const EXAMPLE: &[u8] = &[
        3, 4, b'k', b'e', b'y', b'1', 0, 6, b'v', b'a', b'l', b'u', b'e', b'1', 1, 8, b's', b'e',
        b'c', b't', b'i', b'o', b'n', b'1', 1, 11, b's', b'u', b'b', b'-', b's', b'e', b'c', b't',
        b'i', b'o', b'n', 3, 4, b'k', b'e', b'y', b'2', 0, 6, b'v', b'a', b'l', b'u', b'e', b'2',
        2, 4, 5, b'l', b'i', b's', b't', b'1', 5, 0, 5, b'i', b't', b'e', b'm', b'1', 5, 0, 5,
        b'i', b't', b'e', b'm', b'2', 6, 2,
    ];

    #[test]
    fn the_protocol_documents_example_decodes_and_encodes_back() {
        let m = decode_message(EXAMPLE).unwrap();
        assert_eq!(m.str("key1"), Some("value1"));
        let (name, section) = m.sections().next().unwrap();
        assert_eq!(name, "section1");
        assert_eq!(section.list("list1"), ["item1", "item2"]);
        let (sub, inner) = section.sections().next().unwrap();
        assert_eq!((sub, inner.str("key2")), ("sub-section", Some("value2")));
        let mut out = Vec::new();
        m.encode(&mut out);
        assert_eq!(out, EXAMPLE);
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        for bad in [
            &[SECTION_END][..],
            &[SECTION_START, 3, b'a'],
            &[KEY_VALUE, 1, b'k', 0, 9, b'x'],
            &[LIST_START, 1, b'l', KEY_VALUE, 1, b'k', 0, 0],
            &[LIST_ITEM, 0, 0],
            &[SECTION_START, 1, b's'],
            &[9],
        ] {
            assert!(decode_message(bad).is_err(), "{bad:?}");
        }
        assert!(decode_packet(&[]).is_err());
        assert!(decode_packet(&[EVENT, 200]).is_err());
        // Every prefix of a valid packet: an error or a packet, never a panic.
        let packet = encode_packet(EVENT, Some("log"), &decode_message(EXAMPLE).unwrap());
        for end in 4..packet.len() {
            let _ = decode_packet(&packet[4..end]);
        }
    }

    #[test]
    fn a_log_event_is_a_line_as_charons_syslog_writes_it() {
        let event = Message {
            entries: vec![
                ("group".into(), Value::Str("IKE".into())),
                ("level".into(), Value::Str("1".into())),
                ("thread".into(), Value::Str("5".into())),
                ("ikesa-name".into(), Value::Str("gw-gw".into())),
                ("ikesa-uniqueid".into(), Value::Str("3".into())),
                (
                    "msg".into(),
                    Value::Str("initiating IKE_SA gw-gw[3] to 192.0.2.74".into()),
                ),
            ],
        };
        let lines = log_lines("fw-a", &event);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert!(
            line.ends_with(
                " fw-a charon: 05[IKE] <gw-gw|3> initiating IKE_SA gw-gw[3] to 192.0.2.74"
            ),
            "{line}"
        );
        let framed = ipsec_doctor_logs::frame(line).unwrap();
        assert_eq!(framed.host.as_deref(), Some("fw-a"));
        assert_eq!(framed.thread, Some(5));
        assert_eq!(framed.ike_sa.map(|t| t.unique_id), Some(Some(3)));
    }

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            "unix:///run/charon.vici".parse::<Endpoint>().unwrap(),
            Endpoint::Unix("/run/charon.vici".into())
        );
        assert_eq!(
            "tcp://10.0.0.1:4502".parse::<Endpoint>().unwrap(),
            Endpoint::Tcp("10.0.0.1:4502".into())
        );
        assert!("http://x".parse::<Endpoint>().is_err());
        assert!("unix://".parse::<Endpoint>().is_err());
    }
}
