//! Diagnosis of the lab's real daemon logs (fixtures/lab, recorded by
//! `lab/run`): each side alone and both together must give the finding the
//! scenario's `expected` file names.
//!
//! - fixtures/lab/SCENARIO/: the host's own strongSwan and Libreswan, charon's
//!   file log; checked as recorded and in the forms no installable program
//!   writes (pfSense's older prefix-less lines, a GUI export), rendered from
//!   it (round trips, and each such test says so).
//! - fixtures/lab/RUN/SCENARIO/ (RUN = strongswan-6.0.1, libreswan-5.2, ...):
//!   other daemon versions from Debian roots, with every log form that real
//!   logging programs wrote of the run: the file log, rsyslog's traditional
//!   and RFC 3339 files, `journalctl` in each output mode, and the central
//!   rsyslog (RFC 5424 over TCP) and syslog-ng files holding both hosts.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

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
fn lab_in_pfsense_older_prefix_less_format_rendered_from_the_file_log() {
    // A round trip through testkit's renderer: pfSense's circular log is
    // written by no program that can be installed here.
    check_format(LogFormat::PfSenseOld);
}

#[test]
fn lab_in_newest_first_gui_export_is_read_backwards() {
    // A round trip: a GUI's log view, copied out, is written by no program
    // that can be installed here.
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
    // Rendered (BSD syslog with host names) so that one file holds every
    // scenario's hosts at once; the real central files of one scenario's two
    // hosts are checked in every_recorded_version_and_log_form_*.
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
    // A run of other versions copies expected.DAEMON-VERSION where the
    // scenario has one for a daemon of the run (lab/run, docs/lab.md).
    for (run, run_dir) in recorded_runs() {
        for s in all_scenarios(&run_dir) {
            let sdir = root.join("lab/scenarios").join(&s.name);
            let mut want = fs::read_to_string(sdir.join("expected")).unwrap();
            for part in run.split('+') {
                if let Ok(text) = fs::read_to_string(sdir.join(format!("expected.{part}"))) {
                    want = text;
                }
            }
            let got = fs::read_to_string(run_dir.join(&s.name).join("expected")).unwrap();
            assert_eq!(
                want, got,
                "{run}/{}: lab/scenarios and the recording disagree",
                s.name
            );
        }
    }
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

/// The recorded runs of other daemon versions: fixtures/lab/RUN/, each
/// holding scenario directories (RUN itself has no `expected` file).
fn recorded_runs() -> Vec<(String, PathBuf)> {
    let mut runs: Vec<(String, PathBuf)> = fs::read_dir(lab_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.join("expected").exists())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    runs.sort();
    runs
}

/// A log file of a recorded scenario, gunzipped where it ends in `.gz`.
fn read_log(path: &Path) -> String {
    let bytes = fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes).unwrap()
    }
}

/// The log forms of a recorded scenario directory: form (the file name after
/// `left.`, `right.` or `central.`, e.g. `journal-short-iso.log.gz`) -> the
/// files of that form, by prefix.
fn log_forms(dir: &Path) -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut forms: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".log") || name.ends_with(".log.gz")) {
            continue;
        }
        let Some((who, form)) = name.split_once('.') else {
            continue;
        };
        forms
            .entry(form.to_owned())
            .or_default()
            .insert(who.to_owned(), path);
    }
    forms
}

