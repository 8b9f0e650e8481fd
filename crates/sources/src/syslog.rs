//! The syslog receiver: UDP datagrams and TCP streams.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::Sender;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use crate::framing::{trim_incomplete_char, Frame, StreamFramer};
use crate::{normalise, DropReason, Listen, Received, Stats, MAX_FRAME};

/// Limits of the syslog receiver, and its TLS configuration.
#[derive(Debug, Clone)]
pub struct SyslogOptions {
    /// The longest message delivered, in bytes (default [`MAX_FRAME`],
    /// 64 KiB); a longer one is cut and counted [`DropReason::Oversize`].
    pub max_frame: usize,
    /// The most TCP connections served at once (default 512); one more is
    /// closed at once and counted [`DropReason::ConnectionLimit`].
    pub max_connections: usize,
    /// How long a TCP connection may stay silent (default 300 s) before it
    /// is closed and counted [`DropReason::IdleTimeout`]; a TLS handshake
    /// gets as long, else it is counted [`DropReason::TlsHandshake`].
    pub idle_timeout: Duration,
    /// The server certificate and key of a `tls://` listener
    /// ([`tls_config`]).
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
}

impl Default for SyslogOptions {
    fn default() -> SyslogOptions {
        SyslogOptions {
            max_frame: MAX_FRAME,
            max_connections: 512,
            idle_timeout: Duration::from_secs(300),
            tls: None,
        }
    }
}

/// A TLS server configuration from a PEM certificate chain and a PEM
/// private key (PKCS #8, PKCS #1 or SEC1), with errors that name the file.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> io::Result<Arc<tokio_rustls::rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let named = |path: &std::path::Path, what: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| named(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| named(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(named(cert, "no PEM certificate in it".to_owned()));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| named(key, e.to_string()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| named(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| named(key, format!("does not go with {}: {e}", cert.display())))?;
    Ok(Arc::new(config))
}

/// Binds (so the caller learns a bad address immediately) and returns the bound address plus a future that serves until the channel closes.
///
/// Every message is [`normalise()`]d with its sender's address, and delivered
/// with the listener's URL (`udp://0.0.0.0:5514`, the bound port when port
/// 0 was asked) as its source.
///
/// - UDP: one datagram is one message. The receive loop never waits for the
///   channel: a message that finds it full is counted
///   [`DropReason::QueueFull`].
/// - TCP: the first byte of each connection decides its framing: a digit
///   means RFC 6587 octet counting (`123 <30>...`), anything else messages
///   ended by LF or NUL. An invalid octet count closes the connection
///   (counted [`DropReason::InvalidFrame`]), as does a disconnect in the
///   middle of a frame (the partial frame is not delivered). Delivery waits
///   for room in the channel, so a slow consumer slows the senders down
///   instead of losing their messages.
///
/// Dropping the future stops the listener and every connection.
pub async fn syslog(
    listen: Listen,
    opts: SyslogOptions,
    tx: Sender<Received>,
    stats: Arc<Stats>,
) -> io::Result<(SocketAddr, impl Future<Output = ()> + Send + 'static)> {
    type Serve = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
    let (bound, serve): (SocketAddr, Serve) = match listen {
        Listen::Udp(addr) => {
            let socket = UdpSocket::bind(addr).await?;
            let bound = socket.local_addr()?;
            stats.watch_udp_socket(&socket);
            let source: Arc<str> = Arc::from(Listen::Udp(bound).to_string());
            (bound, Box::pin(serve_udp(socket, source, opts, tx, stats)))
        }
        Listen::Tcp(addr) => {
            let listener = TcpListener::bind(addr).await?;
            let bound = listener.local_addr()?;
            let source: Arc<str> = Arc::from(Listen::Tcp(bound).to_string());
            (
                bound,
                Box::pin(serve_tcp(listener, source, opts, None, tx, stats)),
            )
        }
        Listen::Tls(addr) => {
            let Some(config) = opts.tls.clone() else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("tls://{addr}: no certificate and key given"),
                ));
            };
            let listener = TcpListener::bind(addr).await?;
            let bound = listener.local_addr()?;
            let source: Arc<str> = Arc::from(Listen::Tls(bound).to_string());
            let acceptor = tokio_rustls::TlsAcceptor::from(config);
            (
                bound,
                Box::pin(serve_tcp(listener, source, opts, Some(acceptor), tx, stats)),
            )
        }
    };
    Ok((bound, serve))
}

/// A datagram's payload is at most 65,507 bytes (IPv4) or 65,527 (IPv6):
/// this buffer holds any.
const DATAGRAM_MAX: usize = 65536;

