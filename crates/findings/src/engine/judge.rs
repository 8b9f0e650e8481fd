//! Judging: every negotiation rule at one charon negotiation, once it has
//! ended; pluto's connections and what is still open at the end of input.

use hashbrown::HashMap;
use std::sync::Arc;

use ipsec_doctor_events::{CharonEvent, Direction};
use ipsec_doctor_logs::Daemon;

use super::state::{host_key_of, HostState, TunnelState};
use super::{Diagnoser, Pending};
use crate::catalog::matchers;
use crate::facts::{Moment, MomentKind, TunnelFacts, MAX_MOMENTS};
use crate::negotiation::{Negotiation, Role};
use crate::report::{Beat, Evidence, Finding, Severity};
use crate::rule::{Detection, Rule};
use crate::status::{Outcome, FLAP_WINDOW};

impl Diagnoser {
    /// Judges every negotiation still open, host by host in order.
    pub(super) fn judge_still_open(&mut self, hosts: &[String]) {
        for key in hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            let mut open: Vec<Negotiation> = host.open.drain().map(|(_, n)| *n).collect();
            open.sort_by_key(|n| n.started);
            for neg in open {
                self.judge(neg);
            }
        }
        for key in hosts {
            if let Some(host) = self.hosts.get_mut(key) {
                if let Some(log) = &host.pluto {
                    host.facts.negotiations += log.negotiations();
                }
            }
        }
    }

    /// pluto's verdicts, before correlation, so that both ends pair.
    pub(super) fn judge_pluto(&mut self, hosts: &[String]) {
        let pluto: Vec<Pending> = hosts
            .iter()
            .filter_map(|key| self.hosts.get(key)?.pluto.as_ref())
            .flat_map(|log| {
                log.judge().into_iter().map(|(rule, tunnel, detection)| {
                    (
                        rule,
                        log.host.clone(),
                        tunnel,
                        log.origin.clone(),
                        detection,
                    )
                })
            })
            .collect();
        for (rule, host_name, tunnel, origin, detection) in pluto {
            if !detection.evidence.is_empty() {
                self.add(rule, host_name, tunnel, origin, detection.by(Daemon::Pluto));
            }
        }
    }

    pub(super) fn judge(&mut self, neg: Negotiation) {
        let host_key = host_key_of(neg.host.as_deref(), &neg.origin);
        let mut neg = neg;
        let tunnel = neg.tunnel_name();
        if let Some(host) = self.hosts.get_mut(&host_key) {
            host.facts.negotiations += 1;
            if let Some(name) = &tunnel {
                let state = host.tunnel(name);
                neg.was_up_before = state.first_up.is_some_and(|up| up < neg.started);
                state.negotiations += 1;
                if state.local.is_none() {
                    state.local.clone_from(&neg.local);
                }
                if state.remote.is_none() {
                    state.remote.clone_from(&neg.remote);
                }
                if state.version.is_none() {
                    state.version = neg.version.map(|v| v.as_str());
                }
                if state.ike_lifetime.is_none() {
                    state.ike_lifetime = neg.entries.iter().find_map(|e| match e.event {
                        CharonEvent::MaxLifetime { seconds } => Some((seconds, e.evidence.clone())),
                        _ => None,
                    });
                }
                match neg.role {
                    Some(Role::Responder) => state.peer_initiated = true,
                    Some(Role::Initiator) if state.initiated_up.is_none() => {
                        if let Some(up) = neg.ike_established_at() {
                            let mut lines: Vec<Evidence> = neg
                                .first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. }))
                                .map(|e| e.evidence.clone())
                                .into_iter()
                                .collect();
                            lines.push(neg.entries[up].evidence.clone());
                            state.initiated_up = Some(lines);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut detections: Vec<(&'static Rule, Detection)> = Vec::new();
        for &(rule, detect) in &matchers().negotiation {
            if let Some(detection) = detect(&neg) {
                if !detection.evidence.is_empty() {
                    detections.push((rule, detection));
                }
            }
        }
        drop_explained_fallbacks(&mut detections, |(r, _)| r);
        // A specific finding makes its generic family member redundant.
        let specific_families: Vec<&Rule> = detections
            .iter()
            .filter(|(r, _)| r.is_specific())
            .map(|(r, _)| r.family)
            .collect();
        detections.retain(|(r, _)| r.is_specific() || !specific_families.contains(r));
        let outcome = outcome_of(&neg, &detections);
        if let (Some(name), Some(host)) = (&tunnel, self.hosts.get_mut(&host_key)) {
            record_outcome(host.tunnel(name), &neg, outcome, &detections);
        }
        if let (Some(name), Some(host)) = (&tunnel, self.hosts.get_mut(&host_key)) {
            record_history(host, name, &neg, &detections);
        }
        for (rule, detection) in detections {
            self.add(
                rule,
                neg.host.clone(),
                tunnel.clone(),
                neg.origin.clone(),
                detection.by(Daemon::Charon),
            );
        }
    }

    pub(super) fn add(
        &mut self,
        rule: &'static Rule,
        host: Option<String>,
        tunnel: Option<String>,
        origin: Arc<str>,
        detection: Detection,
    ) {
        let key = (
            host_key_of(host.as_deref(), &origin),
            tunnel.clone(),
            rule.id,
        );
        if let Some(&i) = self.finding_index.get(&key) {
            self.findings[i].occurrences += 1;
            return;
        }
        let mut finding = Finding::new(rule, host, tunnel, origin, detection);
        finding.evidence.truncate(self.limits.evidence_per_finding);
        self.finding_index.insert(key, self.findings.len());
        self.added_at.push(self.at.clone());
        self.findings.push(finding);
    }
}

/// How a negotiation ended, for its tunnel's status ([`crate::status`]).
fn outcome_of(neg: &Negotiation, detections: &[(&'static Rule, Detection)]) -> Outcome {
    if detections
        .iter()
        .any(|(r, _)| r.severity == Severity::Error)
    {
        Outcome::Failed
    } else if detections
        .iter()
        .any(|(r, _)| crate::catalog::is_undecided(r))
    {
        Outcome::Undecided
    } else if neg.child_established() || neg.ike_established_at().is_some() {
        Outcome::Up
    } else {
        Outcome::Undecided
    }
}

/// The outcome into the tunnel's status, counts and timeline.
fn record_outcome(
    state: &mut TunnelState,
    neg: &Negotiation,
    outcome: Outcome,
    detections: &[(&'static Rule, Detection)],
) {
    state.status.record(outcome);
    // Established: its CHILD SA came up, whatever happened to it later (a
    // DPD timeout fails a negotiation that had established).
    if outcome == Outcome::Up || neg.child_established() {
        state.established += 1;
    }
    if outcome == Outcome::Up {
        let negotiated = neg.negotiated();
        if !negotiated.is_empty() {
            state.negotiated = negotiated;
        }
    }
    // The deciding line: the worst finding's last evidence, else the
    // establishment, else the negotiation's last line.
    let worst = detections.iter().min_by_key(|(r, _)| r.severity);
    let deciding = worst
        .and_then(|(_, d)| d.evidence.last())
        .or_else(|| neg.ike_established_at().map(|i| &neg.entries[i].evidence))
        .or_else(|| neg.entries.last().map(|e| &e.evidence));
    let Some(deciding) = deciding else {
        return;
    };
    if state.timeline.len() == FLAP_WINDOW {
        state.timeline.pop_front();
    }
    state.timeline.push_back(Beat {
        at: deciding.timestamp(),
        outcome,
        rule: worst.map(|(r, _)| *r),
        path: deciding.path.clone(),
        line: deciding.line,
    });
}

/// What one judged negotiation adds to its tunnel's history.
fn record_history(
    host: &mut HostState,
    name: &str,
    neg: &Negotiation,
    detections: &[(&'static Rule, Detection)],
) {
    let origin = neg.origin.clone();
    let mut sent = std::mem::take(&mut host.sent_to_ike_port);
    record_moments_and_ports(host.history(name, &origin), neg, detections, &mut sent);
    host.sent_to_ike_port = sent;
}

fn record_moments_and_ports(
    facts: &mut TunnelFacts,
    neg: &Negotiation,
    detections: &[(&'static Rule, Detection)],
    sent: &mut HashMap<String, Evidence>,
) {
    if facts.remote.is_none() {
        facts.remote.clone_from(&neg.remote);
    }
    let at_of = |ev: &Evidence| ev.timestamp().map(|t| t.sort_key());
    if let Some(up) = neg.ike_established_at() {
        let ev = &neg.entries[up].evidence;
        if facts.moments.len() < MAX_MOMENTS {
            facts.moments.push(Moment {
                kind: MomentKind::Up,
                at: at_of(ev),
                evidence: ev.clone(),
            });
        }
    }
    for (_, d) in detections {
        let (Some(kind), Some(ev)) = (d.moment, d.evidence.last()) else {
            continue;
        };
        if facts.moments.len() < MAX_MOMENTS {
            facts.moments.push(Moment {
                kind,
                at: at_of(ev),
                evidence: ev.clone(),
            });
        }
    }
    for entry in &neg.entries {
        let CharonEvent::Packet {
            direction,
            from,
            to,
        } = &entry.event
        else {
            continue;
        };
        match direction {
            Direction::Sent => {
                if to.port == Some(500)
                    && neg.remote.as_deref() == Some(to.addr.as_str())
                    && sent.len() < 1024
                {
                    sent.entry(to.addr.clone())
                        .or_insert_with(|| entry.evidence.clone());
                }
            }
            Direction::Received => {
                if facts.odd_source_port.is_none()
                    && neg.remote.as_deref() == Some(from.addr.as_str())
                {
                    if let Some(port) = from.port.filter(|p| *p != 500 && *p != 4500) {
                        facts.odd_source_port = Some((port, entry.evidence.clone()));
                    }
                }
            }
        }
    }
}

/// "Outcome not in the log" ([`crate::catalog::is_fallback`]) only where
/// no error or warning among `found` explains it (an info such as a
/// lifetime difference does not).
pub(super) fn drop_explained_fallbacks<T>(found: &mut Vec<T>, rule: impl Fn(&T) -> &'static Rule) {
    let explained = found.iter().any(|f| {
        let r = rule(f);
        !crate::catalog::is_fallback(r) && r.severity != Severity::Info
    });
    if explained {
        found.retain(|f| !crate::catalog::is_fallback(rule(f)));
    }
}
