//! The report: what was read, and the findings worst first, grouped by host
//! and tunnel in the order they appeared.

use hashbrown::HashMap;

use super::{
    state::{host_key_of, HostTunnel},
    Diagnoser,
};
use crate::catalog::rules;
use crate::report::{Finding, Reading, Report, Severity, TunnelSummary};
use crate::status::{Outcome, StatusHistory};

impl Diagnoser {
    /// The report, from the findings and tunnels of every pass.
    pub(super) fn into_report(
        mut self,
        hosts: &[String],
        mut tunnels: Vec<TunnelSummary>,
    ) -> Report {
        let mut reading = Reading {
            unread_lines: self.unread_lines,
            ignored_daemon_lines: self.ignored_daemon_lines,
            unread_samples: std::mem::take(&mut self.unread_samples),
            ..Reading::default()
        };
        for host in self.hosts.values() {
            reading.daemon_lines += host.facts.daemon_lines;
            reading.negotiations += host.facts.negotiations;
        }
        let findings = self.findings;
        // Worst first, grouped by host and tunnel in the order they appeared.
        let host_rank: HashMap<String, usize> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let group_rank = |f: &Finding| {
            host_rank
                .get(&host_key_of(f.host.as_deref(), &f.origin))
                .copied()
                .unwrap_or(usize::MAX)
        };
        // The worst severity of each host and of each tunnel, in one pass.
        type HostId<'f> = (Option<&'f str>, &'f str);
        let mut worst_of_host: HashMap<HostId<'_>, Severity> = HashMap::default();
        let mut worst_of_tunnel: HashMap<(HostId<'_>, Option<&str>), Severity> = HashMap::default();
        for g in &findings {
            let host = (g.host.as_deref(), &*g.origin);
            for worst in [
                worst_of_host.entry(host).or_insert(Severity::Info),
                worst_of_tunnel
                    .entry((host, g.tunnel.as_deref()))
                    .or_insert(Severity::Info),
            ] {
                *worst = (*worst).min(g.severity);
            }
        }
        let keyed: Vec<_> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let host = (f.host.as_deref(), &*f.origin);
                (
                    worst_of_host[&host],
                    group_rank(f),
                    worst_of_tunnel[&(host, f.tunnel.as_deref())],
                    f.tunnel.clone(),
                    f.severity,
                    i,
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&a, &b| keyed[a].cmp(&keyed[b]));
        drop((keyed, worst_of_host, worst_of_tunnel));
        // Moved into their order, not copied: the findings are most of what
        // the end of a large input holds.
        let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
        let findings: Vec<Finding> = order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take))
            .collect();
        // Each tunnel's findings, by the tunnel's position.
        let mut index: HashMap<HostTunnel<'_>, usize> = HashMap::default();
        for (i, t) in tunnels.iter().enumerate() {
            index
                .entry((t.host.as_deref(), &*t.origin, t.tunnel.as_deref()))
                .or_insert(i);
        }
        let mut per_tunnel: Vec<Vec<&Finding>> = vec![Vec::new(); tunnels.len()];
        for f in &findings {
            let key = (f.host.as_deref(), &*f.origin, f.tunnel.as_deref());
            if let Some(found) = index.get(&key).and_then(|&i| per_tunnel.get_mut(i)) {
                found.push(f);
            }
        }
        drop(index);
        for (tunnel, found) in tunnels.iter_mut().zip(&per_tunnel) {
            tunnel.findings = found.iter().map(|f| f.rule).collect();
            reconcile(tunnel, found);
        }
        drop(per_tunnel);
        Report {
            findings,
            tunnels,
            reading,
        }
    }
}

/// How a finding, as the report names it, says its negotiation ended.
fn outcome_of(f: &Finding) -> Option<Outcome> {
    if f.severity == Severity::Error {
        Some(Outcome::Failed)
    } else if f.undecided() {
        Some(Outcome::Undecided)
    } else if f.is(rules::TUNNEL_ESTABLISHED) {
        Some(Outcome::Up)
    } else {
        None
    }
}

/// A tunnel's status and timeline as the report's findings name them:
/// negotiations were judged before both ends were paired and findings
/// reinterpreted (a cut-off negotiation that the peer's log shows refused
/// by its kernel; a refusal that is the other IKE version's). Each beat
/// takes the worst finding whose evidence holds its deciding line, else the
/// specific member of its generic finding's family; where an outcome
/// changed, the status is derived again from the timeline. A pluto
/// connection (no timeline, one negotiation) takes its findings' outcome.
fn reconcile(tunnel: &mut TunnelSummary, found: &[&Finding]) {
    if tunnel.timeline.is_empty() {
        if tunnel.negotiations == 0 {
            return;
        }
        // Failed over up over undecided.
        let rank = |o: Outcome| match o {
            Outcome::Failed => 0,
            Outcome::Up => 1,
            Outcome::Undecided => 2,
        };
        if let Some(outcome) = found
            .iter()
            .filter_map(|f| outcome_of(f))
            .min_by_key(|o| rank(*o))
        {
            let status = StatusHistory::of(outcome);
            tunnel.status = status.status();
            tunnel.established = status.up;
            tunnel.failed = status.failed;
        }
        return;
    }
    let mut changed = false;
    for beat in &mut tunnel.timeline {
        let named = found
            .iter()
            .filter(|f| {
                f.evidence
                    .iter()
                    .any(|e| e.line == beat.line && e.path == beat.path)
            })
            .min_by_key(|f| f.severity);
        let Some(f) = named else {
            // Not quoted (a repeated finding keeps its first lines): the
            // specific member of its family, if the report has one.
            if let Some(rule) = beat.rule {
                if !found.iter().any(|f| f.rule == rule) {
                    if let Some(specific) = found.iter().find(|f| f.rule.family == rule) {
                        beat.rule = Some(specific.rule);
                    }
                }
            }
            continue;
        };
        beat.rule = Some(f.rule);
        let Some(outcome) = outcome_of(f) else {
            continue;
        };
        if outcome != beat.outcome {
            if beat.outcome == Outcome::Failed {
                tunnel.failed = tunnel.failed.saturating_sub(1);
            }
            if outcome == Outcome::Failed {
                tunnel.failed += 1;
            }
            if outcome == Outcome::Up {
                tunnel.established += 1;
            }
            beat.outcome = outcome;
            changed = true;
        }
    }
    if changed {
        let mut status = StatusHistory::default();
        for beat in &tunnel.timeline {
            status.record(beat.outcome);
        }
        tunnel.status = status.status();
    }
}
