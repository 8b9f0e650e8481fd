//! Both ends of a tunnel: the side that only saw `NO_PROPOSAL_CHOSEN` or
//! `AUTHENTICATION_FAILED` learns the cause from the other side's log.

use crate::diagnoser::host_key_of;
use crate::report::{Finding, TunnelSummary};
use crate::rule::Detection;

/// Replaces each generic finding (`p1-auth-failed`, `p1-proposal-mismatch`,
/// `p2-proposal-mismatch`) with the specific finding of the same family that
/// the peer's log shows, when the peer is identified: its tunnel has this
/// tunnel's addresses mirrored, or, where the logs give no addresses, it is
/// the only other host with a specific finding of that family.
pub(crate) fn pair_both_ends(findings: &mut [Finding], tunnels: &[TunnelSummary]) {
    let addresses = |f: &Finding| {
        tunnels
            .iter()
            .find(|t| t.host == f.host && t.origin == f.origin && t.tunnel == f.tunnel)
            .map(|t| (t.local.clone(), t.remote.clone()))
            .unwrap_or_default()
    };
    let upgrades: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, g)| g.id == g.family && is_generic(g.id))
        .filter_map(|(gi, g)| {
            let g_host = host_key_of(g.host.as_deref(), &g.origin);
            let (g_local, g_remote) = addresses(g);
            let candidates: Vec<usize> = findings
                .iter()
                .enumerate()
                .filter(|(_, s)| explains(g.id, s))
                .filter(|(_, s)| host_key_of(s.host.as_deref(), &s.origin) != g_host)
                .map(|(si, _)| si)
                .collect();
            let mirrored: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&si| {
                    let (s_local, s_remote) = addresses(&findings[si]);
                    matches!((&g_local, &g_remote, &s_local, &s_remote),
                        (Some(gl), Some(gr), Some(sl), Some(sr)) if gl == sr && gr == sl)
                })
                .collect();
            // Behind NAT only one address of the pair is the same on both ends.
            let half_mirrored: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&si| {
                    let (s_local, s_remote) = addresses(&findings[si]);
                    (g_remote.is_some() && g_remote == s_local)
                        || (g_local.is_some() && g_local == s_remote)
                })
                .collect();
            let chosen = match (mirrored.as_slice(), half_mirrored.as_slice()) {
                ([one], _) => Some(*one),
                ([], [one]) => Some(*one),
                ([], []) if candidates.len() == 1 => {
                    let (s_local, s_remote) = addresses(&findings[candidates[0]]);
                    // Only where addresses cannot contradict the pairing.
                    let unknown = g_local.is_none()
                        || g_remote.is_none()
                        || s_local.is_none()
                        || s_remote.is_none();
                    unknown.then_some(candidates[0])
                }
                _ => None,
            };
            chosen.map(|si| (gi, si))
        })
        .collect();
    for (gi, si) in upgrades {
        let specific = findings[si].clone();
        let peer = specific
            .host
            .clone()
            .unwrap_or_else(|| specific.origin.to_string());
        let generic = &mut findings[gi];
        generic.id = specific.id;
        generic.title = specific.title;
        generic.severity = specific.severity;
        generic.summary = match &specific.peer_summary {
            Some(told_for_us) => format!("{told_for_us} (from the peer's log, {peer})"),
            None => format!("The peer's log ({peer}) shows: {}", specific.summary),
        };
        generic.family = specific.family;
        // The case-specific steps speak from the peer's side; keep the rule's own.
        generic.fix = crate::catalog::rule_by_id(specific.id)
            .map(|rule| rule.fix.iter().map(|s| (*s).to_owned()).collect())
            .unwrap_or(specific.fix);
        generic.evidence.extend(specific.evidence);
    }
}

/// Whether the peer's finding `s` explains this side's generic finding `generic`.
fn explains(generic: &str, s: &Finding) -> bool {
    (s.family == generic && s.id != s.family)
        // An IKEv1 initiator that cannot install the SA answers NO_PROPOSAL_CHOSEN.
        || (generic == "p2-proposal-mismatch" && s.id == "kernel-sa-install-failure")
        // A responder without a Phase 1 for the address it was reached at answers NO_PROPOSAL_CHOSEN.
        || (generic == "p1-proposal-mismatch" && s.id == "wrong-destination-address")
}

fn is_generic(id: &str) -> bool {
    matches!(
        id,
        "p1-auth-failed" | "p1-proposal-mismatch" | "p2-proposal-mismatch"
    )
}

