//! Spreading hosts over threads must not change the diagnosis: diagnosers
//! that each read some hosts (routed by the framed host, as the binary's
//! reader does), merged, give the report one diagnoser gives.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_findings::{Diagnoser, Report};
use ipsec_doctor_logs::frame;
use ipsec_doctor_testkit::{all_scenarios, central_syslog, lab_dir};

fn json(report: &Report) -> String {
    let mut out = Vec::new();
    ipsec_doctor_render::json(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// One diagnoser, or `parts` diagnosers each taking the hosts that hash to
/// it (as the binary's workers do), merged.
fn diagnose(files: &[(&str, &str)], parts: usize) -> Report {
    let mut ds: Vec<Diagnoser> = (0..parts).map(|_| Diagnoser::new()).collect();
    let owner = |key: &str| key.bytes().map(usize::from).sum::<usize>() % parts;
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            let host = frame(line).and_then(|f| f.host);
            let key = host.map_or_else(|| (*path).to_owned(), |h| h.into_owned());
            ds[owner(&key)].push_line(path, i as u64 + 1, line);
        }
    }
    if parts == 1 {
        return ds.pop().unwrap().finish();
    }
    let order: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
    Diagnoser::merge(ds, &order).finish()
}

#[test]
fn merged_diagnosers_give_the_single_diagnoser_report() {
    let all = all_scenarios(&lab_dir());
    let central = central_syslog(&all);
    let single = json(&diagnose(&[("central.log", &central)], 1));
    for parts in [2, 3, 7] {
        assert_eq!(
            single,
            json(&diagnose(&[("central.log", &central)], parts)),
            "{parts} parts"
        );
    }
    // Files without host names: each file is one host.
    let files: Vec<(String, String)> = all
        .iter()
        .take(12)
        .flat_map(|s| {
            [
                (format!("{}/left.log", s.name), s.left.clone()),
                (format!("{}/right.log", s.name), s.right.clone()),
            ]
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    assert_eq!(json(&diagnose(&refs, 1)), json(&diagnose(&refs, 3)));
}
