//! Hostile and broken inputs, end to end (issue 7): each gives a diagnosis of
//! what is readable, or a clear error naming the file (and line) with exit
//! code 2, and the other inputs are still processed. Nothing panics, hangs,
//! grows without bound, or reaches the terminal raw.
//!
//! Fixtures are generated at test time into temporary directories.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::ids;
use std::time::{Duration, Instant};

const LAB: &str = "fixtures/lab";
/// A log that alone gives `psk-mismatch` (the responder's side).
const PSK_LOG: &str = "fixtures/lab/ikev2-psk-mismatch/right.log";
/// Exit code of a panicking Rust program.
const PANIC: i32 = 101;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"));
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    cmd
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}); stdout {:?}, stderr {:?}",
            text(&o.stdout),
            text(&o.stderr)
        )
    })
}

fn psk_log() -> String {
    std::fs::read_to_string(root().join(PSK_LOG)).unwrap()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Diagnoses `files` (written into a fresh directory) as JSON.
fn diagnose_files(files: &[(&str, &[u8])]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["diagnose".to_owned(), "--format".into(), "json".into()];
    for (name, bytes) in files {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        args.push(path_str(&p).to_owned());
    }
    let o = bin().args(&args).output().unwrap();
    assert_ne!(o.status.code(), Some(PANIC), "{}", text(&o.stderr));
    (o, dir)
}

/// Asserts the text output carries no raw control character (other than
/// newlines) nor bidi override: what a terminal would act on.
fn assert_terminal_safe(out: &str) {
    for c in out.chars() {
        assert!(
            c == '\n' || !(c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw {c:?} reached the output: {out:?}"
        );
    }
}

/// Peak resident memory of a child, in KiB, sampled from /proc until it
/// exits (Linux).
fn run_measuring_memory(mut cmd: Command) -> (Output, u64) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(status) = std::fs::read_to_string(&status_path) {
                    if let Some(kb) = status
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                    {
                        peak.fetch_max(kb, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let o = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    sampler.join().unwrap();
    (o, peak.load(std::sync::atomic::Ordering::Relaxed))
}

// ---------------------------------------------------------------- files

#[test]
fn an_empty_file_is_no_finding_and_exit_3() {
    // Exit 3: nothing of an IPsec daemon could be read (never a false 0).
    let (o, _dir) = diagnose_files(&[("empty.log", b"")]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(ids(&json(&o)), Vec::<String>::new());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.log");
    std::fs::write(&p, "").unwrap();
    let o = run(&["diagnose", path_str(&p)]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o.stdout).contains("No IPsec negotiations found"));
    assert!(text(&o.stderr).contains("no IPsec negotiation could be read"));
}

#[test]
fn a_binary_file_next_to_a_log_leaves_the_log_diagnosed() {
    // A pseudo-random "binary" (an image, an executable) without newlines
    // for long stretches, NULs and every byte value.
    let mut x: u32 = 0x1234_5678;
    let binary: Vec<u8> = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let log = psk_log();
    let (o, _dir) = diagnose_files(&[("a.bin", &binary), ("charon.log", log.as_bytes())]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(ids(&json(&o)), ["psk-mismatch"]);
}

#[test]
fn nul_bytes_in_and_around_lines_do_not_hide_them() {
    let log = psk_log();
    let mut bytes = b"\0\0\0\0\0\0\0\0".repeat(512);
    for line in log.lines() {
        // Leading NUL runs as a syslog file gets after a power loss, and a
        // NUL inside the message.
        bytes.extend_from_slice(b"\0\0");
        bytes.extend_from_slice(line.replace(" no IKE", " no\0IKE").as_bytes());
        bytes.push(b'\n');
    }
    let (o, _dir) = diagnose_files(&[("nul.log", &bytes)]);
    assert_eq!(ids(&json(&o)), ["psk-mismatch"]);
}

#[test]
fn invalid_utf8_and_latin1_identities_are_replaced_not_fatal() {
    let log = "charon: 12[CFG] looking for peer configs matching 192.0.2.74[r]...192.0.2.90[Z\u{fc}rich-\u{e9}t\u{e9}]\n\
               charon: 12[CFG] no matching peer config found\n";
    let mut bytes = Vec::new();
    // Latin-1 "ü" and "é" are single bytes that are not UTF-8.
    for ch in log.chars() {
        let c = u32::from(ch);
        bytes.push(if c < 0x100 { c as u8 } else { b'?' });
    }
    // A truncated UTF-8 sequence and an overlong encoding.
    bytes.extend_from_slice(b"charon: 12[IKE] \xe2\x82 \xc0\xaf\n");
    let (o, _dir) = diagnose_files(&[("latin1.log", &bytes)]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(ids(&v), ["p1-id-mismatch"]);
    let summary = v["findings"][0]["summary"].as_str().unwrap();
    assert!(
        summary.contains("Z\u{fffd}rich-\u{fffd}t\u{fffd}"),
        "{summary}"
    );
}

#[test]
fn a_50_mb_single_line_costs_bounded_memory_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        // An identity of 50 MB in a charon line that becomes evidence and a
        // summary: only a bounded part of it may be kept or printed.
        f.write_all(
            b"charon: 12[CFG] looking for peer configs matching 192.0.2.74[r]...192.0.2.90[",
        )
        .unwrap();
        let chunk = vec![b'A'; 1 << 20];
        for _ in 0..50 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"]\ncharon: 12[CFG] no matching peer config found\n")
            .unwrap();
    }
    let log = dir.path().join("charon.log");
    std::fs::write(&log, psk_log()).unwrap();
    let start = Instant::now();
    let mut cmd = bin();
    cmd.args([
        "diagnose",
        "--format",
        "json",
        path_str(&huge),
        path_str(&log),
    ]);
    let (o, peak_kb) = run_measuring_memory(cmd);
    assert_ne!(o.status.code(), Some(PANIC));
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "{:?}",
        start.elapsed()
    );
    assert!(peak_kb > 0, "memory was not sampled");
    assert!(
        peak_kb < 64 * 1024,
        "a 50 MB line took {peak_kb} KiB of memory"
    );
    // The 1 MiB kept of the line may be quoted in a summary or two; the
    // 50 MB line itself never.
    assert!(
        o.stdout.len() < 8 << 20,
        "{} bytes of output for one line",
        o.stdout.len()
    );
    let v = json(&o);
    let found = ids(&v);
    assert!(found.contains(&"psk-mismatch".to_owned()), "{found:?}");
    for f in v["findings"].as_array().unwrap() {
        for e in f["evidence"].as_array().unwrap() {
            assert!(e["text"].as_str().unwrap().len() <= 4096);
        }
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn truncated_and_corrupt_gzip_name_the_file_and_the_rest_is_diagnosed() {
    let log = psk_log();
    let good = gzip(log.as_bytes());
    let truncated = good[..good.len() / 2].to_vec();
    let mut corrupt = good.clone();
    let middle = corrupt.len() / 2;
    for b in &mut corrupt[middle..middle + 16] {
        *b ^= 0x5a;
    }
    // Gzip magic and nothing else; then a valid member with junk after it.
    let magic_only = vec![0x1f, 0x8b];
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"this is not gzip");
    let other = std::fs::read(
        root()
            .join(LAB)
            .join("ikev2-p1-encryption-mismatch/right.log"),
    )
    .unwrap();
    let (o, _dir) = diagnose_files(&[
        ("truncated.log.gz", &truncated),
        ("corrupt.log.gz", &corrupt),
        ("magic.gz", &magic_only),
        ("trailing.log.gz", &trailing),
        ("other.log", &other),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    for name in [
        "truncated.log.gz:",
        "corrupt.log.gz:",
        "magic.gz:",
        "trailing.log.gz:",
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not named in {err}"));
        assert!(line.contains("gzip data is corrupt or truncated"), "{line}");
        // `path:line: message`: the line where reading stopped.
        let after = &line[line.find(name).unwrap() + name.len()..];
        assert!(
            after.split(':').next().unwrap().parse::<u64>().is_ok(),
            "{line}"
        );
    }
    let found = ids(&json(&o));
    assert!(
        found.contains(&"p1-encryption-mismatch".to_owned()),
        "{found:?}"
    );
}

/// Runs the check as another user when the tests run as root, for whom no
/// file is unreadable.
fn unprivileged(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let root_user = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false);
    if root_user {
        cmd.uid(65534).gid(65534);
    }
}

fn world_readable_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn a_directory_with_unreadable_files_and_symlink_loops() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = world_readable_tempdir();
    let d = dir.path();
    let logs = d.join("logs");
    let sub = logs.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    for p in [&logs, &sub] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let readable = logs.join("charon.log");
    std::fs::write(&readable, psk_log()).unwrap();
    std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o644)).unwrap();
    let secret = logs.join("secret.log");
    std::fs::write(&secret, psk_log()).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let locked = logs.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("x.log"), "x").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // A link to its own parent, a two-link cycle, a dangling link.
    symlink(&logs, sub.join("up")).unwrap();
    symlink(logs.join("b"), logs.join("a")).unwrap();
    symlink(logs.join("a"), logs.join("b")).unwrap();
    symlink(d.join("nowhere"), logs.join("dangling.log")).unwrap();

    let mut cmd = bin();
    cmd.args(["diagnose", "--format", "json", path_str(&logs)]);
    unprivileged(&mut cmd);
    let start = Instant::now();
    let o = cmd.output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("secret.log: permission denied"),
        "unreadable file not named: {err}"
    );
    assert!(
        err.contains("locked: permission denied"),
        "unreadable directory not named: {err}"
    );
    let v = json(&o);
    assert_eq!(ids(&v), ["psk-mismatch"]);
    // Each line once: the loop through `sub/up` was not followed.
    assert_eq!(v["findings"][0]["occurrences"], 1);
}

