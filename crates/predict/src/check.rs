//! `ipsec-doctor check`: one box's configuration alone.

use std::sync::Arc;

use ipsec_doctor_config::IkeVersion;
use ipsec_doctor_findings::{
    matchers, Detection, Finding, Report, Rule, TunnelStatus, TunnelSummary,
};

use crate::evidence::finding;
use crate::Side;

/// Finds the configuration faults the troubleshooting guide describes:
/// Phase 2 remote networks that overlap a local network or OpenVPN tunnel
/// network, outbound NAT rules with source `any`, Phase 1s bound to an
/// interface that also carries VIPs, AES keys longer than a glxsb
/// accelerator handles, missing MSS clamping, and weak algorithms. Each is
/// its rule's configuration matcher ([`ipsec_doctor_findings::Scope::ConfigTunnel`],
/// [`ipsec_doctor_findings::Scope::ConfigBox`]), in the rule's own catalog file.
pub fn check(side: Side<'_>) -> Report {
    let mut findings: Vec<Finding> = Vec::new();
    let host = side.config.host.hostname.clone();
    let mut push = |rule: &'static Rule, tunnel: Option<String>, detection: Detection| {
        let f = finding(rule, host.clone(), tunnel, side.path, detection);
        if !findings
            .iter()
            .any(|g| g.rule == f.rule && g.tunnel == f.tunnel)
        {
            findings.push(f);
        }
    };
    // The rules' configuration matchers, each kind in the order of its rank.
    let m = matchers();
    for t in side.config.tunnels.iter().filter(|t| !t.disabled) {
        for &(_, (rule, detect)) in &m.config_tunnel {
            for detection in detect(&side, t) {
                push(rule, Some(t.name.clone()), detection);
            }
        }
    }
    for &(_, (rule, detect)) in &m.config_box {
        for detection in detect(&side) {
            push(rule, None, detection);
        }
    }

    let tunnels = side
        .config
        .tunnels
        .iter()
        .filter(|t| !t.disabled)
        .map(|t| TunnelSummary {
            host: side.config.host.hostname.clone(),
            tunnel: Some(t.name.clone()),
            local: t.local_addrs.first().cloned(),
            remote: t.remote_addrs.first().cloned(),
            ike_version: match t.ike_version {
                IkeVersion::V1 => Some("ikev1"),
                IkeVersion::V2 => Some("ikev2"),
                IkeVersion::Any => None,
            },
            status: TunnelStatus::Unknown,
            negotiations: 0,
            established: 0,
            failed: 0,
            negotiated: Vec::new(),
            timeline: Vec::new(),
            findings: findings
                .iter()
                .filter(|f| f.tunnel.as_deref() == Some(t.name.as_str()))
                .map(|f| f.rule)
                .collect(),
            origin: Arc::from(side.path),
            ike_lifetime: None,
        })
        .collect();
    findings.sort_by_key(|f| f.severity);
    Report {
        findings,
        tunnels,
        ..Report::default()
    }
}
