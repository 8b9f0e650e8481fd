//! racoon (pfSense 2.1 and older) and system findings, from the seed
//! document's excerpts, alone and mixed into a busy central syslog file.
//!
//! racoon is no longer packaged for Debian, so there is no lab that records a
//! real racoon: these fixtures are the seed's excerpts, verbatim, and
//! realistic variations of them (other addresses, timestamps and hosts,
//! pfSense 2.1's `[description]:` / `[address]` tags, racoon's own log file
//! form, kernel crash output in the console, syslog and textdump shapes),
//! interleaved with unrelated lines. The FreeBSD backtraces are edited
//! examples of the same kind.

use ipsec_doctor_findings::{Diagnoser, Report, Severity};

const RACOON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/racoon");
const SYSTEM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/system");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn diagnose(files: &[(&str, &str)]) -> Report {
    let mut d = Diagnoser::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            d.push_line(path, i as u64 + 1, line);
        }
    }
    d.finish()
}

fn ids_of<'a>(report: &'a Report, host: Option<&str>) -> Vec<&'a str> {
    let mut ids: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.host.as_deref() == host)
        .map(|f| f.id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Every finding carries evidence that points at a real line of its file.
fn assert_evidence(report: &Report, files: &[(&str, &str)]) {
    for f in &report.findings {
        assert!(!f.evidence.is_empty(), "{} has no evidence", f.id);
        for e in &f.evidence {
            let text = files
                .iter()
                .find(|(p, _)| *p == e.path.as_ref())
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("{}: unknown path {}", f.id, e.path));
            let line = text.lines().nth(e.line as usize - 1).unwrap_or_default();
            assert_eq!(
                line.trim_end(),
                e.text,
                "{} evidence {}:{}",
                f.id,
                e.path,
                e.line
            );
        }
    }
}

/// Each seed excerpt (and each variation) and the finding it must give.
const EXCERPTS: &[(&str, &str, &str)] = &[
    (RACOON, "subnet-mismatch.log", "racoon-subnet-mismatch"),
    (RACOON, "subnet-mismatch-peer.log", "racoon-subnet-mismatch"),
    (RACOON, "pfkey-align.log", "racoon-pfkey-align"),
    (RACOON, "pfkey-align-recurring.log", "racoon-pfkey-align"),
    (RACOON, "pfkey-delete.log", "racoon-pfkey-delete"),
    (RACOON, "register.log", "racoon-pfkey-register"),
    (RACOON, "stuck-phase1-client.log", "racoon-stuck-phase1"),
    (RACOON, "stuck-phase1-server.log", "racoon-stuck-phase1"),
    (RACOON, "stuck-phase1-queued.log", "racoon-stuck-phase1"),
    (
        RACOON,
        "crypto-accelerator-keylen.log",
        "crypto-accelerator-keylen",
    ),
    (
        RACOON,
        "racoon-own-log-file.log",
        "crypto-accelerator-keylen",
    ),
    (RACOON, "send-error.log", "racoon-send-error"),
    (RACOON, "invalid-payload-type.log", "invalid-payload-type"),
    (RACOON, "dpd-flap-alix.log", "dpd-drop-embedded"),
    (SYSTEM, "nic-driver-panic.txt", "nic-driver-panic"),
    (SYSTEM, "nic-driver-panic-syslog.log", "nic-driver-panic"),
    (SYSTEM, "nic-driver-panic-textdump.txt", "nic-driver-panic"),
    (SYSTEM, "dpd-drop-embedded-charon.log", "dpd-drop-embedded"),
    (SYSTEM, "outbound-nat-port.log", "outbound-nat-any"),
];

#[test]
fn every_excerpt_alone_gives_its_finding() {
    for (dir, name, id) in EXCERPTS {
        let text = read(&format!("{dir}/{name}"));
        let report = diagnose(&[(name, &text)]);
        assert!(
            report.findings.iter().any(|f| f.id == *id),
            "{name}: expected {id}, got {:?}",
            report.findings.iter().map(|f| f.id).collect::<Vec<_>>()
        );
        assert_evidence(&report, &[(name, &text)]);
    }
}

/// The racoon-only excerpts give their finding and nothing else.
#[test]
fn racoon_excerpts_give_nothing_else() {
    for (dir, name, id) in EXCERPTS.iter().filter(|(d, _, _)| *d == RACOON) {
        let text = read(&format!("{dir}/{name}"));
        let report = diagnose(&[(name, &text)]);
        assert_eq!(
            ids_of(
                &report,
                report.findings.first().and_then(|f| f.host.as_deref())
            ),
            [*id],
            "{name}"
        );
    }
}

