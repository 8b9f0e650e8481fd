//! Diagnosis of the lab's real charon logs (fixtures/lab, recorded by
//! `lab/run`), in every log format operators hand over: each side alone and
//! both together must give the finding the scenario's `expected` file names,
//! and one central-syslog file holding every scenario's hosts must give each
//! host its own diagnosis.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_findings::{Diagnoser, Report, Severity};
use ipsec_doctor_testkit::{all_scenarios, central_syslog, lab_dir, render, LogFormat, Scenario};

/// The ids a scenario's `expected` file speaks of: errors and warnings, or,
/// for a healthy tunnel, the info findings.
fn verdict<'a>(
    findings: impl Iterator<Item = &'a ipsec_doctor_findings::Finding> + Clone,
) -> Vec<String> {
    let mut bad: Vec<String> = findings
        .clone()
        .filter(|f| f.severity != Severity::Info)
        .map(|f| f.id.to_owned())
        .collect();
    if bad.is_empty() {
        bad = findings.map(|f| f.id.to_owned()).collect();
    }
    bad.sort();
    bad.dedup();
    bad
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

fn lab() -> Vec<Scenario> {
    let all = all_scenarios(&lab_dir());
    assert!(
        all.len() >= 30,
        "expected the recorded lab scenarios in fixtures/lab, found {}",
        all.len()
    );
    all
}

fn check_format(format: LogFormat) {
    let mut failures = Vec::new();
    for s in lab() {
        let left = render(&s.left, format, &format!("{}-left", s.name), 1001);
        let right = render(&s.right, format, &format!("{}-right", s.name), 1002);
        for (side, files, expected) in [
            ("left", vec![("left.log", left.as_str())], &s.expected.left),
            (
                "right",
                vec![("right.log", right.as_str())],
                &s.expected.right,
            ),
            (
                "both",
                vec![("left.log", left.as_str()), ("right.log", right.as_str())],
                &s.expected.both,
            ),
        ] {
            let report = diagnose(&files);
            let got = verdict(report.findings.iter());
            if &got != expected {
                failures.push(format!(
                    "{} {side}: expected {expected:?}, got {got:?}",
                    s.name
                ));
            }
            for f in &report.findings {
                if f.evidence.is_empty() {
                    failures.push(format!("{} {side}: {} has no evidence", s.name, f.id));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{format:?}:\n{}", failures.join("\n"));
}

#[test]
fn lab_in_charon_file_log_format() {
    check_format(LogFormat::FileLog);
}

#[test]
fn lab_in_bsd_syslog_with_host_names() {
    check_format(LogFormat::BsdSyslog);
}

#[test]
fn lab_in_pfsense_older_prefix_less_format() {
    check_format(LogFormat::PfSenseOld);
}

#[test]
fn lab_in_rfc5424_syslog() {
    check_format(LogFormat::Rfc5424);
}

#[test]
fn lab_in_journalctl_short_iso() {
    check_format(LogFormat::JournalShortIso);
}

#[test]
fn lab_in_journalctl_json() {
    check_format(LogFormat::JournalJson);
}

#[test]
fn lab_in_charon_systemd_prefix_less_journal_lines() {
    check_format(LogFormat::CharonSystemd);
}

#[test]
fn lab_in_newest_first_gui_export_is_read_backwards() {
    // The library reads lines in the order given; the CLI reverses
    // newest-first files (tested in cli.rs). Reverse here the same way.
    let mut failures = Vec::new();
    for s in lab() {
        let text = render(&s.left, LogFormat::GuiExport, "", 1);
        let forward: String = text.lines().rev().map(|l| format!("{l}\n")).collect();
        let got = verdict(diagnose(&[("left.tsv", &forward)]).findings.iter());
        if got != s.expected.left {
            failures.push(format!(
                "{}: expected {:?}, got {got:?}",
                s.name, s.expected.left
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn central_syslog_with_every_scenario_host_at_once() {
    let scenarios = lab();
    let central = central_syslog(&scenarios);
    let report = diagnose(&[("central.log", &central)]);
    let mut failures = Vec::new();
    for s in &scenarios {
        for (side, expected) in [("left", &s.expected.left), ("right", &s.expected.right)] {
            let host = format!("{}-{side}", s.name);
            let got = verdict(
                report
                    .findings
                    .iter()
                    .filter(|f| f.host.as_deref() == Some(host.as_str())),
            );
            // Both ends are in the same file: a side that alone could only
            // give a generic finding may now be specific, as with `both`.
            let as_with_both = !got.is_empty() && got.iter().all(|id| s.expected.both.contains(id));
            // "No negotiation in the log" is said only of an input that has
            // none at all: here the other hosts have theirs.
            let idle_among_others =
                got.is_empty() && expected.iter().all(|id| id == "negotiation-not-in-log");
            if &got != expected && !as_with_both && !idle_among_others {
                failures.push(format!(
                    "{host}: expected {expected:?} (or {:?}), got {got:?}",
                    s.expected.both
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn healthy_scenarios_raise_no_alarm_in_any_format() {
    for format in LogFormat::ALL {
        for s in lab()
            .iter()
            .filter(|s| s.expected.both == ["tunnel-established"])
        {
            let left = render(&s.left, format, "a", 1);
            let right = render(&s.right, format, "b", 2);
            let report = diagnose(&[("l", &left), ("r", &right)]);
            let alarms: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .map(|f| f.id)
                .collect();
            assert!(alarms.is_empty(), "{format:?} {}: {alarms:?}", s.name);
        }
    }
}

#[test]
fn every_scenario_expects_what_its_recorded_fixture_expects() {
    // lab/run copies lab/scenarios/NAME/expected into the fixture; lab/check
    // in CI reads the scenario's. Editing one without the other is drift.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("lab/scenarios")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let scenario = std::fs::read_to_string(dir.join("expected")).unwrap();
        let fixture =
            std::fs::read_to_string(root.join("fixtures/lab").join(&name).join("expected"))
                .unwrap_or_else(|_| panic!("{name}: no recorded fixture"));
        assert_eq!(
            scenario, fixture,
            "{name}: lab/scenarios and fixtures/lab disagree"
        );
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} scenarios");
}

#[test]
fn findings_on_a_libreswan_host_say_it_runs_pluto_even_when_told_from_charon() {
    let mut checked = 0;
    for s in lab().into_iter().filter(|s| s.name.contains("-pluto-")) {
        let report = diagnose(&[("left.log", &s.left), ("right.log", &s.right)]);
        for f in report
            .findings
            .iter()
            .filter(|f| f.host.as_deref() == Some("left"))
        {
            checked += 1;
            assert!(
                f.summary.contains("runs Libreswan pluto"),
                "{}: {} on pluto's side does not say so: {}",
                s.name,
                f.id,
                f.summary
            );
        }
    }
    assert!(checked >= 15, "only {checked} findings on pluto hosts");
}