#[test]
fn a_fifo_written_slowly_is_read_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("live.log");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("mkfifo unavailable; skipped");
        return;
    }
    let log = psk_log();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            let lines: Vec<&str> = log.lines().collect();
            let (first, second) = lines.split_at(lines.len() / 2);
            for l in first {
                writeln!(f, "{l}").unwrap();
            }
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            // Half a line, a pause, its end.
            let (a, b) = second[0].split_at(second[0].len() / 2);
            write!(f, "{a}").unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(300));
            writeln!(f, "{b}").unwrap();
            for l in &second[1..] {
                writeln!(f, "{l}").unwrap();
            }
        })
    };
    let o = run(&["diagnose", "--format", "json", path_str(&fifo)]);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(ids(&json(&o)), ["psk-mismatch"]);
}

#[test]
fn a_file_growing_and_truncated_while_read_gives_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotating.log");
    let log = psk_log();
    std::fs::write(&path, log.repeat(200)).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop, log) = (path.clone(), stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut round = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                round += 1;
                if round.is_multiple_of(3) {
                    // logrotate's copytruncate: cut to nothing, or mid-line.
                    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                    f.set_len(u64::from(round % 2) * 1000).unwrap();
                } else {
                    let mut f = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap();
                    f.write_all(log.as_bytes()).unwrap();
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    for _ in 0..5 {
        let o = run(&["diagnose", "--format", "json", path_str(&path)]);
        assert_ne!(o.status.code(), Some(PANIC), "{}", text(&o.stderr));
        assert!(matches!(o.status.code(), Some(0..=3)));
        json(&o);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
}

#[test]
fn crlf_line_endings_read_like_lf() {
    let log = psk_log();
    let crlf = log.replace('\n', "\r\n");
    let (o, _dir) = diagnose_files(&[("crlf.log", crlf.as_bytes())]);
    let v = json(&o);
    assert_eq!(ids(&v), ["psk-mismatch"]);
    for e in v["findings"][0]["evidence"].as_array().unwrap() {
        assert!(!e["text"].as_str().unwrap().contains('\r'), "{e}");
    }
    // Old Mac line endings (CR only) make one line; still no crash.
    let cr = log.replace('\n', "\r");
    let (o, _dir) = diagnose_files(&[("cr.log", cr.as_bytes())]);
    json(&o);
}

/// The PSK log with each line's timestamp replaced by `stamp(line index)`.
fn restamped(stamp: impl Fn(usize) -> String) -> String {
    psk_log()
        .lines()
        .enumerate()
        .map(|(i, l)| format!("{}{}\n", stamp(i), &l[15..]))
        .collect()
}

#[test]
fn timestamps_across_a_year_boundary_and_out_of_order() {
    let n = psk_log().lines().count();
    let new_year = restamped(|i| {
        if i < n / 2 {
            format!("Dec 31 23:59:{:02}", 59 - (n / 2 - i).min(59))
        } else {
            format!("Jan  1 00:00:{:02}", (i - n / 2).min(59))
        }
    });
    let (o, _dir) = diagnose_files(&[("newyear.log", new_year.as_bytes())]);
    let v = json(&o);
    assert_eq!(
        ids(&v),
        ["psk-mismatch"],
        "a log across New Year was misread"
    );
    // Several threads log out of order: every third line steps back.
    let shuffled = restamped(|i| {
        let s = if i % 3 == 2 { i.saturating_sub(2) } else { i };
        format!("Nov 27 10:{:02}:{:02}", s / 60 % 60, s % 60)
    });
    let (o, _dir) = diagnose_files(&[("shuffled.log", shuffled.as_bytes())]);
    assert_eq!(ids(&json(&o)), ["psk-mismatch"]);
}

#[test]
fn a_log_that_switches_format_midway() {
    let log = psk_log();
    let lines: Vec<&str> = log.lines().collect();
    let half = lines.len() / 2;
    let first = lines[..half].join("\n");
    let second = lines[half..].join("\n");
    for format in [
        ipsec_doctor_testkit::LogFormat::Rfc5424,
        ipsec_doctor_testkit::LogFormat::JournalJson,
        ipsec_doctor_testkit::LogFormat::PfSenseOld,
    ] {
        let mixed = format!(
            "{first}\n{}",
            ipsec_doctor_testkit::render(&second, format, "-", 4242)
        );
        let (o, _dir) = diagnose_files(&[("mixed.log", mixed.as_bytes())]);
        assert_eq!(o.status.code(), Some(1), "{format:?}");
        assert!(
            ids(&json(&o)).contains(&"psk-mismatch".to_owned()),
            "{format:?}: {:?}",
            ids(&json(&o))
        );
    }
}

// ---------------------------------------------------------- configurations

fn check_config(name: &str, contents: &[u8]) -> (Output, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, contents).unwrap();
    let start = Instant::now();
    let o = run(&["check", path_str(&p)]);
    let took = start.elapsed();
    assert_ne!(o.status.code(), Some(PANIC), "{}", text(&o.stderr));
    (o, took)
}

fn assert_config_error(o: &Output, name: &str, line: Option<u32>, words: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let expect = match line {
        Some(l) => format!("{name}:{l}:"),
        None => format!("{name}:"),
    };
    assert!(err.contains(&expect), "{expect} not in {err}");
    assert!(err.contains(words), "{words:?} not in {err}");
}

#[test]
fn an_xml_entity_bomb_is_refused_quickly() {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        x.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    x.push_str("]>\n<pfsense><ipsec>&lol9;</ipsec></pfsense>\n");
    let (o, took) = check_config("config.xml", x.as_bytes());
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_config_error(&o, "config.xml", None, "XML error");
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 200_000;
    let xml = format!(
        "<pfsense>{}{}</pfsense>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let (o, _) = check_config("config.xml", xml.as_bytes());
    assert_config_error(&o, "config.xml", None, "XML error");

    let swanctl = format!("connections {{\n{}", "a {\n".repeat(depth));
    let (o, _) = check_config("swanctl.conf", swanctl.as_bytes());
    assert_config_error(&o, "swanctl.conf", None, "");
    assert!(text(&o.stderr).contains("nest"), "{}", text(&o.stderr));
}

#[test]
fn unterminated_braces_and_quotes_name_file_and_line() {
    let (o, _) = check_config(
        "swanctl.conf",
        b"connections {\n  gw {\n    remote_addrs = 192.0.2.1\n",
    );
    assert_config_error(&o, "swanctl.conf", None, "unterminated");
    let (o, _) = check_config(
        "swanctl.conf",
        b"connections {\n  gw {\n    remote_addrs = \"192.0.2.1\n  }\n}\n",
    );
    assert_config_error(&o, "swanctl.conf", Some(3), "");
    let (o, _) = check_config(
        "ipsec.conf",
        b"config setup\nconn gw\n  right=192.0.2.1\n  rightid=\"abc\n",
    );
    assert_config_error(&o, "ipsec.conf", Some(4), "");
    let (o, _) = check_config("config.xml", b"<pfsense><ipsec><phase1>\n<descr>x</de");
    assert_config_error(&o, "config.xml", Some(2), "XML error");
}

#[test]
fn a_device_or_pipe_as_configuration_is_capped_not_read_forever() {
    let start = Instant::now();
    let o = run(&["check", "/dev/zero"]);
    assert!(start.elapsed() < Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("/dev/zero: too large"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn binary_and_empty_configuration_files_are_clear_errors() {
    for (name, bytes) in [
        ("empty.conf", &b""[..]),
        ("binary.conf", &b"\x7fELF\x02\x01\x01\0\0\0\xff\xfe"[..]),
    ] {
        let (o, _) = check_config(name, bytes);
        assert_config_error(&o, name, None, "unrecognised configuration format");
    }
}

// ------------------------------------------------- terminal and output safety

const OSC: &str = "\u{1b}]0;owned\u{7}";

/// Escape sequences without `]`, which racoon's bracketed tags would end at.
const CSI: &str = "\u{1b}[2J\u{1b}[31m\u{7}\u{202e}";

#[test]
fn a_racoon_line_cannot_reach_the_terminal_or_forge_lines() {
    // A carriage return inside a line is how a log line forges another on
    // a terminal; the tag (the Phase 1 description) and the reason are
    // shown in the report.
    let log = format!(
        "Apr  9 17:20:01 fw21 racoon: [Site{CSI}\rERROR: forged line]: [203.0.113.5] ERROR: sendto (Operation{OSC} not permitted\rerror[x] forged)\n\
         Apr  9 17:20:01 fw21 racoon: [Site{CSI}\rERROR: forged line]: [203.0.113.5] ERROR: phase1 negotiation failed due to send error.\n"
    );
    let (o, _dir) = diagnose_files(&[("racoon.log", log.as_bytes())]);
    let v = json(&o);
    assert_eq!(ids(&v), ["racoon-send-error"], "{v}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("racoon.log");
    std::fs::write(&p, &log).unwrap();
    let o = run(&["diagnose", "--color", "always", path_str(&p)]);
    let out = text(&o.stdout);
    assert_terminal_safe(&strip_sgr(&out));
    assert!(!out.contains("\u{1b}]0;"), "{out}");
    assert!(out.contains("\\x1b]0;owned\\x07"), "{out}");
    assert!(out.contains("\\x1b[2J"), "{out}");
    assert!(out.contains("\\r"), "{out}");
}

#[test]
fn a_journal_message_with_a_newline_cannot_forge_a_line() {
    let line = serde_json::json!({
        "SYSLOG_IDENTIFIER": "charon",
        "_HOSTNAME": "gw\nerror[psk-mismatch] forged host",
        "MESSAGE": "12[CFG] <3> looking for peer configs matching 192.0.2.74[r]...192.0.2.90[x\nerror[psk-mismatch] forged\u{1b}[2J]",
    });
    let line2 = serde_json::json!({
        "SYSLOG_IDENTIFIER": "charon",
        "_HOSTNAME": "gw\nerror[psk-mismatch] forged host",
        "MESSAGE": "12[CFG] <3> no matching peer config found",
    });
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("journal.json");
    std::fs::write(&p, format!("{line}\n{line2}\n")).unwrap();
    let o = run(&["diagnose", "--color", "always", path_str(&p)]);
    let out = text(&o.stdout);
    assert!(out.contains("p1-id-mismatch"), "{out}");
    assert!(!out.contains("\u{1b}[2J"), "{out}");
    assert!(
        !out.lines()
            .any(|l| l.contains("forged") && !l.contains("\\n")),
        "a forged line: {out}"
    );
    let o = run(&["diagnose", "--format", "json", path_str(&p)]);
    let v = json(&o);
    assert_eq!(
        v["findings"][0]["host"],
        "gw\nerror[psk-mismatch] forged host"
    );
}

#[test]
fn hostile_names_in_configurations_are_escaped_in_check_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    // ipsec.conf takes any non-blank conn name; identities are quoted.
    let conf = |left: &str, right: &str| {
        format!(
            "config setup\n\nconn gw{CSI}\n  keyexchange=ikev1\n  left={left}\n  right={right}\n  leftid=\"{OSC}\rerror[forged] x\"\n  leftsubnet=10.1.0.0/16\n  rightsubnet=10.2.0.0/16\n  ike=3des-md5-modp1024!\n  esp=3des-md5!\n  authby=secret\n  auto=start\n"
        )
    };
    let left = dir.path().join("left.ipsec.conf");
    let right = dir.path().join("right.ipsec.conf");
    std::fs::write(&left, conf("192.0.2.1", "192.0.2.2")).unwrap();
    std::fs::write(&right, conf("192.0.2.2", "192.0.2.1")).unwrap();
    for args in [
        vec!["check", "--color", "always", path_str(&left)],
        vec![
            "compare",
            "--color",
            "always",
            path_str(&left),
            path_str(&right),
        ],
    ] {
        let o = run(&args);
        assert_ne!(o.status.code(), Some(PANIC));
        let out = text(&o.stdout);
        let err = text(&o.stderr);
        assert!(
            out.contains("\\x1b[2J"),
            "{args:?}: the hostile name is not shown escaped: {out} {err}"
        );
        assert_terminal_safe(&strip_sgr(&out));
        assert_terminal_safe(&err);
        let mut json_args = args.clone();
        json_args.splice(1..3, ["--format", "json"]);
        json(&run(&json_args));
    }
    // A hostile proposal keyword ends up in the error message on stderr.
    let bad = dir.path().join("bad.swanctl.conf");
    std::fs::write(
        &bad,
        format!("connections {{\n  gw {{\n    proposals = aes128{OSC}\r-sha1\n  }}\n}}\n"),
    )
    .unwrap();
    let o = run(&["check", path_str(&bad)]);
    let err = text(&o.stderr);
    assert_terminal_safe(&err);
    assert!(err.contains("bad.swanctl.conf:3"), "{err}");
}

/// Removes the SGR colour sequences the renderer writes itself.
fn strip_sgr(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(|c: char| !(c.is_ascii_digit() || c == ';')) {
            Some(end) if after[end..].starts_with('m') => rest = &after[end + 1..],
            _ => {
                out.push_str("\u{1b}[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn file_names_in_error_messages_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir
        .path()
        .join(format!("x{OSC}\nipsec-doctor: all good\u{202e}.log"));
    // Missing file, unreadable gzip, configuration syntax error.
    let missing = path_str(&evil).to_owned();
    let o = run(&["diagnose", &missing, PSK_LOG]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_terminal_safe(&err);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("\\x1b]0;owned\\x07\\nipsec-doctor: all good"),
        "{err}"
    );

    std::fs::write(&evil, [0x1f, 0x8b, 0, 0]).unwrap();
    let o = run(&["diagnose", &missing]);
    let err = text(&o.stderr);
    assert_terminal_safe(&err);
    assert_eq!(err.lines().count(), 1, "{err}");

    std::fs::write(&evil, "connections {\n  gw {\n").unwrap();
    for args in [
        vec!["check", missing.as_str()],
        vec!["compare", missing.as_str(), missing.as_str()],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2));
        let err = text(&o.stderr);
        assert_terminal_safe(&err);
        assert!(err.contains("\\x1b]0;owned"), "{err}");
    }
}

// --------------------------------------------------------- bounded resources

#[test]
fn a_flood_of_negotiations_keeps_memory_bounded() {
    // 50 000 IKE_SA_INITs from as many addresses (a scan): each is a
    // negotiation; quiet ones are judged and dropped as the input goes on,
    // and past the cap the quietest is judged early and reported
    // (`negotiation-cap-reached`, tested in crates/findings/tests/bounded.rs
    // with a cap this log shape can reach).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.log");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for id in 1..=50_000u32 {
            writeln!(
                f,
                "Nov 27 10:00:00 05[IKE] <{id}> 10.{}.{}.{} is initiating an IKE_SA",
                id >> 16,
                (id >> 8) & 0xff,
                id & 0xff
            )
            .unwrap();
        }
    }
    let mut cmd = bin();
    cmd.args(["diagnose", "--format", "json", path_str(&path)]);
    let start = Instant::now();
    let (o, peak_kb) = run_measuring_memory(cmd);
    assert!(
        start.elapsed() < Duration::from_secs(120),
        "{:?}",
        start.elapsed()
    );
    assert!(peak_kb < 256 * 1024, "{peak_kb} KiB for a flood");
    json(&o);
}

#[test]
fn many_hosts_tunnels_and_findings_stay_fast() {
    // 20 000 distinct hosts, each with a failed negotiation: linear work
    // (pairing both ends of tunnels and ordering the report once scanned
    // every finding per host: 15 minutes here).
    let mut log = String::new();
    for h in 0..20_000u32 {
        log.push_str(&format!(
            "Nov 27 10:00:00 gw{h} charon[1]: 05[IKE] <t{h}|1> tried 1 shared key for 'a' - 'b', but MAC mismatched\n"
        ));
    }
    let start = Instant::now();
    let (o, _dir) = diagnose_files(&[("central.log", log.as_bytes())]);
    let took = start.elapsed();
    let v = json(&o);
    assert_eq!(v["findings"].as_array().unwrap().len(), 20_000);
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn pathological_lines_take_linear_time() {
    // Shapes that make naive scanners quadratic: many brackets, tag openers,
    // separators and tabs on one line of 1 MiB (the longest line kept).
    let n = 1 << 20;
    let lines: Vec<String> = vec![
        format!("charon: 12[IKE] <{}", "<".repeat(n)),
        format!("Nov 27 10:00:00 {}", "[".repeat(n)),
        format!(
            "charon: 12[CFG] received proposals: {}",
            "IKE:A/, ".repeat(n / 8)
        ),
        format!(
            "charon: 12[CFG] looking for peer configs matching {}",
            "...[".repeat(n / 4)
        ),
        "\t".repeat(n),
        format!("racoon: {}", "[a]:".repeat(n / 4)),
        format!("{{\"MESSAGE\": \"{}\"}}", "\\u0041".repeat(n / 6)),
        format!("<30>1 - - - - - {}", "[a b=\"\\\"".repeat(n / 8)),
        format!("#1 0x1 in {}", "a(".repeat(n / 2)),
    ];
    let mut bytes = Vec::new();
    for l in &lines {
        for _ in 0..4 {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
    }
    let start = Instant::now();
    let (o, _dir) = diagnose_files(&[("pathological.log", &bytes)]);
    json(&o);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}
