//! `ipsec-doctor watch` end to end: the real binary, fed over real sockets,
//! files and pipes, asked over HTTP, its history read by `history`.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common/browser.rs"]
mod browser;

use ipsec_doctor_testkit::{all_scenarios, lab_dir, merge_by_time, render, LogFormat, Scenario};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ipsec-doctor");
/// How long a test waits for what it expects; a failure waits this long.
const PATIENCE: Duration = Duration::from_secs(20);

/// A running `watch`, its stderr collected; killed when dropped.
struct Watch {
    child: Child,
    said: Arc<Mutex<Vec<String>>>,
    http: String,
}

impl Watch {
    fn start(dir: &Path, args: &[&str]) -> Watch {
        Watch::start_with_stdin(dir, args, Stdio::null())
    }

    fn start_with_stdin(dir: &Path, args: &[&str], stdin: Stdio) -> Watch {
        let db = dir.join("history.db");
        let mut child = Command::new(BIN)
            .arg("watch")
            .args(["--http", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let said = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let mut watch = Watch {
            child,
            said,
            http: String::new(),
        };
        let line = watch.wait_for_line("status page on http://");
        let rest = line.split("http://").nth(1).unwrap();
        watch.http = rest.split('/').next().unwrap().to_owned();
        watch
    }

    /// Waits for a line of stderr containing `text`, and returns it.
    fn wait_for_line(&mut self, text: &str) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.said.lock().unwrap().iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "watch exited ({status}) before saying {text:?}: {:?}",
                    self.said.lock().unwrap()
                );
            }
            assert!(
                start.elapsed() < PATIENCE,
                "watch never said {text:?}: {:?}",
                self.said.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The address a `--syslog` listener was bound to.
    fn syslog_addr(&mut self, url: &str) -> String {
        let line = self.wait_for_line(&format!("syslog on {url}"));
        let bound = line.split("(bound ").nth(1).unwrap();
        bound.trim_end_matches(')').to_owned()
    }

    fn get(&self, path: &str) -> (u16, String, String) {
        get(&self.http, path)
    }

    fn json(&self, path: &str) -> Value {
        let (status, _, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// Waits until `/api/tunnels` satisfies `ready`, and returns it.
    fn tunnels_when(&self, what: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let v = self.json("/api/tunnels");
            let tunnels = v["tunnels"].as_array().unwrap().clone();
            if ready(&tunnels) {
                return tunnels;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{what}: never; tunnels {tunnels:#?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it as SIGTERM does, and returns its exit code.
    fn stop(mut self) -> i32 {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(start.elapsed() < PATIENCE, "watch did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it with SIGKILL: nothing is flushed.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET (no chunked answer to decode): status, headers, body.
fn get(addr: &str, path: &str) -> (u16, String, String) {
    get_with(addr, path, "")
}

/// [`get`] with more header lines (each ending in CRLF).
fn get_with(addr: &str, path: &str, headers: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\n{headers}\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// The value of one series (`name{labels}`, exactly) in `/metrics`' text.
fn metric(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

/// `history --format json` of a database.
fn history_json(db: &Path) -> Value {
    let out = Command::new(BIN)
        .args(["history", "--format", "json", "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn scenario(name: &str) -> Scenario {
    all_scenarios(&lab_dir())
        .into_iter()
        .find(|s| s.name == name)
        .unwrap()
}

fn both_ends(s: &Scenario, left: &str, right: &str) -> String {
    merge_by_time(&[
        render(&s.left, LogFormat::BsdSyslog, left, 1001),
        render(&s.right, LogFormat::BsdSyslog, right, 1002),
    ])
}

/// The connection a log initiates (charon's `initiating IKE_SA NAME[1]`),
/// to give a second scenario's log the first one's tunnel name.
fn conn_name(log: &str) -> String {
    log.lines()
        .find_map(|l| l.split("initiating IKE_SA ").nth(1))
        .and_then(|rest| rest.split('[').next())
        .unwrap()
        .to_owned()
}

/// `diagnose --format json` of a file.
fn diagnose(path: &Path) -> Value {
    let out = Command::new(BIN)
        .args(["diagnose", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What a tunnel object says, without where its lines came from.
fn tunnel_view(t: &Value) -> (String, String, String, Vec<String>) {
    (
        t["host"].as_str().unwrap_or("").to_owned(),
        t["tunnel"].as_str().unwrap_or("").to_owned(),
        t["status"].as_str().unwrap_or("").to_owned(),
        t["findings"]
            .as_array()
            .map(|f| f.iter().map(|id| id.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default(),
    )
}

#[test]
fn every_lab_scenario_sent_over_tcp_reads_as_diagnose_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = all_scenarios(&lab_dir());
    assert!(scenarios.len() >= 30);
    let mut text = String::new();
    for s in &scenarios {
        text.push_str(&both_ends(
            s,
            &format!("{}-l", s.name),
            &format!("{}-r", s.name),
        ));
    }
    let file = dir.path().join("central.log");
    std::fs::write(&file, &text).unwrap();
    let expected = diagnose(&file);
    let expected: BTreeMap<_, _> = expected["tunnels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let v = tunnel_view(t);
            ((v.0.clone(), v.1.clone()), v)
        })
        .collect();
    assert!(expected.len() >= 100, "{} tunnels", expected.len());

    let mut watch = Watch::start(dir.path(), &["--syslog", "tcp://127.0.0.1:0"]);
    let addr = watch.syslog_addr("tcp://127.0.0.1:0");
    let mut stream = TcpStream::connect(&addr).unwrap();
    // Octet counting (RFC 6587), as rsyslog's and syslog-ng's TCP senders frame.
    for line in text.lines() {
        write!(stream, "{} {line}", line.len()).unwrap();
    }
    stream.flush().unwrap();
    // Once every line is read, the tunnels are diagnose's: each tunnel,
    // its status and its findings (a failure waits PATIENCE and shows them).
    let view = |tunnels: &[Value]| -> BTreeMap<_, _> {
        tunnels
            .iter()
            .map(|t| {
                let v = tunnel_view(t);
                ((v.0.clone(), v.1.clone()), v)
            })
            .collect()
    };
    watch.tunnels_when("the tunnels of diagnose", |t| view(t) == expected);
    // Every tunnel whose diagnosis is `down` has its error standing.
    let findings = watch.json("/api/findings");
    let standing: Vec<(String, String, String)> = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["host"].as_str().unwrap().to_owned(),
                f["tunnel"].as_str().unwrap_or("").to_owned(),
                f["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for ((host, tunnel), (_, _, status, ids)) in &expected {
        if status == "down" && !tunnel.starts_with("peer ") {
            assert!(
                standing
                    .iter()
                    .any(|(h, t, id)| h == host && t == tunnel && ids.contains(id)),
                "{host} {tunnel} is down and none of {ids:?} stands"
            );
        }
    }
    let (_, _, metrics) = watch.get("/metrics");
    let series = format!("ipsec_doctor_lines_total{{source=\"tcp://{addr}\"}}");
    assert_eq!(
        metric(&metrics, &series),
        Some(text.lines().count() as f64),
        "{metrics}"
    );
    assert_eq!(watch.stop(), 0);
}

#[test]
fn udp_syslog_from_a_sender_without_host_names_is_one_host_per_sender() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("ikev2-psk-mismatch");
    let mut watch = Watch::start(dir.path(), &["--syslog", "udp://127.0.0.1:0"]);
    let addr = watch.syslog_addr("udp://127.0.0.1:0");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    // OpenWrt's logd: a priority, a timestamp, no host name.
    let text = render(&s.left, LogFormat::BsdSyslog, "HOSTNAME", 1001);
    for line in text.lines() {
        let datagram = format!("<30>{}", line.replacen(" HOSTNAME ", " ", 1));
        socket.send_to(datagram.as_bytes(), &addr).unwrap();
        // Loopback drops datagrams only when the receiver falls behind.
        std::thread::sleep(Duration::from_micros(200));
    }
    let tunnels = watch.tunnels_when("the sender's tunnel down", |t| {
        t.iter().any(|t| t["state"] == "down")
    });
    assert!(
        tunnels.iter().all(|t| t["host"] == "127.0.0.1"),
        "{tunnels:#?}"
    );
    let findings = watch.json("/api/findings");
    let standing = findings["findings"].as_array().unwrap();
    assert!(
        standing.iter().any(|f| f["severity"] == "error"),
        "no error stands for a PSK mismatch: {findings:#}"
    );
    let (_, _, metrics) = watch.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "ipsec_doctor_lines_total{{source=\"udp://{addr}\"}}"
        )),
        "{metrics}"
    );
    assert_eq!(watch.stop(), 0);
}

#[test]
fn a_followed_file_resumes_after_kill_9_and_history_holds_each_finding_once() {
    let dir = tempfile::tempdir().unwrap();
    let failing = scenario("ikev2-psk-mismatch");
    let log = dir.path().join("ipsec.log");
    let first = both_ends(&failing, "fw-a", "fw-b");
    std::fs::write(&log, &first).unwrap();
    let log_arg = log.to_str().unwrap();
    let watch = Watch::start(dir.path(), &["--follow", log_arg]);
    watch.tunnels_when("the failing pair", |t| {
        t.iter().any(|t| t["state"] == "down")
    });
    // Once its changes are in the history (with the file's position in the
    // same transaction), kill -9.
    let db = dir.path().join("history.db");
    let start = Instant::now();
    while !history_json(&db)["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["event"] == "raised" && e["id"] == "psk-mismatch")
    {
        assert!(start.elapsed() < PATIENCE, "the raise was never written");
        std::thread::sleep(Duration::from_millis(50));
    }
    watch.kill();

    // The tunnel is fixed while watch is down: the same hosts establish.
    let healthy = scenario("ikev2-healthy");
    let mut second = both_ends(&healthy, "fw-a", "fw-b");
    let failing_conn = conn_name(&first);
    second = second.replace(&conn_name(&second), &failing_conn);
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(second.as_bytes()).unwrap();
    drop(file);

    let mut watch = Watch::start(dir.path(), &["--follow", log_arg]);
    watch.wait_for_line("resuming where the last run stopped");
    watch.wait_for_line("restored");
    watch.tunnels_when("the fixed pair up", |t| {
        t.iter()
            .any(|t| t["tunnel"] == failing_conn.as_str() && t["state"] == "up")
    });
    // Only the appended lines were read again.
    let (_, _, metrics) = watch.get("/metrics");
    let series = format!("ipsec_doctor_lines_total{{source=\"{log_arg}\"}}");
    assert_eq!(
        metric(&metrics, &series),
        Some(second.lines().count() as f64),
        "only the appended lines are read after the restart: {metrics}"
    );
    let findings = watch.json("/api/findings");
    assert!(
        findings["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "error"),
        "an error stands after the tunnel came up: {findings:#}"
    );
    assert_eq!(watch.stop(), 0);

    let out = Command::new(BIN)
        .args(["history", "--format", "json", "--db"])
        .arg(dir.path().join("history.db"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = history["events"].as_array().unwrap();
    let raised: Vec<(&str, &str, &str)> = events
        .iter()
        .filter(|e| e["event"] == "raised")
        .map(|e| {
            (
                e["host"].as_str().unwrap(),
                e["tunnel"].as_str().unwrap_or(""),
                e["id"].as_str().unwrap(),
            )
        })
        .collect();
    let mut once = raised.clone();
    once.sort();
    once.dedup();
    assert_eq!(
        raised.len(),
        once.len(),
        "a finding raised twice: {raised:?}"
    );
    assert!(raised.iter().any(|r| r.2 == "psk-mismatch"), "{raised:?}");
    let resolved = events
        .iter()
        .filter(|e| e["event"] == "resolved" && e["id"] == "psk-mismatch")
        .count();
    assert!(resolved >= 1, "psk-mismatch never resolved: {events:#?}");
    assert!(events
        .iter()
        .any(|e| e["event"] == "state" && e["to"] == "up"));
    // Its evidence is kept with the raise.
    let evidence = events
        .iter()
        .find(|e| e["event"] == "raised" && e["id"] == "psk-mismatch")
        .unwrap()["evidence"]
        .as_array()
        .unwrap()
        .len();
    assert!(evidence > 0);

    let text = Command::new(BIN)
        .args(["history", "--host", "fw-a", "--db"])
        .arg(dir.path().join("history.db"))
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let events: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert!(!events.is_empty());
    for line in events {
        assert_eq!(line.split(' ').nth(1), Some("fw-a"), "{text}");
    }
}

#[test]
fn standard_input_is_a_source_and_the_page_and_api_carry_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("ikev2-p2-ts-mismatch");
    let mut watch = Watch::start_with_stdin(dir.path(), &["-"], Stdio::piped());
    let mut stdin = watch.child.stdin.take().unwrap();
    stdin
        .write_all(both_ends(&s, "fw-<b>a</b>", "fw-b").as_bytes())
        .unwrap();
    drop(stdin);
    watch.wait_for_line("every input has ended");
    watch.tunnels_when("both ends down", |t| {
        t.len() >= 2 && t.iter().all(|t| t["state"] == "down")
    });
    let (status, head, page) = watch.get("/");
    assert_eq!(status, 200);
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-security-policy: default-src 'none'"),
        "{head}"
    );
    assert!(head.contains("content-type: text/html"));
    assert!(page.contains("fw-&lt;b&gt;a&lt;/b&gt;") && !page.contains("<b>a</b>"));
    assert!(page.contains("http-equiv=\"refresh\""));
    let (status, head, metrics) = watch.get("/metrics");
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("openmetrics-text"));
    assert!(
        metrics.contains("ipsec_doctor_finding_active{"),
        "{metrics}"
    );
    assert!(metrics.contains("ipsec_doctor_lines_total{source=\"-\"}"));
    assert_eq!(watch.get("/healthz").0, 200);
    assert_eq!(watch.get("/nothing-here").0, 404);
    assert_eq!(watch.stop(), 0);
}

#[test]
fn a_history_that_cannot_be_opened_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("not-a-db");
    std::fs::write(&db, "this is a log file, not a database\n".repeat(200)).unwrap();
    let out = Command::new(BIN)
        .args(["watch", "--http", "127.0.0.1:0", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not-a-db") && err.contains("not an ipsec-doctor database"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args(["history", "--db"])
        .arg(dir.path().join("missing.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_status_page_draws_every_tunnel_in_a_real_browser() {
    let Some(chromium) = browser::browser_or_skip("status page") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/pfsense-central-syslog.log"
    );
    let hostile = dir.path().join("hostile.log");
    std::fs::write(
        &hostile,
        "Nov 27 10:00:00 fw<img src=x onerror=alert(1)> charon[1]: 09[IKE] <gw|1> IDir '<script>document.title=1</script>' does not match to '\"><b>x</b>'\n",
    )
    .unwrap();
    let watch = Watch::start(dir.path(), &[example, hostile.to_str().unwrap()]);
    // The example's 8 tunnels (2 up) and the hostile one, every line read.
    watch.tunnels_when("the example's tunnels", |t| {
        let up = t.iter().filter(|t| t["state"] == "up").count();
        let down = t.iter().filter(|t| t["state"] == "down").count();
        t.len() == 9 && up == 2 && down == 7
    });
    let url = format!("http://{}/", watch.http);
    let dom = browser::dom(&chromium, dir.path(), &url);
    // What the browser built from the page it was served.
    assert_eq!(dom.matches("<tr class=\"tunnel\"").count(), 9, "{dom}");
    assert_eq!(dom.matches("data-state=\"up\"").count(), 2, "{dom}");
    assert!(
        dom.matches("class=\"end finding-card\"").count() >= 6,
        "{dom}"
    );
    assert!(!dom.contains("<script"), "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    assert!(!dom.contains("<b>x"), "{dom}");
    assert!(dom.contains("<title>ipsec-doctor watch</title>"));
    for (width, height) in [(1280, 2000), (390, 2400)] {
        let (drawn, rgba) = browser::screenshot(&chromium, dir.path(), &url, width, height);
        assert_eq!(drawn, width);
        let red = browser::pixels_of(&rgba, browser::ERROR_RED);
        let green = browser::pixels_of(&rgba, browser::UP_GREEN);
        let yellow = browser::pixels_of(&rgba, browser::DECIDING_YELLOW);
        assert!(red > 2_000, "{width}px: {red} red pixels");
        assert!(green > 300, "{width}px: {green} green pixels");
        assert!(yellow > 2_000, "{width}px: {yellow} highlighted pixels");
    }
    assert_eq!(watch.stop(), 0);
}

#[test]
fn garbage_huge_frames_and_a_flood_of_host_names_leave_watch_serving_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut watch = Watch::start(
        dir.path(),
        &["--syslog", "tcp://127.0.0.1:0", "--max-hosts", "500"],
    );
    let addr = watch.syslog_addr("tcp://127.0.0.1:0");
    // Binary garbage, newline-framed.
    let mut garbage = TcpStream::connect(&addr).unwrap();
    let mut state: u32 = 7;
    let bytes: Vec<u8> = (0..200_000)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) as u8
        })
        .collect();
    garbage.write_all(&bytes).unwrap();
    garbage.write_all(b"\n").unwrap();
    drop(garbage);
    // A 10 MB frame, then a normal one on the same connection.
    let mut huge = TcpStream::connect(&addr).unwrap();
    let mut frame = vec![b'x'; 10 * 1024 * 1024];
    frame.push(b'\n');
    huge.write_all(&frame).unwrap();
    // A count that is no count: the connection is closed.
    let mut bad = TcpStream::connect(&addr).unwrap();
    bad.write_all(b"12x <30>Dec  1 10:00:00 fw charon: 05[IKE] x")
        .unwrap();
    drop(bad);
    // 20 000 forged host names.
    let mut flood = TcpStream::connect(&addr).unwrap();
    let mut text = String::new();
    for n in 0..20_000 {
        text.push_str(&format!(
            "Dec  1 10:00:00 forged-{n} charon[7]: 05[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.1\n"
        ));
    }
    flood.write_all(text.as_bytes()).unwrap();
    let start = Instant::now();
    while !watch.get("/metrics").2.lines().any(|l| {
        l.starts_with("ipsec_doctor_hosts_evicted_total ")
            && l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) >= Some(19_000.0)
    }) {
        assert!(start.elapsed() < PATIENCE, "the flood was never read");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Then a real failure, which must still be diagnosed.
    let s = scenario("ikev2-psk-mismatch");
    huge.write_all(both_ends(&s, "fw-a", "fw-b").as_bytes())
        .unwrap();
    huge.flush().unwrap();
    watch.tunnels_when("the real pair down after the flood", |t| {
        t.iter()
            .any(|t| t["host"] == "fw-a" && t["state"] == "down")
    });
    let (_, _, metrics) = watch.get("/metrics");
    let value = |series: &str| {
        metric(&metrics, series).unwrap_or_else(|| panic!("no {series} in {metrics}"))
    };
    assert!(value("ipsec_doctor_hosts") <= 500.0, "{metrics}");
    assert!(
        value("ipsec_doctor_hosts_evicted_total") >= 19_000.0,
        "{metrics}"
    );
    // What the flood left: tunnels bounded by the hosts kept.
    let tunnels = watch.json("/api/tunnels")["tunnels"]
        .as_array()
        .unwrap()
        .len();
    assert!(tunnels <= 500, "{tunnels} tunnels kept for 500 hosts");
    assert!(value("ipsec_doctor_syslog_dropped_total{reason=\"oversize\"}") >= 1.0);
    assert!(value("ipsec_doctor_syslog_dropped_total{reason=\"invalid_frame\"}") >= 1.0);
    assert_eq!(watch.stop(), 0);
}

/// Debian's Alertmanager, where installed (CI installs it and sets
/// `IPSEC_DOCTOR_REQUIRE_ALERTMANAGER=1`: there a missing one fails).
fn alertmanager_or_skip() -> Option<&'static str> {
    for path in [
        "/usr/bin/prometheus-alertmanager",
        "/usr/local/bin/alertmanager",
    ] {
        if Path::new(path).is_file() {
            return Some(path);
        }
    }
    assert!(
        std::env::var_os("IPSEC_DOCTOR_REQUIRE_ALERTMANAGER").is_none(),
        "no Alertmanager (apt install prometheus-alertmanager), and IPSEC_DOCTOR_REQUIRE_ALERTMANAGER is set"
    );
    eprintln!("alertmanager: skipped, none installed (apt install prometheus-alertmanager)");
    None
}

/// An alert as Alertmanager holds it: host, tunnel, finding, state.
type Held = (String, String, String, String);

/// The alerts Alertmanager holds.
fn alerts_held(addr: &str) -> Vec<Held> {
    let (status, _, body) = get(addr, "/api/v2/alerts");
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter(|a| a["labels"]["alertname"] == "IPsecTunnelFinding")
        .map(|a| {
            let label = |k: &str| a["labels"][k].as_str().unwrap_or("").to_owned();
            (
                label("host"),
                label("tunnel"),
                label("finding"),
                a["status"]["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[test]
fn findings_are_pushed_to_a_real_alertmanager_and_resolved_there() {
    let Some(binary) = alertmanager_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: discard\nreceivers:\n  - name: discard\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let am = format!("127.0.0.1:{port}");
    let mut alertmanager = Command::new(binary)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("am").display()
        ))
        .arg(format!("--web.listen-address={am}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(&am).is_err() || get(&am, "/-/ready").0 != 200 {
        assert!(start.elapsed() < PATIENCE, "Alertmanager did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    let failing = scenario("ikev2-psk-mismatch");
    let log = dir.path().join("ipsec.log");
    let first = both_ends(&failing, "fw-a", "fw-b");
    std::fs::write(&log, &first).unwrap();
    let url = format!("http://{am}");
    let watch = Watch::start(
        dir.path(),
        &["--follow", log.to_str().unwrap(), "--alertmanager", &url],
    );
    let wait_for = |what: &str, ok: &dyn Fn(&[Held]) -> bool| {
        let start = Instant::now();
        loop {
            let held = alerts_held(&am);
            if ok(&held) {
                return held;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{what}: Alertmanager holds {held:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait_for("psk-mismatch of both ends", &|held| {
        ["fw-a", "fw-b"].iter().all(|h| {
            held.iter()
                .any(|a| a.0 == *h && a.2 == "psk-mismatch" && a.3 == "active")
        })
    });

    // The keys are made the same: the tunnel comes up, the alerts end.
    let healthy = scenario("ikev2-healthy");
    let fixed = both_ends(&healthy, "fw-a", "fw-b");
    let fixed = fixed.replace(&conn_name(&fixed), &conn_name(&first));
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(fixed.as_bytes()).unwrap();
    drop(file);
    wait_for("the alerts resolved", &|held| {
        !held
            .iter()
            .any(|a| a.2 == "psk-mismatch" && a.3 == "active")
    });
    assert_eq!(watch.stop(), 0);
    let _ = alertmanager.kill();
    let _ = alertmanager.wait();
}

#[test]
fn journalctl_json_on_standard_input_is_read_as_journalctl_writes_it() {
    // `journalctl -f -o json | ipsec-doctor watch -`: one JSON object a line,
    // the host in _HOSTNAME (as journald writes it for charon-systemd).
    let dir = tempfile::tempdir().unwrap();
    let s = scenario("ikev2-psk-mismatch");
    let json = merge_by_time(&[
        render(&s.left, LogFormat::JournalJson, "fw-a", 1001),
        render(&s.right, LogFormat::JournalJson, "fw-b", 1002),
    ]);
    assert!(json.lines().all(|l| l.starts_with('{')));
    let mut watch = Watch::start_with_stdin(dir.path(), &["-"], Stdio::piped());
    let mut stdin = watch.child.stdin.take().unwrap();
    stdin.write_all(json.as_bytes()).unwrap();
    drop(stdin);
    watch.tunnels_when("both journald hosts down", |t| {
        ["fw-a", "fw-b"]
            .iter()
            .all(|h| t.iter().any(|t| t["host"] == *h && t["state"] == "down"))
    });
    let findings = watch.json("/api/findings");
    assert!(
        findings["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "psk-mismatch"),
        "{findings:#}"
    );
    assert_eq!(watch.stop(), 0);
}

#[test]
fn with_a_token_file_the_http_side_answers_only_the_bearer() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cr3t-token\n").unwrap();
    let watch = Watch::start(
        dir.path(),
        &["--http-token-file", token_file.to_str().unwrap()],
    );
    for path in ["/", "/metrics", "/api/tunnels", "/api/findings", "/nothing"] {
        let (status, head, _) = get(&watch.http, path);
        assert_eq!(status, 401, "{path} without a token");
        assert!(head
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"));
        let (status, _, _) = get_with(&watch.http, path, "Authorization: Bearer wrong-token\r\n");
        assert_eq!(status, 401, "{path} with a wrong token");
    }
    let ok = "Authorization: Bearer s3cr3t-token\r\n";
    assert_eq!(get_with(&watch.http, "/api/tunnels", ok).0, 200);
    assert_eq!(get_with(&watch.http, "/metrics", ok).0, 200);
    assert_eq!(get_with(&watch.http, "/nothing", ok).0, 404);
    // Probes need no token.
    assert_eq!(get(&watch.http, "/healthz").0, 200);
    assert_eq!(watch.stop(), 0);
}

#[test]
fn a_locked_history_is_said_and_written_once_free_while_reading_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut watch = Watch::start_with_stdin(dir.path(), &["-"], Stdio::piped());
    watch.wait_for_line("status page on");
    // Another process takes the write lock and holds it until told.
    let mut locker = Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\n\
             print('locked', flush=True)\n\
             sys.stdin.readline()\n\
             c.execute('COMMIT')\n",
        )
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    BufReader::new(locker.stdout.take().unwrap())
        .read_line(&mut said)
        .unwrap();
    assert_eq!(said.trim(), "locked");
    let s = scenario("ikev2-psk-mismatch");
    let mut stdin = watch.child.stdin.take().unwrap();
    stdin
        .write_all(both_ends(&s, "fw-a", "fw-b").as_bytes())
        .unwrap();
    drop(stdin);
    // Diagnosis does not wait for the database.
    watch.tunnels_when("both ends down while the history is locked", |t| {
        t.iter().filter(|t| t["state"] == "down").count() >= 2
    });
    watch.wait_for_line("is locked by another process");
    let (status, _, body) = watch.get("/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("locked"), "{body}");
    writeln!(locker.stdin.take().unwrap(), "release").unwrap();
    locker.wait().unwrap();
    watch.wait_for_line("history written again");
    assert_eq!(watch.get("/healthz").0, 200);
    assert_eq!(watch.stop(), 0);
    let out = Command::new(BIN)
        .args(["history", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let history: Value = serde_json::from_slice(&out.stdout).unwrap();
    let raised = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "raised" && e["id"] == "psk-mismatch")
        .count();
    assert_eq!(raised, 2, "{history:#}");
}

#[test]
fn udp_datagrams_the_kernel_dropped_are_counted_not_lost_silently() {
    let dir = tempfile::tempdir().unwrap();
    let mut watch = Watch::start(dir.path(), &["--syslog", "udp://127.0.0.1:0"]);
    let addr = watch.syslog_addr("udp://127.0.0.1:0");
    let pid = watch.child.id().to_string();
    // Stopped, watch reads nothing: the socket's receive buffer fills and
    // the kernel drops the rest.
    assert!(Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .unwrap()
        .success());
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sent = 20_000;
    let filler = "x".repeat(900);
    for n in 0..sent {
        let datagram =
            format!("<30>Dec  1 10:00:00 fw-{n} charon[7]: 05[IKE] <gw|1> initiating {filler}");
        socket.send_to(datagram.as_bytes(), &addr).unwrap();
    }
    assert!(Command::new("kill")
        .args(["-CONT", &pid])
        .status()
        .unwrap()
        .success());
    let counts = |metrics: &str| -> (u64, u64) {
        let mut read = 0;
        let mut dropped = 0;
        for line in metrics.lines() {
            let value = || line.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as u64;
            if line.starts_with("ipsec_doctor_lines_total{") {
                read += value();
            } else if line.starts_with("ipsec_doctor_syslog_dropped_total{") {
                dropped += value();
            }
        }
        (read, dropped)
    };
    let start = Instant::now();
    loop {
        let (_, _, metrics) = watch.get("/metrics");
        let (read, dropped) = counts(&metrics);
        if read + dropped == sent {
            assert!(
                metrics.contains("reason=\"kernel_receive_buffer\"")
                    && !metrics.contains("reason=\"kernel_receive_buffer\"} 0"),
                "the kernel dropped nothing? {read} read, {dropped} dropped"
            );
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "{sent} sent, {read} read and {dropped} counted as dropped: some lost silently"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(watch.stop(), 0);
}

#[test]
fn tls_syslog_from_openssl_is_read_and_a_plain_client_is_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let mut watch = Watch::start(
        dir.path(),
        &[
            "--syslog",
            "tls://127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let addr = watch.syslog_addr("tls://127.0.0.1:0");
    // A client that speaks plain TCP to the TLS port.
    let mut plain = TcpStream::connect(&addr).unwrap();
    let _ = plain.write_all(b"<30>Dec  1 10:00:00 fw charon: 05[IKE] plain\n");
    drop(plain);
    // OpenSSL's client, octet-counted as rsyslog frames TLS syslog (RFC 5425).
    let s = scenario("ikev2-psk-mismatch");
    let mut framed = String::new();
    for line in both_ends(&s, "fw-a", "fw-b").lines() {
        framed.push_str(&format!("{} {line}", line.len()));
    }
    let mut client = Command::new("openssl")
        .args(["s_client", "-connect", &addr, "-quiet", "-no_ign_eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    client
        .stdin
        .take()
        .unwrap()
        .write_all(framed.as_bytes())
        .unwrap();
    watch.tunnels_when("both ends down, over TLS", |t| {
        ["fw-a", "fw-b"]
            .iter()
            .all(|h| t.iter().any(|t| t["host"] == *h && t["state"] == "down"))
    });
    let _ = client.wait();
    let (_, _, metrics) = watch.get("/metrics");
    assert!(
        metrics.contains(&format!(
            "ipsec_doctor_lines_total{{source=\"tls://{addr}\"}}"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("ipsec_doctor_syslog_dropped_total{reason=\"tls_handshake\"} 1"),
        "{metrics}"
    );
    assert_eq!(watch.stop(), 0);
}
