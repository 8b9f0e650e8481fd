//! The corpus of real logs (`fixtures/real-logs/`): what people posted
//! publicly with their failing tunnel, copied exactly as posted, each
//! labelled in `labels.jsonl` with the resolution of its thread (never with
//! what this tool printed). The score is printed on every run and may not
//! drop below [`FLOOR`]; raise it as diagnoses improve.
//!
//! A case is right when `diagnose --format json` reports one of its
//! `expect` ids at severity error or warning (`tunnel-established` for a
//! healthy log, with no error). Cases with an empty `expect` have their
//! cause outside the catalogue: they are read, but not scored.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::path::Path;
use std::process::Command;

/// Scored cases that must be diagnosed right.
const FLOOR: usize = 57;

struct Case {
    file: String,
    expect: Vec<String>,
    format: String,
}

fn cases() -> Vec<Case> {
    let labels = std::fs::read_to_string(dir().join("labels.jsonl")).unwrap();
    labels
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            for key in ["file", "source", "daemon", "format", "root_cause", "expect"] {
                assert!(v.get(key).is_some(), "{l}: no {key}");
            }
            Case {
                file: v["file"].as_str().unwrap().to_owned(),
                expect: v["expect"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect(),
                format: v["format"].as_str().unwrap().to_owned(),
            }
        })
        .collect()
}

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/real-logs"))
}

#[test]
fn real_logs_score_at_least_the_floor_and_never_crash() {
    let known: Vec<&str> = ipsec_doctor_findings::CATALOG
        .iter()
        .map(|r| r.id)
        .chain(["config-load-error"])
        .collect();
    let (mut scored, mut right, mut unread) = (0, 0, 0);
    let mut wrong = Vec::new();
    // Wrong cases with the reason they cannot be right (yet).
    let explained = std::fs::read_to_string(dir().join("UNRESOLVED.md")).unwrap();
    let mut stale = Vec::new();
    // `- `FILE` `ID`, `ID`: why` lines: error findings justified for cases
    // whose cause lies outside the catalogue.
    let justified: Vec<(String, String)> = explained
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split_once(':'))
        .flat_map(|(head, _)| {
            let mut quoted = head
                .split('`')
                .map(str::trim)
                .filter(|t| !t.is_empty() && *t != ",");
            let file = quoted.next().unwrap_or_default().to_owned();
            quoted
                .map(move |id| (file.clone(), id.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut exit_0_on_failure = Vec::new();
    for case in cases() {
        for id in &case.expect {
            assert!(
                known.contains(&id.as_str()),
                "{}: unknown id {id}",
                case.file
            );
        }
        let path = dir().join(&case.file);
        let o = Command::new(env!("CARGO_BIN_EXE_ipsec-doctor"))
            .args(["diagnose", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let code = o.status.code();
        assert!(matches!(code, Some(0..=3)), "{}: exit {code:?}", case.file);
        let report: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{}: no JSON ({e})", case.file));
        let found: Vec<(String, String)> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        if found.is_empty() {
            unread += 1;
        }
        if case.expect.is_empty() {
            // No cause may be claimed with confidence that the log does
            // not show: each error finding is listed and justified.
            for (id, severity) in &found {
                if severity == "error" && !justified.contains(&(case.file.clone(), id.clone())) {
                    wrong.push(format!(
                        "  {} (cause outside the catalogue): claims {id}, not justified in UNRESOLVED.md",
                        case.file
                    ));
                }
            }
            continue;
        }
        scored += 1;
        let healthy = case.expect == ["tunnel-established"];
        let ok = if healthy {
            found.iter().any(|(id, _)| id == "tunnel-established")
                && !found.iter().any(|(_, sev)| sev == "error")
        } else {
            found
                .iter()
                .any(|(id, sev)| case.expect.contains(id) && (sev == "error" || sev == "warning"))
        };
        if !healthy && code == Some(0) {
            exit_0_on_failure.push(case.file.clone());
        }
        if ok {
            right += 1;
            if explained.contains(&format!("`{}`", case.file)) {
                stale.push(case.file.clone());
            }
        } else if !explained.contains(&format!("`{}`", case.file)) {
            wrong.push(format!(
                "  {} ({}): expect {:?}, got {:?}",
                case.file, case.format, case.expect, found
            ));
        }
    }
    println!("real logs: {right}/{scored} scored cases right, {unread} with no finding at all");
    println!(
        "wrong and not explained in UNRESOLVED.md:\n{}",
        wrong.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "real logs diagnosed wrong, not explained in fixtures/real-logs/UNRESOLVED.md:\n{}",
        wrong.join("\n")
    );
    assert!(
        stale.is_empty(),
        "right now, so remove them from UNRESOLVED.md and raise FLOOR: {stale:?}"
    );
    println!("exit 0 on a failed tunnel: {exit_0_on_failure:?}");
    assert!(
        exit_0_on_failure.is_empty(),
        "exit 0 (healthy) on a failed tunnel: {exit_0_on_failure:?}"
    );
    assert!(
        right >= FLOOR,
        "real logs: {right}/{scored} right, below the floor of {FLOOR}:\n{}",
        wrong.join("\n")
    );
}
