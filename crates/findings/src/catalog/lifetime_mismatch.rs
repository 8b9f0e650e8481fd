//! `lifetime-mismatch`: the ends use different lifetimes (harmless).

use ipsec_doctor_events::CharonEvent;

use hashbrown::HashMap;

use super::common::evidence;
use crate::facts::{host_key_of, AcrossHosts, Place};
use crate::negotiation::Negotiation;
use crate::report::{Severity, TunnelSummary};
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "lifetime-mismatch",
    family: &RULE,
    severity: Severity::Info,
    title: "Lifetimes differ (does not cause a failure)",
    explanation: "The two ends are configured with different Phase 1 or Phase 2 lifetimes. This does not \
        make a tunnel fail: IKEv2 does not negotiate lifetimes at all (each end rekeys on its own \
        schedule), and strongSwan in IKEv1 accepts the peer's lifetime and uses the shorter one. It is \
        reported so that it is not mistaken for the cause of a failure; equal lifetimes only make \
        rekeying easier to follow in the logs.",
    fix: &[
        "Nothing is required. For tidiness: VPN > IPsec > Tunnels > Phase 1 > Life Time and Phase 2 > Life \
         Time equal on both ends (swanctl.conf: rekey_time/life_time; ipsec.conf: ikelifetime/lifetime).",
    ],
    see_also: &[SeeAlso::Guide("renegotiation")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::AcrossHosts(across)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let differs = neg.first(|e| matches!(e, CharonEvent::LifetimeDiffers { .. }))?;
    let CharonEvent::LifetimeDiffers {
        received,
        configured,
    } = differs.event
    else {
        return None;
    };
    Some(Detection::new(
        format!(
            "The peer proposed a lifetime of {received}s, this side is configured for {configured}s. This does \
             not cause a failure; the shorter one is used."
        ),
        evidence([differs]),
    ))
}

/// IKEv2 does not negotiate lifetimes, so a difference shows only by
/// comparing both ends' own schedules. charon shortens each rekey by a random
/// jitter (rand_time, 10% by default), so only a difference beyond that is
/// reported.
fn across(input: &AcrossHosts<'_>) -> Vec<(Place, Detection)> {
    let tunnels = input.tunnels;
    let mut out = Vec::new();
    let peers = PeerIndex::new(tunnels);
    for (i, a) in tunnels.iter().enumerate() {
        if a.ike_lifetime.is_none() {
            continue;
        }
        // Pair only where the peer is unambiguous, in both directions.
        let Some(j) = peers.unique_peer(tunnels, i) else {
            continue;
        };
        if j < i || peers.unique_peer(tunnels, j) != Some(i) {
            continue;
        }
        let b = &tunnels[j];
        let (Some((la, ea)), Some((lb, eb))) = (&a.ike_lifetime, &b.ike_lifetime) else {
            continue;
        };
        let (short, long) = if la < lb { (*la, *lb) } else { (*lb, *la) };
        if short == 0 || long * 4 <= short * 5 {
            continue;
        }
        for (this, mine, theirs) in [(a, *la, *lb), (b, *lb, *la)] {
            out.push((
                Place {
                    host: this.host.clone(),
                    tunnel: this.tunnel.clone(),
                    origin: this.origin.clone(),
                },
                Detection::new(
                    format!(
                        "This side's IKE SA lives at most {mine}s, the peer's {theirs}s: the ends are \
                         configured with different Phase 1 lifetimes. This does not cause a failure."
                    ),
                    vec![ea.clone(), eb.clone()],
                ),
            ));
        }
    }
    out
}

/// Tunnels by their local and remote addresses, with their hosts' keys, so
/// that finding a tunnel's peer does not scan every tunnel.
struct PeerIndex<'t> {
    host_keys: Vec<String>,
    by_local: HashMap<&'t str, Vec<usize>>,
    by_remote: HashMap<&'t str, Vec<usize>>,
}

impl<'t> PeerIndex<'t> {
    fn new(tunnels: &'t [TunnelSummary]) -> PeerIndex<'t> {
        let mut index = PeerIndex {
            host_keys: Vec::with_capacity(tunnels.len()),
            by_local: HashMap::default(),
            by_remote: HashMap::default(),
        };
        for (i, t) in tunnels.iter().enumerate() {
            index
                .host_keys
                .push(host_key_of(t.host.as_deref(), &t.origin));
            if let Some(local) = &t.local {
                index.by_local.entry(local.as_str()).or_default().push(i);
            }
            if let Some(remote) = &t.remote {
                index.by_remote.entry(remote.as_str()).or_default().push(i);
            }
        }
        index
    }

    /// The one tunnel on another host whose addresses mirror tunnel `i`'s
    /// (both addresses, or, behind NAT, one of them), if there is exactly one.
    fn unique_peer(&self, tunnels: &[TunnelSummary], i: usize) -> Option<usize> {
        let a = &tunnels[i];
        let a_host = &self.host_keys[i];
        let none = Vec::new();
        // Tunnels whose remote is our local, and whose local is our remote.
        let remote_is_our_local = a
            .local
            .as_deref()
            .map_or(&none, |l| self.by_remote.get(l).unwrap_or(&none));
        let local_is_our_remote = a
            .remote
            .as_deref()
            .map_or(&none, |r| self.by_local.get(r).unwrap_or(&none));
        let other = |j: &usize| self.host_keys[*j] != *a_host;
        let full: Vec<usize> = remote_is_our_local
            .iter()
            .copied()
            .filter(other)
            .filter(|&j| a.remote.is_some() && a.remote == tunnels[j].local)
            .collect();
        let mut half: Vec<usize> = remote_is_our_local
            .iter()
            .chain(local_is_our_remote)
            .copied()
            .filter(other)
            .collect();
        half.sort_unstable();
        half.dedup();
        match (full.as_slice(), half.as_slice()) {
            ([one], _) => Some(*one),
            ([], [one]) => Some(*one),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn ikev1_lifetime_difference_is_info() {
        let log = "charon: 09[IKE] received 3600s lifetime, configured 28800s";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["lifetime-mismatch"]);
        assert!(!report.has_errors());
    }
}