/// Puts every line of `excerpt` into a syslog stream as host `host`, between
/// lines of other hosts: a healthy charon tunnel, sshd and dhcpd.
fn busy_syslog(excerpt: &str, host: &str) -> String {
    let noise = [
        "gw-strong charon[911]: 09[IKE] <dc-link|31> IKE_SA dc-link[31] established between 192.0.2.200[192.0.2.200]...198.51.100.90[198.51.100.90]",
        "gw-strong charon[911]: 09[IKE] <dc-link|31> CHILD_SA dc-link{44} established with SPIs c3a91f20_i c9b0e114_o and TS 10.60.0.0/16 === 10.70.0.0/16",
        "core-sw1 sshd[3120]: Accepted publickey for netops from 10.0.0.15 port 50212 ssh2",
        "dhcp1 dhcpd: DHCPACK on 10.9.1.44 to 00:50:56:a1:22:3b via em0",
        "gw-strong charon[911]: 14[IKE] <dc-link|31> sending DPD request",
        "gw-strong charon[911]: 14[NET] <dc-link|31> received packet: from 198.51.100.90[4500] to 192.0.2.200[4500] (80 bytes)",
    ];
    let mut out = String::new();
    for (i, line) in excerpt.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        // Two noise lines per excerpt line, so that even a one-line excerpt
        // has the other host's IKE SA and its CHILD SA up beside it.
        let second = i * 2;
        for n in [2 * i, 2 * i + 1] {
            out.push_str(&format!(
                "Mar 27 16:{:02}:{:02} {}\n",
                30 + second / 60,
                second % 60,
                noise[n % noise.len()]
            ));
        }
        // Keep the excerpt's own time where it has one; give it one where not.
        let framed = without_syslog_time(line);
        let message = framed.trim_start();
        let message = if message.starts_with("racoon") || message.starts_with("kernel") {
            message.to_owned()
        } else if message.contains("() at ")
            || message.starts_with("Sleeping thread")
            || message.starts_with('[') && message.ends_with(']')
        {
            format!("kernel: {message}")
        } else {
            format!("racoon: {message}")
        };
        out.push_str(&format!(
            "Mar 27 16:{:02}:{:02} {host} {message}\n",
            30 + (second + 1) / 60,
            (second + 1) % 60
        ));
    }
    out
}

/// The excerpt line without a leading `Mon DD HH:MM:SS` syslog time.
fn without_syslog_time(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() > 15 && b[3] == b' ' && b[6] == b' ' && b[9] == b':' && b[12] == b':' {
        &line[15..]
    } else {
        line
    }
}

#[test]
fn every_seed_excerpt_mixed_into_a_busy_syslog_of_other_hosts() {
    let seed_excerpts: &[(&str, &str, &str)] = &[
        (RACOON, "subnet-mismatch.log", "racoon-subnet-mismatch"),
        (RACOON, "pfkey-align.log", "racoon-pfkey-align"),
        (RACOON, "pfkey-delete.log", "racoon-pfkey-delete"),
        (RACOON, "register.log", "racoon-pfkey-register"),
        (RACOON, "stuck-phase1-client.log", "racoon-stuck-phase1"),
        (RACOON, "stuck-phase1-server.log", "racoon-stuck-phase1"),
        (RACOON, "stuck-phase1-queued.log", "racoon-stuck-phase1"),
        (
            RACOON,
            "crypto-accelerator-keylen.log",
            "crypto-accelerator-keylen",
        ),
        (RACOON, "send-error.log", "racoon-send-error"),
        (RACOON, "invalid-payload-type.log", "invalid-payload-type"),
        (SYSTEM, "nic-driver-panic.txt", "nic-driver-panic"),
    ];
    for (dir, name, id) in seed_excerpts {
        let text = busy_syslog(&read(&format!("{dir}/{name}")), "fw-legacy");
        let report = diagnose(&[("central.log", &text)]);
        assert_eq!(ids_of(&report, Some("fw-legacy")), [*id], "{name}:\n{text}");
        for other in ["gw-strong", "core-sw1", "dhcp1"] {
            let alarms: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.host.as_deref() == Some(other) && f.severity != Severity::Info)
                .map(|f| f.id)
                .collect();
            assert!(alarms.is_empty(), "{name}: {other} got {alarms:?}");
        }
        assert_evidence(&report, &[("central.log", &text)]);
    }
}

