//! Pairing: both ends of a tunnel where both logs are present, and the
//! other checks across hosts (lifetimes, one-way initiation).

use super::state::{HostState, TunnelState};
use super::Diagnoser;
use crate::catalog::matchers;
use crate::correlate;
use crate::facts::{AcrossHosts, Initiations};
use crate::report::{Finding, TunnelSummary};

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
                status: state.last_status,
                negotiations: state.negotiations,
                established: state.established,
                findings: Vec::new(),
                origin: host.facts.origin.clone(),
                ike_lifetime: state.ike_lifetime.clone(),
            });
        }
        tunnels
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
