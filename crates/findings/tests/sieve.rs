//! The sieve must not change the diagnosis: for every fixture, in every log
//! format, cut into buffers of several sizes, the report from only the lines
//! the [`Sieve`] keeps is the report from every line.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use std::path::{Path, PathBuf};

use ipsec_doctor_findings::{Diagnoser, Sieve};
use ipsec_doctor_testkit::{
    all_scenarios, central_syslog, lab_dir, merge_by_time, render, LogFormat,
};

fn every_line(inputs: &[(String, String)]) -> String {
    let mut d = Diagnoser::new();
    for (path, text) in inputs {
        for (i, line) in text.split('\n').enumerate() {
            d.push_line(path, i as u64 + 1, line.trim_end_matches('\r'));
        }
    }
    serde_json::to_string_pretty(&d.finish()).unwrap()
}

/// As the binary reads: buffers of whole lines of about `chunk` bytes.
fn sieved(inputs: &[(String, String)], chunk: usize) -> (String, usize) {
    let mut d = Diagnoser::new();
    let mut sieve = Sieve::new();
    let mut kept = 0;
    for (path, text) in inputs {
        sieve.start_input();
        let bytes = text.as_bytes();
        let mut first_line = 1;
        let mut start = 0;
        while start < bytes.len() {
            let mut end = (start + chunk).min(bytes.len());
            while end < bytes.len() && bytes[end - 1] != b'\n' {
                end += 1;
            }
            let data = &bytes[start..end];
            sieve.lines(data, |line| {
                kept += 1;
                let text = std::str::from_utf8(&data[line.range]).unwrap();
                let line_no = first_line + line.index as u64;
                d.push_kept_line(path, line_no, text.trim_end_matches('\r'), line.literal);
            });
            first_line += data.iter().filter(|&&b| b == b'\n').count() as u64;
            start = end;
        }
    }
    (serde_json::to_string_pretty(&d.finish()).unwrap(), kept)
}

fn assert_same(name: &str, inputs: &[(String, String)]) -> usize {
    let whole = every_line(inputs);
    let mut kept = 0;
    for chunk in [1 << 20, 4096, 300] {
        let (report, k) = sieved(inputs, chunk);
        assert_eq!(whole, report, "{name}, buffers of {chunk} bytes");
        kept = k;
    }
    kept
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_lab_scenario_in_every_format_gives_the_same_report_sieved() {
    for s in all_scenarios(&lab_dir()) {
        for format in LogFormat::ALL {
            let left = render(&s.left, format, "gw-left", 11);
            let right = render(&s.right, format, "gw-right", 12);
            let both = merge_by_time(&[left.clone(), right.clone()]);
            let name = format!("{} {format:?}", s.name);
            assert_same(&name, &[("left.log".into(), left.clone())]);
            assert_same(&name, &[("right.log".into(), right.clone())]);
            assert_same(&name, &[("both.log".into(), both)]);
            assert_same(
                &name,
                &[("left.log".into(), left), ("right.log".into(), right)],
            );
        }
    }
}

#[test]
fn a_central_syslog_with_other_programs_is_mostly_skipped_and_diagnosed_the_same() {
    let scenarios = all_scenarios(&lab_dir());
    let fleet = central_syslog(&scenarios);
    // Other programs between charon's lines, as on a real syslog server.
    let mut noisy = String::new();
    for (i, line) in fleet.lines().enumerate() {
        let stamp = &line[..line.len().min(15)];
        noisy.push_str(&format!(
            "{stamp} fw-noise filterlog[77]: 5,,,1000000103,igb0,match,block,in,4,0x0,,64,{i}\n"
        ));
        noisy.push_str(line);
        noisy.push('\n');
    }
    let total = noisy.lines().count();
    let kept = assert_same("central syslog", &[("fleet.log".into(), noisy)]);
    assert!(
        kept * 2 < total,
        "the sieve kept {kept} of {total} lines; it should skip most"
    );
}

#[test]
fn every_fixture_file_gives_the_same_report_sieved() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    files_under(&root.join("tests/fixtures"), &mut files);
    files_under(&root.join("../../examples"), &mut files);
    files_under(&root.join("../../fixtures/lab"), &mut files);
    let mut checked = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = file.display().to_string();
        assert_same(&name, &[("input.log".into(), text)]);
        checked += 1;
    }
    assert!(checked > 100, "only {checked} fixture files found");
}
