//! Test helpers: run text through the whole engine.

use crate::{Diagnoser, Report};

/// Diagnoses `text` as one file named `path`.
pub(crate) fn diagnose(path: &str, text: &str) -> Report {
    let mut d = Diagnoser::new();
    for (i, line) in text.lines().enumerate() {
        d.push_line(path, i as u64 + 1, line);
    }
    d.finish()
}

/// Diagnoses several files together.
pub(crate) fn diagnose_files(files: &[(&str, &str)]) -> Report {
    let mut d = Diagnoser::new();
    for (path, text) in files {
        for (i, line) in text.lines().enumerate() {
            d.push_line(path, i as u64 + 1, line);
        }
    }
    d.finish()
}

/// The distinct ids of a report, in order.
pub(crate) fn ids(report: &Report) -> Vec<&'static str> {
    let mut out = Vec::new();
    for f in &report.findings {
        if !out.contains(&f.id) {
            out.push(f.id);
        }
    }
    out
}
