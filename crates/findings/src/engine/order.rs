//! The report: what was read, and the findings worst first, grouped by host
//! and tunnel in the order they appeared.

use hashbrown::HashMap;

use super::{
    state::{host_key_of, HostTunnel},
    Diagnoser,
};
use crate::report::{Finding, Reading, Report, Severity, TunnelSummary};
use crate::rule::Rule;

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
        let mut rules_by_tunnel: HashMap<HostTunnel<'_>, Vec<&'static Rule>> = HashMap::default();
        for f in &findings {
            rules_by_tunnel
                .entry((f.host.as_deref(), &*f.origin, f.tunnel.as_deref()))
                .or_default()
                .push(f.rule);
        }
        for tunnel in &mut tunnels {
            let rules = rules_by_tunnel
                .get(&(
                    tunnel.host.as_deref(),
                    &*tunnel.origin,
                    tunnel.tunnel.as_deref(),
                ))
                .map_or(&[][..], Vec::as_slice);
            tunnel.findings = rules.to_vec();
            // A negotiation's generic finding that pairing or correlation
            // made specific is named as the report names it.
            for beat in &mut tunnel.timeline {
                if let Some(rule) = beat.rule {
                    if !rules.contains(&rule) {
                        if let Some(&specific) = rules.iter().find(|r| r.family == rule) {
                            beat.rule = Some(specific);
                        }
                    }
                }
            }
        }
        drop(rules_by_tunnel);
        Report {
            findings,
            tunnels,
            reading,
        }
    }
}
