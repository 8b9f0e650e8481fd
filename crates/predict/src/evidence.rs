//! Findings built from configuration files, their evidence in file order.

use std::sync::Arc;

use ipsec_doctor_findings::{Detection, Finding, Rule};

/// A finding of `rule`, its evidence in file order.
pub(crate) fn finding(
    rule: &'static Rule,
    host: Option<String>,
    tunnel: Option<String>,
    origin: &str,
    mut detection: Detection,
) -> Finding {
    detection
        .evidence
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    detection.evidence.dedup();
    Finding::new(rule, host, tunnel, Arc::from(origin), detection)
}
