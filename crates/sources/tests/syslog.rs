//! The syslog receiver over real sockets on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ipsec_doctor_sources::{syslog, DropReason, Listen, Received, Stats, SyslogOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc::{channel, Receiver};
use tokio::time::{sleep, timeout};

const WAIT: Duration = Duration::from_secs(3);

async fn start(
    listen: &str,
    opts: SyslogOptions,
    capacity: usize,
) -> (SocketAddr, Receiver<Received>, Arc<Stats>) {
    let stats = Stats::new();
    let (tx, rx) = channel(capacity);
    let listen: Listen = listen.parse().unwrap();
    let (bound, serve) = syslog(listen, opts, tx, stats.clone()).await.unwrap();
    tokio::spawn(serve);
    (bound, rx, stats)
}

async fn recv(rx: &mut Receiver<Received>) -> Received {
    timeout(WAIT, rx.recv())
        .await
        .expect("no line in time")
        .expect("channel closed")
}

async fn lines(rx: &mut Receiver<Received>, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..n {
        got.push(recv(rx).await.line);
    }
    got
}

async fn nothing_more(rx: &mut Receiver<Received>) {
    if let Ok(Some(extra)) = timeout(Duration::from_millis(150), rx.recv()).await {
        panic!("unexpected line {:?}", extra.line);
    }
}

async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        sleep(Duration::from_millis(5)).await;
    }
}

/// The peer closed the connection: a read returns EOF or a reset.
async fn closed_by_server(stream: &mut TcpStream) {
    let mut buf = [0u8; 16];
    match timeout(WAIT, stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("read {n} bytes from the server"),
        Err(_) => panic!("connection not closed"),
    }
}

#[tokio::test]
async fn udp_datagrams_arrive_normalised() {
    let (addr, mut rx, stats) = start("udp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for datagram in [
        &b"<30>Dec  1 10:00:00 charon[12]: 13[IKE] initiating\n"[..],
        b"<30>Dec  1 10:00:00 fw1 charon[12]: 13[IKE] kept\0",
        b"<30>1 2026-12-01T10:00:01.000Z - charon 123 - - 13[IKE] nil host",
        b"\0\n",
        b"<30>charon: bare\xff",
    ] {
        client.send_to(datagram, addr).await.unwrap();
    }
    let got = lines(&mut rx, 4).await;
    assert_eq!(
        got,
        [
            "<30>Dec  1 10:00:00 127.0.0.1 charon[12]: 13[IKE] initiating",
            "<30>Dec  1 10:00:00 fw1 charon[12]: 13[IKE] kept",
            "<30>1 2026-12-01T10:00:01.000Z 127.0.0.1 charon 123 - - 13[IKE] nil host",
            "<30>1 - 127.0.0.1 charon - - - bare\u{fffd}",
        ]
    );
    nothing_more(&mut rx).await;
    let source = format!("udp://{addr}");
    assert_eq!(stats.lines(), vec![(Arc::from(source.as_str()), 4)]);
    assert_eq!(stats.dropped_for(DropReason::Decode), 1);
}

#[tokio::test]
async fn udp_source_is_the_listener_and_full_queue_is_counted() {
    let (addr, mut rx, stats) = start("udp://127.0.0.1:0", SyslogOptions::default(), 2).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for i in 0..6 {
        let message = format!("<30>Dec  1 10:00:00 fw1 charon: {i}");
        client.send_to(message.as_bytes(), addr).await.unwrap();
    }
    let total =
        || stats.dropped_for(DropReason::QueueFull) + stats.lines().first().map_or(0, |(_, n)| *n);
    wait_until("all six counted", || total() == 6).await;
    assert_eq!(stats.dropped_for(DropReason::QueueFull), 4);
    let first = recv(&mut rx).await;
    assert_eq!(&*first.source, format!("udp://{addr}"));
    assert_eq!(first.line, "<30>Dec  1 10:00:00 fw1 charon: 0");
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: 1"
    );
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn udp_oversize_is_cut() {
    let opts = SyslogOptions {
        max_frame: 1000,
        ..SyslogOptions::default()
    };
    let (addr, mut rx, stats) = start("udp://127.0.0.1:0", opts, 4).await;
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut big = b"<30>Dec  1 10:00:00 fw1 charon: ".to_vec();
    big.resize(30_000, b'x');
    client.send_to(&big, addr).await.unwrap();
    let line = recv(&mut rx).await.line;
    assert_eq!(line.len(), 1000);
    assert_eq!(line.as_bytes(), &big[..1000]);
    assert_eq!(stats.dropped_for(DropReason::Oversize), 1);
}

