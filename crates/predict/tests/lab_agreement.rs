//! Every lab scenario's pair of swanctl.conf files, recorded with the real
//! daemons' logs, must be predicted to fail with the finding those logs
//! produced, and the healthy ones to establish. Failures that no
//! configuration shows (a peer that is down, a kernel that refuses the SA)
//! are predicted as established: the configurations themselves are sound.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

use ipsec_doctor_config::{parse, NoIncludes};
use ipsec_doctor_findings::Severity;
use ipsec_doctor_predict::{compare, Side};
use ipsec_doctor_testkit::{lab_dir, scenarios};

/// Failures that happen at run time or depend on files and paths outside the
/// configuration.
const RUNTIME_ONLY: [&str; 12] = [
    "peer-unreachable",
    "dpd-timeout",
    "kernel-sa-install-failure",
    // Certificates, user credentials and the path MTU are not in swanctl.conf.
    "cert-untrusted",
    "cert-expired",
    "cert-revoked",
    "cert-id-mismatch",
    "cert-key-missing",
    "eap-failure",
    "xauth-failure",
    "fragmentation-mtu",
    "nat-t-blocked",
];

#[test]
fn predictions_agree_with_the_real_daemons_for_every_lab_scenario() {
    let dir = lab_dir();
    let all = scenarios(&dir);
    assert!(all.len() >= 30);
    let mut failures = Vec::new();
    for s in &all {
        let read = |f: &str| std::fs::read_to_string(dir.join(&s.name).join(f)).unwrap();
        let (lt, rt) = (read("left.swanctl.conf"), read("right.swanctl.conf"));
        let lc = parse("left.swanctl.conf", &lt, &NoIncludes).unwrap();
        let rc = parse("right.swanctl.conf", &rt, &NoIncludes).unwrap();
        let report = compare(
            Side {
                path: "left.swanctl.conf",
                text: &lt,
                config: &lc,
            },
            Side {
                path: "right.swanctl.conf",
                text: &rt,
                config: &rc,
            },
            None,
            None,
        )
        .unwrap();
        // No secret of either configuration is shown, whatever the finding.
        for text in [&lt, &rt] {
            for line in text.lines() {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                let value = value.trim().trim_matches('"');
                if key.trim() != "secret" || value.len() < 4 {
                    continue;
                }
                for f in &report.findings {
                    let shown = f.evidence.iter().any(|e| e.text.contains(value))
                        || f.summary.contains(value)
                        || f.fix.iter().any(|step| step.contains(value));
                    assert!(!shown, "{}: a secret shown in {}", s.name, f.id);
                }
            }
        }
        // A certificate setup predicted to establish says its certificates
        // were not checked.
        let cert = lt.contains("pubkey") || lt.contains("certs");
        for f in report
            .findings
            .iter()
            .filter(|f| f.is(ipsec_doctor_findings::rules::TUNNEL_ESTABLISHED))
        {
            assert!(
                !cert || f.summary.contains("certificates"),
                "{}: {}",
                s.name,
                f.summary
            );
        }
        let mut got: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .map(|f| f.id.to_owned())
            .collect();
        if got.is_empty() {
            got = report.findings.iter().map(|f| f.id.to_owned()).collect();
        }
        got.sort();
        got.dedup();
        let mut expected: Vec<String> = s.expected.both.clone();
        if expected
            .iter()
            .any(|id| RUNTIME_ONLY.contains(&id.as_str()))
        {
            expected = vec!["tunnel-established".to_owned()];
        }
        if got != expected {
            failures.push(format!(
                "{}: logs say {expected:?}, prediction {got:?}",
                s.name
            ));
        }
        for f in &report.findings {
            assert!(
                !f.evidence.is_empty(),
                "{}: {} without evidence",
                s.name,
                f.id
            );
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
