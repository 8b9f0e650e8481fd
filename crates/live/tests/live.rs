//! The live state fed the lab's recorded daemon logs at chosen times.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_findings::{Diagnoser, Severity};
use ipsec_doctor_live::{Change, ChangeKind, Live, LiveConfig, TunnelState};
use ipsec_doctor_testkit::{all_scenarios, lab_dir, merge_by_time, render, LogFormat, Scenario};

const SOURCE: &str = "tcp://127.0.0.1:5514";

fn scenario(name: &str) -> Scenario {
    all_scenarios(&lab_dir())
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no lab scenario {name}"))
}

/// Both ends as one central syslog, each host named after its side.
fn both_ends(s: &Scenario, left: &str, right: &str) -> String {
    merge_by_time(&[
        render(&s.left, LogFormat::BsdSyslog, left, 1001),
        render(&s.right, LogFormat::BsdSyslog, right, 1002),
    ])
}

fn push_all(live: &mut Live, text: &str, at_ms: i64) {
    for line in text.lines() {
        live.push(SOURCE, line, at_ms);
    }
}

fn state(live: &Live, host: &str) -> Vec<TunnelState> {
    live.tunnels()
        .filter(|t| t.host == host)
        .map(|t| t.state)
        .collect()
}

fn active_ids(live: &Live, host: &str) -> Vec<&'static str> {
    live.active()
        .filter(|(k, _)| k.0 == host)
        .map(|(k, _)| k.2)
        .collect()
}

fn raised(changes: &[Change]) -> Vec<(String, &'static str)> {
    changes
        .iter()
        .filter_map(|c| match &c.kind {
            ChangeKind::Raised(f) => Some((c.host.clone(), f.id)),
            _ => None,
        })
        .collect()
}

