//! Between the live state and its history: changes become history events,
//! and an earlier run's history restores what stood.

use std::sync::Arc;

use ipsec_doctor_findings::{rule_by_id, Detection, Evidence, Finding};
use ipsec_doctor_history::{Event, EventKind, EvidenceLine};
use ipsec_doctor_live::{Change, ChangeKind, Live, TunnelState};

/// The history event of a change.
pub fn event(change: &Change) -> Event {
    let kind = match &change.kind {
        ChangeKind::State { from, to } => EventKind::State {
            from: from.as_str().to_owned(),
            to: to.as_str().to_owned(),
        },
        ChangeKind::Raised(f) => EventKind::Raised {
            id: f.id.to_owned(),
            severity: f.severity.to_string(),
            summary: f.summary.clone(),
            fix: f.fix.iter().map(|s| s.to_string()).collect(),
            evidence: f
                .evidence
                .iter()
                .map(|e| EvidenceLine {
                    path: e.path.to_string(),
                    line: e.line,
                    text: e.text.clone(),
                })
                .collect(),
        },
        ChangeKind::Resolved { rule } => EventKind::Resolved {
            id: rule.id.to_owned(),
            severity: rule.severity.to_string(),
        },
    };
    Event {
        at_ms: change.at_ms,
        host: change.host.clone(),
        tunnel: change.tunnel.clone(),
        kind,
    }
}

/// Restores the tunnels' last states and the findings that stood. Returns
/// how many of each; a finding whose id this version does not know is
/// skipped (counted in the second number's complement by the caller).
pub fn restore(live: &mut Live, states: &[Event], active: &[Event]) -> (usize, usize) {
    let mut tunnels = 0;
    for e in states {
        if let (Some(tunnel), EventKind::State { to, .. }) = (&e.tunnel, &e.kind) {
            if let Some(state) = TunnelState::parse(to) {
                // A negotiation under way when the last run stopped is not
                // known to be under way now.
                let state = match state {
                    TunnelState::Connecting => TunnelState::Unknown,
                    other => other,
                };
                live.restore_tunnel(&e.host, tunnel, state, e.at_ms);
                tunnels += 1;
            }
        }
    }
    let mut findings = 0;
    for e in active {
        let EventKind::Raised {
            id,
            summary,
            fix,
            evidence,
            ..
        } = &e.kind
        else {
            continue;
        };
        let Some(rule) = rule_by_id(id) else {
            continue;
        };
        let origin: Arc<str> = Arc::from(
            evidence
                .first()
                .map_or("history", |line| line.path.as_str()),
        );
        let evidence = evidence
            .iter()
            .map(|line| Evidence {
                path: Arc::from(line.path.as_str()),
                line: line.line,
                text: line.text.clone(),
            })
            .collect();
        let mut finding = Finding::new(
            rule,
            Some(e.host.clone()),
            e.tunnel.clone(),
            origin,
            Detection::new(summary.clone(), evidence),
        );
        finding.fix = fix.iter().cloned().map(Into::into).collect();
        live.restore_finding(finding, e.at_ms);
        findings += 1;
    }
    (tunnels, findings)
}