/// IKEv2 does not negotiate lifetimes, so a difference shows only by
/// comparing both ends' own schedules. charon shortens each rekey by a random
/// jitter (rand_time, 10% by default), so only a difference beyond that is
/// reported.
pub(crate) fn compare_lifetimes(tunnels: &[TunnelSummary]) -> Vec<(&TunnelSummary, Detection)> {
    let mut out = Vec::new();
    for (i, a) in tunnels.iter().enumerate() {
        // Pair only where the peer is unambiguous, in both directions.
        let Some(j) = unique_peer(tunnels, i) else {
            continue;
        };
        if j < i || unique_peer(tunnels, j) != Some(i) {
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
                this,
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

/// The one tunnel on another host whose addresses mirror tunnel `i`'s (both
/// addresses, or, behind NAT, one of them), if there is exactly one.
fn unique_peer(tunnels: &[TunnelSummary], i: usize) -> Option<usize> {
    let a = &tunnels[i];
    let a_host = host_key_of(a.host.as_deref(), &a.origin);
    let others: Vec<(usize, &TunnelSummary)> = tunnels
        .iter()
        .enumerate()
        .filter(|(_, b)| host_key_of(b.host.as_deref(), &b.origin) != a_host)
        .collect();
    let full: Vec<usize> = others
        .iter()
        .filter(|(_, b)| {
            a.local.is_some() && a.local == b.remote && a.remote.is_some() && a.remote == b.local
        })
        .map(|(j, _)| *j)
        .collect();
    let half: Vec<usize> = others
        .iter()
        .filter(|(_, b)| {
            (a.remote.is_some() && a.remote == b.local)
                || (a.local.is_some() && a.local == b.remote)
        })
        .map(|(j, _)| *j)
        .collect();
    match (full.as_slice(), half.as_slice()) {
        ([one], _) => Some(*one),
        ([], [one]) => Some(*one),
        _ => None,
    }
}

/// One charon tunnel of one host, for [`one_way_initiation`].
pub(crate) struct OneWayView {
    pub host: Option<String>,
    pub origin: std::sync::Arc<str>,
    pub tunnel: String,
    pub local: Option<String>,
    pub remote: Option<String>,
    /// The initiating and established lines of an IKE SA this host initiated.
    pub initiated_up: Option<Vec<crate::report::Evidence>>,
    /// Whether the peer ever initiated to this host.
    pub peer_initiated: bool,
}

/// A tunnel that initiates one way only: this host's IKE requests to the
/// peer go unanswered (`peer-unreachable`), while the peer's own log, also
/// in the input, shows the peer initiating to this host successfully and
/// never receiving an initiation from it. The path works, the peer answers:
/// what this host sends is lost or rewritten on its way out, which is what
/// an outbound NAT rule with source `any` does to the firewall's own IKE
/// traffic.
pub(crate) fn one_way_initiation(
    views: &[OneWayView],
    findings: &[Finding],
) -> Vec<(usize, Detection)> {
    let mut out = Vec::new();
    for (i, a) in views.iter().enumerate() {
        let a_host = host_key_of(a.host.as_deref(), &a.origin);
        let Some(unreachable) = findings.iter().find(|f| {
            f.id == "peer-unreachable"
                && host_key_of(f.host.as_deref(), &f.origin) == a_host
                && f.tunnel.as_deref() == Some(a.tunnel.as_str())
        }) else {
            continue;
        };
        let Some(a_remote) = &a.remote else { continue };
        let peers: Vec<&OneWayView> = views
            .iter()
            .filter(|b| host_key_of(b.host.as_deref(), &b.origin) != a_host)
            .filter(|b| b.local.as_ref() == Some(a_remote))
            .filter(|b| match (&a.local, &b.remote) {
                (Some(al), Some(br)) => al == br,
                _ => true,
            })
            .collect();
        let [b] = peers.as_slice() else { continue };
        let Some(up) = &b.initiated_up else { continue };
        if b.peer_initiated {
            continue;
        }
        let peer_name = b.host.clone().unwrap_or_else(|| b.origin.to_string());
        let mut evidence = unreachable.evidence.clone();
        evidence.extend(up.iter().cloned());
        out.push((
            i,
            Detection::new(
                format!(
                    "This side's IKE requests to {a_remote} were never answered, yet the peer's own log \
                     ({peer_name}) shows it initiating to {} and establishing the tunnel, and never \
                     receiving an initiation from this side. The tunnel initiates one way only: this \
                     side's IKE packets are lost or rewritten on their way out. An outbound NAT rule \
                     with source any (*) on this firewall also matches its own IKE traffic and \
                     rewrites its source port or address.",
                    a.local.as_deref().unwrap_or("this side")
                ),
                evidence,
            ),
        ));
    }
    out
}