#[tokio::test]
async fn tcp_newline_framing() {
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: a\n<30>Dec  1 10:00:00 charon: b\r\n\n")
        .await
        .unwrap();
    client
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: c\0<30>Dec  1 10:00:00 fw1 char")
        .await
        .unwrap();
    sleep(Duration::from_millis(30)).await;
    client.write_all(b"on: d\n").await.unwrap();
    let got = lines(&mut rx, 4).await;
    assert_eq!(
        got,
        [
            "<30>Dec  1 10:00:00 fw1 charon: a",
            "<30>Dec  1 10:00:00 127.0.0.1 charon: b",
            "<30>Dec  1 10:00:00 fw1 charon: c",
            "<30>Dec  1 10:00:00 fw1 charon: d",
        ]
    );
    nothing_more(&mut rx).await;
    let source = format!("tcp://{addr}");
    assert_eq!(stats.lines(), vec![(Arc::from(source.as_str()), 4)]);
    assert!(stats.dropped().iter().all(|(_, n)| *n == 0));
}

fn octet(message: &str) -> String {
    format!("{} {message}", message.len())
}

#[tokio::test]
async fn tcp_octet_counting() {
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    // Several frames in one write; a frame may hold a newline.
    let one_write = format!(
        "{}{}\n{}",
        octet("<30>Dec  1 10:00:00 fw1 charon: a"),
        octet("<30>Dec  1 10:00:00 charon[1]: b"),
        octet("<30>1 - - charon - - - c\nd"),
    );
    client.write_all(one_write.as_bytes()).await.unwrap();
    assert_eq!(
        lines(&mut rx, 3).await,
        [
            "<30>Dec  1 10:00:00 fw1 charon: a",
            "<30>Dec  1 10:00:00 127.0.0.1 charon[1]: b",
            "<30>1 - 127.0.0.1 charon - - - c d",
        ]
    );
    // One frame split across writes, the count too.
    let split = octet("<30>Dec  1 10:00:00 fw1 charon: split frame");
    for part in [&split[..1], &split[1..10], &split[10..20], &split[20..]] {
        client.write_all(part.as_bytes()).await.unwrap();
        client.flush().await.unwrap();
        sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: split frame"
    );
    nothing_more(&mut rx).await;
    assert!(stats.dropped().iter().all(|(_, n)| *n == 0));
}

#[tokio::test]
async fn tcp_ten_megabyte_frames_are_cut() {
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    let ten_mb = 10 * 1024 * 1024;
    // Octet-counted.
    let mut client = TcpStream::connect(addr).await.unwrap();
    let writer = tokio::spawn(async move {
        let head = b"<30>Dec  1 10:00:00 fw1 charon: ";
        let mut frame = format!("{ten_mb} ").into_bytes();
        frame.extend_from_slice(head);
        frame.resize(frame.len() + ten_mb - head.len(), b'y');
        frame.extend_from_slice(octet("<30>Dec  1 10:00:00 fw1 charon: next").as_bytes());
        client.write_all(&frame).await.unwrap();
        client
    });
    let line = recv(&mut rx).await.line;
    assert_eq!(line.len(), 65536);
    assert!(line.starts_with("<30>Dec  1 10:00:00 fw1 charon: yyy"));
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: next"
    );
    drop(writer.await.unwrap());
    assert_eq!(stats.dropped_for(DropReason::Oversize), 1);
    // Newline-delimited: a line that goes on is cut, the rest skipped to its newline.
    let mut client = TcpStream::connect(addr).await.unwrap();
    let writer = tokio::spawn(async move {
        let mut frame = b"<30>Dec  1 10:00:00 fw1 charon: ".to_vec();
        frame.resize(ten_mb, b'z');
        frame.extend_from_slice(b"\n<30>Dec  1 10:00:00 fw1 charon: after\n");
        client.write_all(&frame).await.unwrap();
        client
    });
    let line = recv(&mut rx).await.line;
    assert_eq!(line.len(), 65536);
    assert!(line.ends_with("zzz"));
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: after"
    );
    drop(writer.await.unwrap());
    nothing_more(&mut rx).await;
    assert_eq!(stats.dropped_for(DropReason::Oversize), 2);
}

#[tokio::test]
async fn tcp_invalid_octet_count_closes() {
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    for (n, bad) in [&b"12x <30>a"[..], b"99999999999 <30>a", b"0 "]
        .iter()
        .enumerate()
    {
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(bad).await.unwrap();
        closed_by_server(&mut client).await;
        wait_until("invalid frame counted", || {
            stats.dropped_for(DropReason::InvalidFrame) == n as u64 + 1
        })
        .await;
    }
    // A good frame, then garbage: the good one is delivered.
    let mut client = TcpStream::connect(addr).await.unwrap();
    let text = format!("{}junk", octet("<30>Dec  1 10:00:00 fw1 charon: ok"));
    client.write_all(text.as_bytes()).await.unwrap();
    closed_by_server(&mut client).await;
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: ok"
    );
    nothing_more(&mut rx).await;
    assert_eq!(stats.dropped_for(DropReason::InvalidFrame), 4);
}

