//! Tunnel-wide rules (each tunnel's history across its negotiations) and
//! racoon's log, once the input has ended.

use super::{judge::drop_explained_fallbacks, Diagnoser, Pending};
use crate::catalog::matchers;

impl Diagnoser {
    /// Runs the tunnel and racoon matchers of every rule, host by host.
    pub(super) fn judge_tunnels(&mut self, hosts: &[String]) {
        for key in hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            // Packets to the peer's port 500 may belong to another of its
            // negotiations (one named by its connection, one not yet).
            for facts in host.history.values_mut() {
                if facts.sent_to_ike_port.is_none() {
                    if let Some(remote) = &facts.remote {
                        facts.sent_to_ike_port = host.sent_to_ike_port.get(remote).cloned();
                    }
                }
            }
            let host = &*host;
            let mut found: Vec<Pending> = Vec::new();
            if let Some(log) = &host.racoon {
                for &(rule, detect) in &matchers().racoon {
                    for (tunnel, detection) in detect(log) {
                        found.push((
                            rule,
                            log.host.clone(),
                            tunnel,
                            log.origin.clone(),
                            detection,
                        ));
                    }
                }
                // racoon names the tunnel on few lines: per host.
                drop_explained_fallbacks(&mut found, |(r, ..)| r);
            }
            for name in &host.history_order {
                let Some(facts) = host.history.get(name) else {
                    continue;
                };
                for &(rule, detect) in &matchers().tunnel {
                    if let Some(detection) = detect(facts) {
                        let tunnel = (!facts.tunnel.is_empty()).then(|| facts.tunnel.clone());
                        found.push((
                            rule,
                            facts.host.clone(),
                            tunnel,
                            facts.origin.clone(),
                            detection,
                        ));
                    }
                }
            }
            for (rule, host_name, tunnel, origin, detection) in found {
                if !detection.evidence.is_empty() {
                    self.add(rule, host_name, tunnel, origin, detection);
                }
            }
        }
    }
}