async fn serve_udp(
    socket: UdpSocket,
    source: Arc<str>,
    opts: SyslogOptions,
    tx: Sender<Received>,
    stats: Arc<Stats>,
) {
    let counter = stats.line_counter(&source);
    let mut buf = vec![0u8; DATAGRAM_MAX];
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buf) => received,
            () = tx.closed() => return,
        };
        let (n, peer) = match received {
            Ok(received) => received,
            Err(_) => {
                // A transient error (an ICMP error reported on the socket,
                // memory pressure): go on, without spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let sender = Some(peer.ip().to_canonical());
        let line = if n > opts.max_frame {
            let mut cut = buf[..opts.max_frame].to_vec();
            trim_incomplete_char(&mut cut);
            stats.record_drop(DropReason::Oversize);
            normalise(&cut, sender)
        } else {
            normalise(&buf[..n], sender)
        };
        if line.is_empty() {
            stats.record_drop(DropReason::Decode);
            continue;
        }
        let received = Received {
            source: source.clone(),
            line,
            position: None,
        };
        match tx.try_send(received) {
            Ok(()) => {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => stats.record_drop(DropReason::QueueFull),
            Err(TrySendError::Closed(_)) => return,
        }
    }
}

async fn serve_tcp(
    listener: TcpListener,
    source: Arc<str>,
    opts: SyslogOptions,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tx: Sender<Received>,
    stats: Arc<Stats>,
) {
    let counter = stats.line_counter(&source);
    let permits = Arc::new(Semaphore::new(
        opts.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = tx.closed() => return,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of file descriptors, or a connection reset before it
                // was accepted: go on, without spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            stats.record_drop(DropReason::ConnectionLimit);
            drop(stream);
            continue;
        };
        let connection = Connection {
            peer: peer.ip().to_canonical(),
            source: source.clone(),
            counter: counter.clone(),
            opts: opts.clone(),
            tx: tx.clone(),
            stats: stats.clone(),
            _permit: permit,
        };
        match &tls {
            None => {
                connections.spawn(connection.serve(stream));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let timeout = connection.opts.idle_timeout;
                    match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => connection.serve(stream).await,
                        _ => connection.stats.record_drop(DropReason::TlsHandshake),
                    }
                });
            }
        }
    }
}

/// One TCP connection being served; its permit is returned when it ends.
struct Connection {
    peer: IpAddr,
    source: Arc<str>,
    counter: Arc<AtomicU64>,
    opts: SyslogOptions,
    tx: Sender<Received>,
    stats: Arc<Stats>,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn serve(self, mut stream: impl tokio::io::AsyncRead + Unpin) {
        let mut framer = StreamFramer::new(self.opts.max_frame);
        let mut buf = vec![0u8; 16 * 1024];
        let mut frames = Vec::new();
        loop {
            let read = tokio::select! {
                read = tokio::time::timeout(self.opts.idle_timeout, stream.read(&mut buf)) => read,
                () = self.tx.closed() => return,
            };
            let n = match read {
                Err(_elapsed) => {
                    self.stats.record_drop(DropReason::IdleTimeout);
                    return;
                }
                Ok(Ok(0)) | Ok(Err(_)) => {
                    if framer.mid_frame() {
                        self.stats.record_drop(DropReason::InvalidFrame);
                    }
                    return;
                }
                Ok(Ok(n)) => n,
            };
            let framed = framer.push(&buf[..n], &mut frames);
            let counted = matches!(framer, StreamFramer::Octets(_));
            for frame in frames.drain(..) {
                if !self.deliver(frame, counted).await {
                    return;
                }
            }
            if framed.is_err() {
                self.stats.record_drop(DropReason::InvalidFrame);
                return;
            }
        }
    }

    /// Delivers one frame; `false` when the channel is closed.
    async fn deliver(&self, frame: Frame, counted: bool) -> bool {
        if frame.cut {
            self.stats.record_drop(DropReason::Oversize);
        }
        let line = normalise(&frame.bytes, Some(self.peer));
        if line.is_empty() {
            // An empty line between newline-ended messages (CR LF NUL
            // endings) is no message; an octet-counted frame is one.
            if counted {
                self.stats.record_drop(DropReason::Decode);
            }
            return true;
        }
        let received = Received {
            source: self.source.clone(),
            line,
            position: None,
        };
        if self.tx.send(received).await.is_err() {
            return false;
        }
        self.counter.fetch_add(1, Ordering::Relaxed);
        true
    }
}
