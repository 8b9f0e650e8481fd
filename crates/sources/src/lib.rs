//! Where `ipsec-doctor watch` reads lines from: syslog received over UDP or
//! TCP, files followed as `tail -F` follows them, and standard input.
//!
//! This crate diagnoses nothing. Each source delivers [`Received`] lines,
//! in the form a log file would hold them, to a bounded
//! [`tokio::sync::mpsc`] channel, and counts what it delivered and what it
//! had to drop in a shared [`Stats`] (which the metrics read):
//!
//! - [`syslog()`] binds a [`Listen`] address and serves it: one UDP datagram
//!   is one message; a TCP connection is framed by RFC 6587 octet counting
//!   or by newlines, decided by its first byte. Each message is
//!   [`normalise()`]d: kept as received, except that a message without a
//!   host gets its sender's address as the host.
//! - [`follow()`] reads a file from the start (or a [`FilePosition`] saved
//!   before a restart) and follows it across rotation and truncation.
//! - [`stdin()`] reads standard input to its end.
//! - [`vici::vici()`] follows strongSwan's VICI socket: charon's log events
//!   as lines, and its loaded connections and SAs.
//!
//! Every buffer is bounded: a frame or line longer than [`MAX_FRAME`]
//! (64 KiB) keeps its first 64 KiB and the rest is skipped without being
//! held. Loss is never silent: UDP never waits for a full channel and
//! counts the message [`DropReason::QueueFull`] instead; TCP, files and
//! standard input wait for room (backpressure, no loss).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use ipsec_doctor_sources::{syslog, Listen, Stats, SyslogOptions};
//! let stats = Stats::new();
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! let listen: Listen = "udp://0.0.0.0:5514".parse().map_err(std::io::Error::other)?;
//! let (bound, serve) = syslog(listen, SyslogOptions::default(), tx, stats.clone()).await?;
//! tokio::spawn(serve);
//! println!("listening on {bound}");
//! while let Some(received) = rx.recv().await {
//!     println!("{}: {}", received.source, received.line);
//! }
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::Sender;

mod follow;
mod framing;
mod normalise;
mod syslog;
pub mod vici;

pub use follow::{follow, FollowOptions};
pub use normalise::normalise;
pub use syslog::{syslog, tls_config, SyslogOptions};

/// The longest frame or line delivered, in bytes (64 KiB): a longer one is
/// cut to this length (at a character boundary) and counted
/// [`DropReason::Oversize`].
pub const MAX_FRAME: usize = 65536;

/// One line as received, in the form a log file would hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The source it came from: the listener's URL (`udp://0.0.0.0:5514`,
    /// never the peer's address), the followed file's path, or `-` for
    /// standard input.
    pub source: Arc<str>,
    /// The line, without its terminator.
    pub line: String,
    /// For a followed file, where it was read up to after this line.
    pub position: Option<FilePosition>,
}

/// Where a followed file was read up to (after this line), to resume after a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilePosition {
    /// The device of the file (`st_dev`).
    pub dev: u64,
    /// The inode of the file (`st_ino`).
    pub ino: u64,
    /// The byte offset just after the line.
    pub offset: u64,
}

/// Why a message was not delivered, or was not delivered whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// A frame or line longer than [`MAX_FRAME`] (or the configured
    /// maximum): delivered cut, its rest dropped.
    Oversize,
    /// A UDP message arrived while the channel was full.
    QueueFull,
    /// A TCP stream that could not be framed (an invalid octet count), or a
    /// frame cut short by the client disconnecting: the connection is
    /// closed, the partial frame dropped.
    InvalidFrame,
    /// A TCP connection beyond the maximum, refused.
    ConnectionLimit,
    /// A TCP connection closed after being silent too long.
    IdleTimeout,
    /// A UDP datagram or octet-counted frame that held nothing once decoded
    /// (only NUL, CR or LF).
    Decode,
    /// A TLS connection whose handshake failed (a client speaking plain
    /// TCP, a certificate it refused) or did not finish in time.
    TlsHandshake,
}

impl DropReason {
    /// Every reason, in the order [`Stats::dropped`] lists them.
    pub const ALL: [DropReason; 7] = [
        DropReason::Oversize,
        DropReason::QueueFull,
        DropReason::InvalidFrame,
        DropReason::ConnectionLimit,
        DropReason::IdleTimeout,
        DropReason::Decode,
        DropReason::TlsHandshake,
    ];

