//! Pairing: both ends of a tunnel where both logs are present, and the
//! other checks across hosts (lifetimes, one-way initiation).

use super::state::{HostState, TunnelState};
use super::Diagnoser;
use crate::catalog::matchers;
use crate::correlate;
use crate::facts::{AcrossHosts, Initiations};
use crate::report::{Finding, TunnelSummary};
use crate::status::{Outcome, StatusHistory};

impl Diagnoser {
    /// Each tunnel of each host, as the report lists them.
    pub(super) fn tunnel_summaries(&self, hosts: &[String]) -> Vec<TunnelSummary> {
        let mut tunnels = Vec::new();
        for (host, name, state) in self.tunnels_in_order(hosts) {
            tunnels.push(TunnelSummary {
                host: host.facts.host.clone(),
                tunnel: Some(name.clone()),
                local: state.local.clone(),
                remote: state.remote.clone(),
                ike_version: state.version,
                status: state.status.status(),
                negotiations: state.negotiations,
                established: state.established,
                failed: state.status.failed,
                negotiated: state.negotiated.clone(),
                timeline: state.timeline.iter().cloned().collect(),
                findings: Vec::new(),
                origin: host.facts.origin.clone(),
                ike_lifetime: state.ike_lifetime.clone(),
            });
        }
        self.pluto_tunnels(hosts, &mut tunnels);
        tunnels
    }

    /// Each named pluto connection as a tunnel: pluto's connections are
    /// judged as a whole, so each is one negotiation, its status taken from
    /// its findings once the report has named them (`order::reconcile`).
    fn pluto_tunnels(&self, hosts: &[String], tunnels: &mut Vec<TunnelSummary>) {
        for key in hosts {
            let Some(host) = self.hosts.get(key) else {
                continue;
            };
            let Some(log) = &host.pluto else {
                continue;
            };
            for name in log.order.iter().filter(|n| !n.is_empty()) {
                if host.tunnels.contains_key(name) {
                    continue;
                }
                let status = StatusHistory::of(Outcome::Undecided);
                tunnels.push(TunnelSummary {
                    host: log.host.clone(),
                    tunnel: Some(name.clone()),
                    local: None,
                    remote: None,
                    ike_version: None,
                    status: status.status(),
                    negotiations: 1,
                    established: status.up,
                    failed: status.failed,
                    negotiated: Vec::new(),
                    timeline: Vec::new(),
                    findings: Vec::new(),
                    origin: log.origin.clone(),
                    ike_lifetime: None,
                });
            }
        }
    }

    /// Every charon tunnel of the hosts, host by host, each in the order it
    /// first appeared.
    fn tunnels_in_order<'a>(
        &'a self,
        hosts: &'a [String],
    ) -> impl Iterator<Item = (&'a HostState, &'a String, &'a TunnelState)> + 'a {
        hosts
            .iter()
            .filter_map(|key| self.hosts.get(key))
            .flat_map(|host| {
                host.tunnel_order
                    .iter()
                    .filter_map(move |name| Some((&**host, name, &**host.tunnels.get(name)?)))
            })
    }

    /// Pairs both ends, then the checks across hosts.
    pub(super) fn pair(&mut self, hosts: &[String], tunnels: &[TunnelSummary]) {
        correlate::pair_both_ends(&mut self.findings, tunnels);
        let initiations = self.initiations(hosts);
        for &(rule, detect) in &matchers().across_hosts {
            let found = detect(&AcrossHosts {
                tunnels,
                initiations: &initiations,
                findings: &self.findings,
            });
            for (place, detection) in found {
                self.add(rule, place.host, place.tunnel, place.origin, detection);
            }
        }
        dedupe_after_correlation(&mut self.findings);
    }

    /// Each charon tunnel of each host, with who initiated it.
    fn initiations(&self, hosts: &[String]) -> Vec<Initiations> {
        let mut views = Vec::new();
        for (host, name, state) in self.tunnels_in_order(hosts) {
            views.push(Initiations {
                host: host.facts.host.clone(),
                origin: host.facts.origin.clone(),
                tunnel: name.clone(),
                local: state.local.clone(),
                remote: state.remote.clone(),
                initiated_up: state.initiated_up.clone(),
                peer_initiated: state.peer_initiated,
            });
        }
        views
    }
}

/// After correlation two findings of one tunnel may carry the same id.
fn dedupe_after_correlation(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.host.clone(), f.origin.clone(), f.tunnel.clone(), f.id)));
}