#[test]
fn busy_central_syslog_fixture_gives_each_host_its_findings() {
    let text = read(&format!("{RACOON}/busy-central-syslog.log"));
    let files = [("central.log", text.as_str())];
    let report = diagnose(&files);
    assert_eq!(
        ids_of(&report, Some("fw-legacy")),
        [
            "racoon-pfkey-align",
            "racoon-pfkey-delete",
            "racoon-stuck-phase1",
            "racoon-subnet-mismatch"
        ]
    );
    assert_eq!(
        ids_of(&report, Some("fw-alix")),
        [
            "crypto-accelerator-keylen",
            "invalid-payload-type",
            "racoon-send-error"
        ]
    );
    assert_eq!(ids_of(&report, Some("fw-dc")), ["nic-driver-panic"]);
    assert_eq!(ids_of(&report, Some("gw-strong")), ["tunnel-established"]);
    assert!(ids_of(&report, Some("core-sw1")).is_empty());
    assert!(ids_of(&report, Some("dhcp1")).is_empty());
    // The line naming its peer gives the tunnel; the others stay host-wide.
    let stuck: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.id == "racoon-stuck-phase1")
        .map(|f| f.tunnel.as_deref())
        .collect();
    assert!(stuck.contains(&Some("peer 203.0.113.5")), "{stuck:?}");
    assert!(stuck.contains(&None), "{stuck:?}");
    assert_evidence(&report, &files);
}

#[test]
fn register_never_raises_a_warning_or_an_error() {
    let lines = [
        "racoon: INFO: unsupported PF_KEY message REGISTER",
        "Mar 27 16:30:06 fw-legacy racoon: [Self]: INFO: unsupported PF_KEY message REGISTER",
        "2012-03-27 16:31:40: INFO: unsupported PF_KEY message REGISTER",
        "INFO: unsupported PF_KEY message REGISTER",
    ];
    for line in lines {
        let text = format!("{line}\n").repeat(50);
        let report = diagnose(&[("s.log", &text)]);
        assert!(
            report.findings.iter().all(|f| f.severity == Severity::Info),
            "{line}: {:?}",
            report
                .findings
                .iter()
                .map(|f| (f.id, f.severity))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn both_ends_of_a_one_way_tunnel() {
    let a = read(&format!("{SYSTEM}/outbound-nat-any/fw-a.log"));
    let b = read(&format!("{SYSTEM}/outbound-nat-any/fw-b.log"));
    let files = [("fw-a.log", a.as_str()), ("fw-b.log", b.as_str())];
    let report = diagnose(&files);
    assert_eq!(
        ids_of(&report, Some("fw-a")),
        ["outbound-nat-any", "peer-unreachable"]
    );
    assert_eq!(ids_of(&report, Some("fw-b")), ["tunnel-established"]);
    assert_evidence(&report, &files);
    // Alone, fw-a's log only shows an unreachable peer.
    let alone = diagnose(&[("fw-a.log", a.as_str())]);
    assert_eq!(ids_of(&alone, Some("fw-a")), ["peer-unreachable"]);
}

#[test]
fn hostile_racoon_and_kernel_lines_do_not_panic() {
    let lines = [
        "racoon: [",
        "racoon: [[[[[[[[ ERROR:",
        "racoon: [Self]: [Self]: [Self]: [Self]: [Self]: INFO:",
        "racoon: ERROR: pfkey  failed: ",
        "racoon: ERROR: sendto (",
        "racoon: INFO: ISAKMP-SA established -",
        "racoon: INFO: initiate new phase 1 negotiation: <=>",
        "racoon: [\u{202e}evil]: ERROR: failed to get sainfo.",
        "kernel: #",
        "kernel: #99999999999999999999 0x in",
        "kernel: () at +0x",
        "kernel: ü() at ü+0x1",
        "Mar 27 16:31:44 h kernel: panic: \u{0}\u{7}",
        "2012-03-27 16:31:44: ",
        "2012-03-27 16:31:44: ERROR:",
    ];
    let text = lines.join("\n");
    let report = diagnose(&[("x.log", &text)]);
    for f in &report.findings {
        assert!(!f.evidence.is_empty());
    }
}