    /// The reason as a metric label value: `oversize`, `queue_full`,
    /// `invalid_frame`, `connection_limit`, `idle_timeout`, `decode`,
    /// `tls_handshake`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DropReason::Oversize => "oversize",
            DropReason::QueueFull => "queue_full",
            DropReason::InvalidFrame => "invalid_frame",
            DropReason::ConnectionLimit => "connection_limit",
            DropReason::IdleTimeout => "idle_timeout",
            DropReason::Decode => "decode",
            DropReason::TlsHandshake => "tls_handshake",
        }
    }

    fn index(self) -> usize {
        match self {
            DropReason::Oversize => 0,
            DropReason::QueueFull => 1,
            DropReason::InvalidFrame => 2,
            DropReason::ConnectionLimit => 3,
            DropReason::IdleTimeout => 4,
            DropReason::Decode => 5,
            DropReason::TlsHandshake => 6,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counters shared with the metrics (atomics; cheap to clone via Arc).
///
/// Lines are counted per source (a source registers its counter once, then
/// counts without a lock); drops per [`DropReason`].
#[derive(Debug, Default)]
pub struct Stats {
    drops: [AtomicU64; 7],
    lines: Mutex<Vec<(Arc<str>, Arc<AtomicU64>)>>,
    /// The UDP listeners' socket inodes, for the kernel's drop counts.
    udp_inodes: Mutex<Vec<u64>>,
}

impl Stats {
    /// New counters, all zero.
    pub fn new() -> Arc<Stats> {
        Arc::new(Stats::default())
    }

    /// Every drop reason with its count (zeros included), in the order of
    /// [`DropReason::ALL`].
    pub fn dropped(&self) -> Vec<(DropReason, u64)> {
        DropReason::ALL
            .iter()
            .map(|&reason| (reason, self.dropped_for(reason)))
            .collect()
    }

    /// The count of one drop reason.
    pub fn dropped_for(&self, reason: DropReason) -> u64 {
        self.drops[reason.index()].load(Ordering::Relaxed)
    }

    /// Counts one drop.
    pub fn record_drop(&self, reason: DropReason) {
        self.drops[reason.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Notes a UDP listener, so that [`Stats::kernel_udp_drops`] counts the
    /// datagrams the kernel dropped for it (Linux; elsewhere nothing).
    pub fn watch_udp_socket(&self, socket: &tokio::net::UdpSocket) {
        use std::os::fd::AsRawFd;
        let link = std::fs::read_link(format!("/proc/self/fd/{}", socket.as_raw_fd()));
        let inode = link.ok().and_then(|target| {
            target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        });
        if let Some(inode) = inode {
            let mut inodes = self.udp_inodes.lock().unwrap_or_else(|e| e.into_inner());
            inodes.push(inode);
        }
    }

    /// Datagrams the kernel dropped before they were read (a full receive
    /// buffer: `netstat -su`'s "receive buffer errors"), summed over the UDP
    /// listeners, from `/proc/self/net/udp` and `udp6` (their last
    /// column, `drops`, on the socket's line).
    pub fn kernel_udp_drops(&self) -> u64 {
        let inodes = self.udp_inodes.lock().unwrap_or_else(|e| e.into_inner());
        if inodes.is_empty() {
            return 0;
        }
        let mut total = 0;
        // /proc/self/net: /proc/net is hidden under systemd's ProcSubset=pid.
        for table in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
            if let Ok(text) = std::fs::read_to_string(table) {
                total += udp_drops(&text, &inodes);
            }
        }
        total
    }

    /// Lines delivered per source, in the order the sources started.
    pub fn lines(&self) -> Vec<(Arc<str>, u64)> {
        let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        lines
            .iter()
            .map(|(source, n)| (source.clone(), n.load(Ordering::Relaxed)))
            .collect()
    }

    /// The counter of lines delivered from `source` (created at zero the
    /// first time; one per source name).
    pub fn line_counter(&self, source: &Arc<str>) -> Arc<AtomicU64> {
        let mut lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, n)) = lines.iter().find(|(s, _)| s == source) {
            return n.clone();
        }
        let n = Arc::new(AtomicU64::new(0));
        lines.push((source.clone(), n.clone()));
        n
    }
}

/// The drops of the sockets `inodes` in a `/proc/net/udp` table: `sl
/// local rem st tx:rx tr tm->when retrnsmt uid timeout inode ref pointer
/// drops`.
fn udp_drops(table: &str, inodes: &[u64]) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let inode: u64 = fields.get(9)?.parse().ok()?;
            if !inodes.contains(&inode) {
                return None;
            }
            fields.last()?.parse::<u64>().ok()
        })
        .sum()
}