#[test]
fn every_lab_scenario_reads_as_diagnose_reads_it() {
    let scenarios = all_scenarios(&lab_dir());
    assert!(scenarios.len() >= 30, "{} scenarios", scenarios.len());
    for s in &scenarios {
        let text = both_ends(s, "left", "right");
        let mut live = Live::default();
        push_all(&mut live, &text, 0);
        live.update(10 * 60 * 1000);
        let mut d = Diagnoser::new();
        for (i, line) in text.lines().enumerate() {
            d.push_line(SOURCE, i as u64 + 1, line);
        }
        let report = d.finish();
        let ids = |r: &ipsec_doctor_findings::Report| {
            r.findings
                .iter()
                .map(|f| (f.id, f.host.clone(), f.tunnel.clone(), f.evidence.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(live.report()), ids(&report), "{}", s.name);
        // What stands is what failed: every error of the diagnosis whose
        // tunnel did not establish again stands, and nothing else.
        for (key, a) in live.active() {
            assert!(
                report.findings.iter().any(|f| f.id == key.2
                    && f.tunnel == key.1
                    && f.severity == a.finding.severity),
                "{}: {key:?} stands but diagnose does not report it",
                s.name
            );
        }
        let down = live
            .tunnels()
            .filter(|t| t.state == TunnelState::Down)
            .count();
        if down > 0 {
            assert!(
                live.active()
                    .any(|(_, a)| a.finding.severity == Severity::Error),
                "{}: a tunnel is down and no error stands",
                s.name
            );
        }
    }
}

#[test]
fn psk_mismatch_raises_once_and_the_tunnel_is_down() {
    let s = scenario("ikev2-psk-mismatch");
    let mut live = Live::default();
    push_all(&mut live, &both_ends(&s, "fw-a", "fw-b"), 1_000);
    let first = live.update(2_000);
    let found = raised(&first);
    assert!(
        found.iter().any(|(_, id)| *id == "psk-mismatch"),
        "raised {found:?}"
    );
    assert!(state(&live, "fw-a").contains(&TunnelState::Down));
    // Nothing new: nothing raised again.
    assert!(!live.needs_update(3_000));
    let again = live.update(3_000);
    assert!(raised(&again).is_empty(), "raised again: {again:?}");
    let total: u64 = live
        .raised_totals()
        .filter(|(k, _)| k.2 == "psk-mismatch")
        .map(|(_, n)| n)
        .sum();
    assert_eq!(
        total,
        found.iter().filter(|(_, id)| *id == "psk-mismatch").count() as u64
    );
}

#[test]
fn a_tunnel_that_establishes_again_resolves_its_finding() {
    let failing = scenario("ikev2-p1-encryption-mismatch");
    let healthy = scenario("ikev2-healthy");
    let mut live = Live::default();
    push_all(&mut live, &both_ends(&failing, "fw-a", "fw-b"), 1_000);
    live.update(2_000);
    assert!(
        !active_ids(&live, "fw-a").is_empty() || !active_ids(&live, "fw-b").is_empty(),
        "the mismatch raised nothing"
    );
    // The same hosts, fixed: their tunnel of the same name comes up.
    let mut fixed = both_ends(&healthy, "fw-a", "fw-b");
    let failing_conn = live.tunnels().next().unwrap().tunnel.clone();
    let healthy_conn = {
        let mut probe = Live::default();
        push_all(&mut probe, &fixed, 0);
        probe.update(0);
        let name = probe.tunnels().next().unwrap().tunnel.clone();
        name
    };
    fixed = fixed.replace(&healthy_conn, &failing_conn);
    push_all(&mut live, &fixed, 5_000);
    let changes = live.update(6_000);
    let resolved: Vec<_> = changes
        .iter()
        .filter(|c| matches!(c.kind, ChangeKind::Resolved { .. }))
        .collect();
    assert!(!resolved.is_empty(), "nothing resolved: {changes:?}");
    let to_up = changes.iter().any(|c| {
        matches!(
            c.kind,
            ChangeKind::State {
                to: TunnelState::Up,
                ..
            }
        )
    });
    assert!(to_up, "no tunnel came up: {changes:?}");
    let errors: Vec<_> = live
        .active()
        .filter(|(_, a)| a.finding.severity == Severity::Error)
        .map(|(k, _)| k.clone())
        .collect();
    let tunnels: Vec<_> = live
        .tunnels()
        .map(|t| (t.host.clone(), t.tunnel.clone(), t.state))
        .collect();
    assert!(
        errors.is_empty(),
        "errors still stand: {errors:?} {tunnels:?}"
    );
}

#[test]
fn a_negotiation_under_way_is_connecting_until_it_is_decided() {
    let s = scenario("ikev2-peer-unreachable");
    let text = render(&s.left, LogFormat::BsdSyslog, "fw-a", 1001);
    // charon initiates; the peer has not answered yet.
    let split = text.find("retransmit 1").unwrap();
    let split = text[..split].rfind('\n').unwrap() + 1;
    let (asked, rest) = text.split_at(split);
    let mut live = Live::default();
    push_all(&mut live, asked, 10_000);
    let changes = live.update(11_000);
    assert_eq!(state(&live, "fw-a"), [TunnelState::Connecting]);
    assert!(
        raised(&changes).is_empty(),
        "raised while negotiating: {changes:?}"
    );
    // Its retransmits and charon giving up decide it: at the next update.
    push_all(&mut live, rest, 20_000);
    assert!(live.needs_update(20_000));
    let changes = live.update(20_500);
    assert_eq!(state(&live, "fw-a"), [TunnelState::Down]);
    assert!(
        raised(&changes).iter().any(|(h, _)| h == "fw-a"),
        "nothing raised when charon gave up: {changes:?}"
    );
}

#[test]
fn a_negotiation_that_stops_logging_is_judged_after_the_wait() {
    let s = scenario("ikev2-peer-unreachable");
    let text = render(&s.left, LogFormat::BsdSyslog, "fw-a", 1001);
    let split = text.find("retransmit 1").unwrap();
    let split = text[..split].rfind('\n').unwrap() + 1;
    let mut live = Live::new(LiveConfig {
        undecided_after_ms: 90_000,
        ..LiveConfig::default()
    });
    push_all(&mut live, &text[..split], 10_000);
    live.update(11_000);
    assert_eq!(state(&live, "fw-a"), [TunnelState::Connecting]);
    assert!(!live.needs_update(99_999));
    assert!(live.needs_update(100_000), "the wait did not run out");
    let changes = live.update(100_000);
    assert_ne!(state(&live, "fw-a"), [TunnelState::Connecting]);
    assert!(
        !raised(&changes).is_empty(),
        "an abandoned negotiation raised nothing"
    );
}

#[test]
fn hostile_names_are_escaped_in_metrics_and_page() {
    let s = scenario("ikev2-psk-mismatch");
    let evil = "fw\"} 1\nipsec_doctor_fake{a=\"<script>alert(1)</script>\x1b[31m";
    let text = both_ends(&s, "fw-a", "fw-b").replace("fw-a", evil);
    let mut live = Live::default();
    push_all(&mut live, &text, 0);
    live.update(1_000);
    let metrics = ipsec_doctor_live::metrics(&live, &[("oversize", 2)]).unwrap();
    assert!(metrics.contains("ipsec_doctor_tunnel_up{"), "{metrics}");
    assert!(metrics.contains("ipsec_doctor_syslog_dropped_total{reason=\"oversize\"} 2"));
    assert!(!metrics.contains('\u{1b}'));
    for line in metrics.lines() {
        assert!(
            !line.starts_with("ipsec_doctor_fake"),
            "a host name wrote a metric: {line}"
        );
    }
    let page = ipsec_doctor_live::page(&live, 1_000);
    assert!(!page.contains("<script"), "unescaped markup");
    assert!(page.contains("&lt;script&gt;"));
    assert!(!page.contains('\u{1b}'));
}

#[test]
fn a_daemon_that_just_started_has_no_missing_negotiation_yet() {
    let start = "Dec  1 10:00:00 fw-a charon[7]: 00[DMN] Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.1.0, x86_64)";
    let mut live = Live::default();
    live.push(SOURCE, start, 1_000);
    let changes = live.update(1_500);
    assert!(
        raised(&changes).is_empty(),
        "raised at start-up: {changes:?}"
    );
    assert!(live.needs_update(91_000), "no wait for the host");
    let changes = live.update(91_000);
    assert_eq!(
        raised(&changes),
        [("fw-a".to_owned(), "negotiation-not-in-log")],
        "a host that never negotiates says so once it has been silent"
    );
}

#[test]
fn a_flood_of_host_names_keeps_the_state_bounded_and_the_busy_host() {
    let mut live = Live::new(LiveConfig {
        max_hosts: 100,
        ..LiveConfig::default()
    });
    let s = scenario("ikev2-psk-mismatch");
    let pair = both_ends(&s, "fw-a", "fw-b");
    let mut t = 0;
    for n in 0..10_000 {
        let line = format!(
            "Dec  1 10:00:00 forged-{n} charon[7]: 05[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.{}",
            n % 250
        );
        live.push(SOURCE, &line, t);
        t += 1;
    }
    // The real pair logs last: it is the most recent, and is kept.
    for line in pair.lines() {
        live.push(SOURCE, line, t);
    }
    for n in 0..50 {
        let line = format!("Dec  1 10:00:01 late-{n} charon[7]: 05[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.1");
        live.push(SOURCE, &line, t + 1);
    }
    assert!(live.hosts() <= 100, "{} hosts kept", live.hosts());
    assert!(
        live.evicted_hosts() >= 9_950,
        "{} evicted",
        live.evicted_hosts()
    );
    live.update(t + 2);
    assert!(live.tunnels().count() <= 100);
    assert!(
        active_ids(&live, "fw-a").contains(&"psk-mismatch"),
        "the busy host was forgotten"
    );
    assert!(live
        .report()
        .findings
        .iter()
        .all(|f| f.host.as_deref().is_none_or(|h| !h.starts_with("forged-1"))));
    let metrics = ipsec_doctor_live::metrics(&live, &[]).unwrap();
    assert!(
        metrics.contains("ipsec_doctor_hosts_evicted_total "),
        "{metrics}"
    );
}

#[test]
fn hosts_forgotten_while_an_update_runs_stay_forgotten_and_their_findings_resolve() {
    let mut live = Live::new(LiveConfig {
        max_hosts: 100,
        ..LiveConfig::default()
    });
    let s = scenario("ikev2-psk-mismatch");
    push_all(&mut live, &both_ends(&s, "fw-a", "fw-b"), 0);
    let first = live.update(1);
    assert!(raised(&first)
        .iter()
        .any(|(h, id)| h == "fw-a" && *id == "psk-mismatch"));
    let mut resolved_for_fw_a = 0;
    let mut t = 10;
    for round in 0..50 {
        // An update is under way while new hosts push the old ones out.
        let pending = live.start_update();
        for n in 0..100 {
            let line = format!(
                "Dec  1 10:00:00 r{round}-h{n} charon[7]: 05[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.9"
            );
            live.push(SOURCE, &line, t);
            t += 1;
        }
        let changes = live.apply(pending.diagnose(), t);
        resolved_for_fw_a += changes
            .iter()
            .filter(|c| c.host == "fw-a" && matches!(c.kind, ChangeKind::Resolved { .. }))
            .count();
    }
    live.update(t + 1);
    assert!(live.hosts() <= 100, "{} hosts", live.hosts());
    assert!(
        live.tunnels().count() <= 100,
        "{} tunnels: forgotten hosts came back",
        live.tunnels().count()
    );
    assert!(
        live.active().count() <= 100,
        "{} standing",
        live.active().count()
    );
    assert_eq!(
        resolved_for_fw_a, 1,
        "fw-a's psk-mismatch is resolved once when fw-a is forgotten"
    );
}

#[test]
fn a_tunnel_named_before_the_log_told_more_is_gone_once_it_does() {
    // Read in two parts, as a follower hands a file over in chunks: an
    // update between them sees negotiations not yet named.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/pfsense-central-syslog.log"
    ))
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut d = Diagnoser::new();
    for (i, line) in lines.iter().enumerate() {
        d.push_line(SOURCE, i as u64 + 1, line);
    }
    let want: std::collections::BTreeSet<(String, String)> = d
        .finish()
        .tunnels
        .iter()
        .map(|t| (t.host.clone().unwrap(), t.tunnel.clone().unwrap()))
        .collect();
    for split in (1..lines.len()).step_by(7) {
        let mut live = Live::default();
        for line in &lines[..split] {
            live.push(SOURCE, line, 0);
        }
        live.update(1);
        for line in &lines[split..] {
            live.push(SOURCE, line, 2);
        }
        live.update(3);
        let got: std::collections::BTreeSet<(String, String)> = live
            .tunnels()
            .map(|t| (t.host.clone(), t.tunnel.clone()))
            .collect();
        assert_eq!(got, want, "read in two parts at line {split}");
    }
}
