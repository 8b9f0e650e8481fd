//! Both ends of a tunnel: the side that only saw `NO_PROPOSAL_CHOSEN` or
//! `AUTHENTICATION_FAILED` learns the cause from the other side's log.

use crate::diagnoser::host_key_of;
use crate::report::{Finding, TunnelSummary};

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
                .filter(|(_, s)| s.family == g.id && s.id != s.family)
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
            let chosen = match mirrored.as_slice() {
                [one] => Some(*one),
                [] if candidates.len() == 1 => {
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
        generic.summary = format!("{} (from the peer's log, {peer})", specific.summary);
        generic.fix = specific.fix;
        generic.evidence.extend(specific.evidence);
    }
}

fn is_generic(id: &str) -> bool {
    matches!(
        id,
        "p1-auth-failed" | "p1-proposal-mismatch" | "p2-proposal-mismatch"
    )
}