#[test]
fn every_recorded_version_and_log_form_gives_the_expected_diagnosis() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (run, run_dir) in recorded_runs() {
        for s in all_scenarios(&run_dir) {
            let dir = run_dir.join(&s.name);
            for (form, files) in log_forms(&dir) {
                // each side's own log where their forms differ: charon's
                // file log with the rsyslog file of a pluto host, which
                // logs only to syslog when the pipeline is recorded
                let own = |side: &str| {
                    files.get(side).cloned().or_else(|| {
                        let rsyslog = dir.join(format!("{side}.rsyslog.log.gz"));
                        rsyslog.exists().then_some(rsyslog)
                    })
                };
                let mixed = if form == "log" && files.len() < 2 {
                    own("left").zip(own("right"))
                } else {
                    None
                };
                let mut checks: Vec<(&str, Vec<&PathBuf>, &Vec<String>)> = Vec::new();
                if let Some(l) = files.get("left") {
                    checks.push(("left", vec![l], &s.expected.left));
                }
                if let Some(r) = files.get("right") {
                    checks.push(("right", vec![r], &s.expected.right));
                }
                if let (Some(l), Some(r)) = (files.get("left"), files.get("right")) {
                    checks.push(("both", vec![l, r], &s.expected.both));
                }
                // one central collector's file holding both hosts
                if let Some(c) = files.get("central") {
                    checks.push(("central", vec![c], &s.expected.both));
                }
                if let Some((l, r)) = &mixed {
                    checks.push(("both (own logs)", vec![l, r], &s.expected.both));
                }
                for (side, paths, expected) in checks {
                    let texts: Vec<(String, String)> = paths
                        .iter()
                        .map(|p| (p.display().to_string(), read_log(p)))
                        .collect();
                    let files: Vec<(&str, &str)> = texts
                        .iter()
                        .map(|(p, t)| (p.as_str(), t.as_str()))
                        .collect();
                    let report = diagnose(&files);
                    let got = verdict(report.findings.iter());
                    checked += 1;
                    if &got != expected {
                        failures.push(format!(
                            "{run}/{} {side} {form}: expected {expected:?}, got {got:?}",
                            s.name
                        ));
                    }
                    if report.findings.iter().any(|f| f.evidence.is_empty()) {
                        failures.push(format!(
                            "{run}/{} {side} {form}: a finding without evidence",
                            s.name
                        ));
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no recorded runs in fixtures/lab/*/");
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn recorded_runs_cover_three_strongswan_and_two_libreswan_versions_and_every_logging_program() {
    let scenarios_with_pluto = lab().iter().filter(|s| s.name.contains("-pluto-")).count();
    let all = lab().len();
    let mut strongswan = Vec::new();
    let mut libreswan = Vec::new();
    let mut forms = std::collections::BTreeSet::new();
    for (run, dir) in recorded_runs() {
        let recorded = all_scenarios(&dir);
        for s in &recorded {
            forms.extend(log_forms(&dir.join(&s.name)).into_keys());
        }
        // "most scenarios": at least four in five of those that apply
        if run.starts_with("strongswan-") && !run.contains('+') && recorded.len() * 5 >= all * 4 {
            strongswan.push(run.clone());
        }
        if run.contains("libreswan-") && recorded.len() * 5 >= scenarios_with_pluto * 4 {
            libreswan.push(run);
        }
    }
    assert!(
        strongswan.len() >= 3,
        "strongSwan versions with most scenarios: {strongswan:?}"
    );
    assert!(
        libreswan.len() >= 2,
        "Libreswan versions with most scenarios: {libreswan:?}"
    );
    for form in [
        "log",
        "rsyslog.log.gz",
        "rsyslog-rfc3339.log.gz",
        "rfc5424.log.gz",
        "syslog-ng.log.gz",
        "journal-short.log.gz",
        "journal-short-iso.log.gz",
        "journal-short-precise.log.gz",
        "journal-short-full.log.gz",
        "journal-short-unix.log.gz",
        "journal-json.log.gz",
        "journal-cat.log.gz",
    ] {
        assert!(
            forms.contains(form),
            "no recorded log in the form {form}: {forms:?}"
        );
    }
}

/// A log that stops while an established tunnel rekeys (the lab stops the
/// daemons at a fixed time, a user's paste ends anywhere) still shows the
/// tunnel up: a CHILD SA rekey on the IKE SA an IKE rekey created is part of
/// the tunnel (charon names it only in its `<name|id>` log context), never a
/// "negotiation-incomplete" of its own. Every IKEv2 rekeying recording of
/// every version, cut after every line from the first CHILD SA on.
#[test]
fn an_ikev2_log_cut_anywhere_during_rekeys_still_shows_the_tunnel_established() {
    let mut dirs = vec![lab_dir().join("ikev2-frequent-rekey")];
    dirs.extend(
        recorded_runs()
            .into_iter()
            .map(|(_, run)| run.join("ikev2-frequent-rekey"))
            .filter(|d| d.is_dir()),
    );
    assert!(dirs.len() >= 3, "frequent-rekey recordings: {dirs:?}");
    let mut cuts = 0;
    for dir in &dirs {
        for side in ["left.log", "right.log"] {
            let text = read_log(&dir.join(side));
            let lines: Vec<&str> = text.lines().collect();
            let first_up = lines
                .iter()
                .position(|l| l.contains("CHILD_SA ") && l.contains(" established with SPIs "))
                .unwrap_or_else(|| panic!("{}: no establishment", dir.join(side).display()));
            for end in first_up + 1..=lines.len() {
                let mut d = Diagnoser::new();
                for (i, line) in lines[..end].iter().enumerate() {
                    d.push_line(side, i as u64 + 1, line);
                }
                let got = verdict(d.finish().findings.iter());
                assert_eq!(
                    got,
                    ["tunnel-established"],
                    "{} cut after line {end}",
                    dir.join(side).display()
                );
                cuts += 1;
            }
        }
    }
    assert!(cuts > 1000, "only {cuts} cuts");
}

/// Never a false all-clear, wherever a log ends: every recorded log of the
/// host's daemons, cut after every line, gives at least one finding
/// (an all-clear is `tunnel-established` and nothing else; a log cut before
/// the tunnel is up says the outcome is not in it).
#[test]
fn no_cut_of_a_recorded_log_is_an_empty_report() {
    let mut cuts = 0;
    for scenario in lab() {
        for (side, text) in [("left.log", &scenario.left), ("right.log", &scenario.right)] {
            let lines: Vec<&str> = text.lines().collect();
            for end in 1..=lines.len() {
                let report = diagnose(&[(side, &lines[..end].join("\n"))]);
                if report.reading.daemon_lines == 0 {
                    continue;
                }
                assert!(
                    !report.findings.is_empty(),
                    "{}/{side} cut after line {end}: no finding",
                    scenario.name
                );
                cuts += 1;
            }
        }
    }
    assert!(cuts > 2000, "only {cuts} cuts");
}