#[tokio::test]
async fn tcp_disconnect_mid_frame_drops_it() {
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 16).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"100 <30>Dec  1 10:00:00 fw1 charon: partial")
        .await
        .unwrap();
    drop(client);
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: whole\n<30>half")
        .await
        .unwrap();
    drop(client);
    wait_until("both partial frames counted", || {
        stats.dropped_for(DropReason::InvalidFrame) == 2
    })
    .await;
    // The listener still serves.
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: later\n")
        .await
        .unwrap();
    assert_eq!(
        lines(&mut rx, 2).await,
        [
            "<30>Dec  1 10:00:00 fw1 charon: whole",
            "<30>Dec  1 10:00:00 fw1 charon: later"
        ]
    );
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn tcp_connection_cap() {
    let opts = SyslogOptions {
        max_connections: 2,
        ..SyslogOptions::default()
    };
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", opts, 16).await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    let mut second = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: 1\n")
        .await
        .unwrap();
    second
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: 2\n")
        .await
        .unwrap();
    let mut got = lines(&mut rx, 2).await;
    got.sort();
    assert_eq!(
        got,
        [
            "<30>Dec  1 10:00:00 fw1 charon: 1",
            "<30>Dec  1 10:00:00 fw1 charon: 2"
        ]
    );
    let mut third = TcpStream::connect(addr).await.unwrap();
    let _ = third
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: 3\n")
        .await;
    closed_by_server(&mut third).await;
    assert_eq!(stats.dropped_for(DropReason::ConnectionLimit), 1);
    // A closed connection frees its place.
    drop(first);
    let fourth = async {
        loop {
            let mut fourth = TcpStream::connect(addr).await.unwrap();
            fourth
                .write_all(b"<30>Dec  1 10:00:00 fw1 charon: 4\n")
                .await
                .unwrap();
            let mut buf = [0u8; 1];
            // Refused connections are closed at once; an accepted one stays open.
            if timeout(Duration::from_millis(100), fourth.read(&mut buf))
                .await
                .is_err()
            {
                return fourth;
            }
        }
    };
    let _fourth = timeout(WAIT, fourth).await.expect("no place freed");
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: 4"
    );
    nothing_more(&mut rx).await;
    drop(second);
}

#[tokio::test]
async fn tcp_idle_timeout() {
    let opts = SyslogOptions {
        idle_timeout: Duration::from_millis(200),
        ..SyslogOptions::default()
    };
    let (addr, mut rx, stats) = start("tcp://127.0.0.1:0", opts, 16).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"<30>Dec  1 10:00:00 fw1 charon: a\n<30>held")
        .await
        .unwrap();
    assert_eq!(
        recv(&mut rx).await.line,
        "<30>Dec  1 10:00:00 fw1 charon: a"
    );
    let started = std::time::Instant::now();
    closed_by_server(&mut client).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(stats.dropped_for(DropReason::IdleTimeout), 1);
    assert_eq!(stats.dropped_for(DropReason::InvalidFrame), 0);
    nothing_more(&mut rx).await;
}

#[tokio::test]
async fn serving_ends_when_the_channel_closes() {
    for listen in ["udp://127.0.0.1:0", "tcp://127.0.0.1:0"] {
        let (tx, rx) = channel(4);
        let listen: Listen = listen.parse().unwrap();
        let (addr, serve) = syslog(listen, SyslogOptions::default(), tx, Stats::new())
            .await
            .unwrap();
        let task = tokio::spawn(serve);
        let _client = match listen {
            Listen::Tcp(_) | Listen::Tls(_) => Some(TcpStream::connect(addr).await.unwrap()),
            Listen::Udp(_) => None,
        };
        drop(rx);
        timeout(WAIT, task).await.expect("still serving").unwrap();
    }
}

#[tokio::test]
async fn binding_a_bad_address_fails_at_once() {
    let (_addr, _rx, _stats) = start("tcp://127.0.0.1:0", SyslogOptions::default(), 1).await;
    let (tx, _rx) = channel(1);
    // TEST-NET-1 is not an address of this machine.
    let listen: Listen = "udp://192.0.2.1:5514".parse().unwrap();
    assert!(syslog(listen, SyslogOptions::default(), tx, Stats::new())
        .await
        .is_err());
}
