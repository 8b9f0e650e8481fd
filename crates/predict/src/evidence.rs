//! Evidence lines quoted from configuration files, and findings built from them.

use std::sync::Arc;

use ipsec_doctor_findings::{Detection, Evidence, Finding, Rule};

use crate::Side;

/// The line of `side` at or after `from_line` (1-based) that sets `key`
/// (`key =`, `key=` or `<key>`), within the block that starts there; falls
/// back to the line `from_line` itself.
pub(crate) fn line_for(side: &Side<'_>, from_line: u32, keys: &[&str]) -> Evidence {
    let start = from_line.max(1) as usize;
    let lines: Vec<&str> = side.text.lines().collect();
    let window = lines.iter().enumerate().skip(start - 1).take(200);
    for (i, line) in window {
        let t = line.trim_start();
        let hit = keys.iter().any(|k| {
            t.strip_prefix(k).is_some_and(|rest| {
                let rest = rest.trim_start();
                rest.starts_with('=') || rest.starts_with('>') || rest.starts_with(' ')
            }) || t.starts_with(&format!("<{k}>"))
        });
        if hit {
            return evidence_at(side, i + 1);
        }
    }
    evidence_at(side, start)
}

/// The line `line` (1-based) of `side`.
pub(crate) fn evidence_at(side: &Side<'_>, line: usize) -> Evidence {
    let text = side
        .text
        .lines()
        .nth(line.saturating_sub(1))
        .unwrap_or("")
        .trim_end()
        .to_owned();
    Evidence {
        path: Arc::from(side.path),
        line: line as u64,
        text,
    }
}

/// A finding of `rule`, its evidence in file order.
pub(crate) fn finding(
    rule: &'static Rule,
    host: Option<String>,
    tunnel: Option<String>,
    origin: &str,
    summary: String,
    mut evidence: Vec<Evidence>,
    specific_fix: Vec<String>,
) -> Finding {
    evidence.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    evidence.dedup();
    let mut detection = Detection::new(summary, evidence);
    detection.fix = specific_fix;
    Finding::new(rule, host, tunnel, Arc::from(origin), detection)
}