/// A syslog listener's address and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// `udp://ADDRESS:PORT`: one datagram is one message.
    Udp(SocketAddr),
    /// `tcp://ADDRESS:PORT`: octet-counted or newline-delimited messages.
    Tcp(SocketAddr),
    /// `tls://ADDRESS:PORT`: as TCP, inside TLS (RFC 5425; the certificate
    /// and key in [`SyslogOptions::tls`]).
    Tls(SocketAddr),
}

impl Listen {
    /// The address to bind.
    pub fn addr(&self) -> SocketAddr {
        match *self {
            Listen::Udp(addr) | Listen::Tcp(addr) | Listen::Tls(addr) => addr,
        }
    }
}

impl fmt::Display for Listen {
    /// The URL form, `udp://0.0.0.0:5514` (what [`FromStr`] reads).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Udp(addr) => write!(f, "udp://{addr}"),
            Listen::Tcp(addr) => write!(f, "tcp://{addr}"),
            Listen::Tls(addr) => write!(f, "tls://{addr}"),
        }
    }
}

/// Why a `--listen` value is not a [`Listen`]; its text says what to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenParseError {
    message: String,
}

impl fmt::Display for ListenParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ListenParseError {}

impl FromStr for Listen {
    type Err = ListenParseError;

    /// `udp://0.0.0.0:5514`, `tcp://127.0.0.1:5514`, `tcp://[::]:5514`: an IP
    /// address and a port (host names are not resolved).
    fn from_str(text: &str) -> Result<Listen, ListenParseError> {
        let error = |message: String| Err(ListenParseError { message });
        let Some((scheme, address)) = text.split_once("://") else {
            return error(format!(
                "`{text}`: expected udp://ADDRESS:PORT or tcp://ADDRESS:PORT, \
                 for example udp://0.0.0.0:5514"
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "udp" && scheme != "tcp" && scheme != "tls" {
            return error(format!(
                "`{text}`: unknown scheme `{scheme}://`; expected udp://, tcp:// or tls://"
            ));
        }
        let addr: SocketAddr = match address.trim_end_matches('/').parse() {
            Ok(addr) => addr,
            Err(_) => {
                return error(format!(
                    "`{text}`: `{address}` is not ADDRESS:PORT with an IP address \
                     (for example 0.0.0.0:5514 or [::]:5514)"
                ))
            }
        };
        Ok(match scheme.as_str() {
            "udp" => Listen::Udp(addr),
            "tls" => Listen::Tls(addr),
            _ => Listen::Tcp(addr),
        })
    }
}

/// Reads standard input to its end: newline-delimited lines, source `-`.
///
/// A last line without a newline is delivered at the end of input. Lines
/// longer than [`MAX_FRAME`] are cut (counted [`DropReason::Oversize`]).
/// Waits for room in the channel; returns early, with `Ok`, when the
/// channel closes.
pub async fn stdin(tx: Sender<Received>, stats: Arc<Stats>) -> std::io::Result<()> {
    read_lines(tokio::io::stdin(), Arc::from("-"), tx, stats).await
}

/// Newline-delimited lines of `reader` to its end, as [`stdin`] reads them.
async fn read_lines<R: AsyncRead + Unpin>(
    mut reader: R,
    source: Arc<str>,
    tx: Sender<Received>,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    let counter = stats.line_counter(&source);
    let mut framer = framing::LineFramer::new(MAX_FRAME, false);
    let mut buf = vec![0u8; 16 * 1024];
    let mut frames = Vec::new();
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            frames.extend(framer.take_partial());
        } else {
            framer.push(&buf[..n], &mut frames);
        }
        for frame in frames.drain(..) {
            if frame.cut {
                stats.record_drop(DropReason::Oversize);
            }
            let line = normalise(&frame.bytes, None);
            if line.is_empty() {
                continue;
            }
            let received = Received {
                source: source.clone(),
                line,
                position: None,
            };
            if tx.send(received).await.is_err() {
                return Ok(());
            }
            counter.fetch_add(1, Ordering::Relaxed);
        }
        if n == 0 {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kernel_drops_are_read_from_the_sockets_line() {
        let table = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
          123: 0100007F:15BA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 48113 2 0000000000000000 17\n\
          124: 00000000:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 5\n";
        assert_eq!(super::udp_drops(table, &[48113]), 17);
        assert_eq!(super::udp_drops(table, &[48113, 999]), 22);
        assert_eq!(super::udp_drops(table, &[1]), 0);
        assert_eq!(super::udp_drops("garbage\n1 2 3\n", &[3]), 0);
    }

    #[test]
    fn listen_parses() {
        assert_eq!(
            "udp://0.0.0.0:5514".parse::<Listen>().unwrap(),
            Listen::Udp("0.0.0.0:5514".parse().unwrap())
        );
        assert_eq!(
            "tcp://127.0.0.1:5514".parse::<Listen>().unwrap(),
            Listen::Tcp("127.0.0.1:5514".parse().unwrap())
        );
        assert_eq!(
            "TCP://[::]:5514".parse::<Listen>().unwrap(),
            Listen::Tcp("[::]:5514".parse().unwrap())
        );
        let listen: Listen = "udp://0.0.0.0:5514".parse().unwrap();
        assert_eq!(listen.to_string(), "udp://0.0.0.0:5514");
    }

    #[test]
    fn listen_errors_say_what_to_write() {
        assert_eq!(
            "tls://0.0.0.0:6514".parse::<Listen>().unwrap(),
            Listen::Tls("0.0.0.0:6514".parse().unwrap())
        );
        let bare = "0.0.0.0:5514".parse::<Listen>().unwrap_err();
        assert!(bare.to_string().contains("udp://ADDRESS:PORT"), "{bare}");
        let scheme = "http://0.0.0.0:80".parse::<Listen>().unwrap_err();
        assert!(
            scheme.to_string().contains("unknown scheme `http://`"),
            "{scheme}"
        );
        let name = "udp://localhost:514".parse::<Listen>().unwrap_err();
        assert!(name.to_string().contains("not ADDRESS:PORT"), "{name}");
        assert!("udp://0.0.0.0".parse::<Listen>().is_err());
        assert!("udp://0.0.0.0:99999".parse::<Listen>().is_err());
    }

    #[test]
    fn drop_reasons_and_stats() {
        let labels: Vec<&str> = DropReason::ALL.iter().map(DropReason::as_str).collect();
        assert_eq!(
            labels,
            [
                "oversize",
                "queue_full",
                "invalid_frame",
                "connection_limit",
                "idle_timeout",
                "decode",
                "tls_handshake"
            ]
        );
        let stats = Stats::new();
        stats.record_drop(DropReason::QueueFull);
        stats.record_drop(DropReason::QueueFull);
        assert_eq!(stats.dropped_for(DropReason::QueueFull), 2);
        assert_eq!(stats.dropped()[1], (DropReason::QueueFull, 2));
        let a: Arc<str> = Arc::from("a");
        stats.line_counter(&a).fetch_add(3, Ordering::Relaxed);
        stats.line_counter(&a).fetch_add(1, Ordering::Relaxed);
        assert_eq!(stats.lines(), vec![(a, 4)]);
    }

    #[tokio::test]
    async fn lines_of_a_reader() {
        let stats = Stats::new();
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut input = b"one\r\ntwo\n\nthree".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_FRAME + 10));
        input.extend(b"\nfour");
        read_lines(&input[..], Arc::from("-"), tx, stats.clone())
            .await
            .unwrap();
        let mut got = Vec::new();
        while let Some(r) = rx.recv().await {
            assert_eq!(&*r.source, "-");
            assert_eq!(r.position, None);
            got.push(r.line);
        }
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], "one");
        assert_eq!(got[1], "two");
        assert_eq!(got[2].len(), MAX_FRAME);
        assert!(got[2].starts_with("threexxx"));
        assert_eq!(got[3], "four");
        assert_eq!(stats.dropped_for(DropReason::Oversize), 1);
        assert_eq!(stats.lines(), vec![(Arc::from("-"), 4)]);
    }
}
