//! `ike-version-mismatch`: one end speaks IKEv1 and the other IKEv2.
//!
//! Predicted by `ipsec-doctor compare`. In logs: an explicit
//! INVALID_MAJOR_VERSION, or (strongSwan against strongSwan, whose charon
//! speaks both versions) a request refused with `no IKE config found` for
//! the version the peer speaks while this side's own requests to the same
//! peer use the other one; in logs with IKE SA tags the two are separate
//! negotiations, read together here once every host is known (`same_host`,
//! a [`Scope::Reinterprets`] matcher).

use ipsec_doctor_events::{CharonEvent, ExchangeMode, Notify};

use hashbrown::{HashMap, HashSet};

use super::common::evidence;
use crate::catalog::rules;
use crate::facts::{host_key_of, TunnelIndex};
use crate::negotiation::Negotiation;
use crate::report::{Finding, Severity, TunnelSummary};
use crate::rule::{Detection, Reinterpretation, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "ike-version-mismatch",
    family: &super::p1_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "IKE version mismatch",
    explanation: "One end is configured for IKEv1 and the other for IKEv2 only. strongSwan initiates IKEv2 \
        unless a connection is IKEv1-only, and a responder that accepts only the other version finds no \
        configuration for the request: strongSwan logs \"looking for an IKEv1 config for A...B\" and \"no \
        IKE config found for A...B, sending NO_PROPOSAL_CHOSEN\" (so the initiator sees \
        NO_PROPOSAL_CHOSEN), an implementation without the other version answers INVALID_MAJOR_VERSION \
        (\"received unsupported IKE version 1.0 from ..., sending INVALID_MAJOR_VERSION\") or nothing \
        at all.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Key Exchange version: the same on both \
         ends (IKEv2 where both support it).",
        "strongSwan swanctl.conf: connections.<name>.version = 2 (or 1) on both ends (ipsec.conf: keyexchange=).",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_proposal_mismatch::RULE), SeeAlso::Rule(&super::wrong_destination_address::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Reinterprets(same_host)],
    explained_by: &[],
};

/// `IKEv1` / `IKEv2`.
pub(crate) fn version_name(v: u8) -> &'static str {
    if v == 1 {
        "IKEv1"
    } else {
        "IKEv2"
    }
}

/// The version this side initiated with and the one the peer's refused
/// request used, when they differ: both in one negotiation, as logs without
/// IKE SA tags group one peer's lines.
pub(crate) fn refused_other_version(neg: &Negotiation) -> Option<(u8, u8)> {
    let ours = neg.entries.iter().find_map(|e| match &e.event {
        CharonEvent::InitiatingIkeSa { mode, .. } => Some(match mode {
            ExchangeMode::Ikev2 => 2,
            ExchangeMode::Main | ExchangeMode::Aggressive => 1,
        }),
        _ => None,
    })?;
    let refused = neg.position(|e| matches!(e, CharonEvent::NoIkeConfig { .. }))?;
    let theirs = neg.entries[..refused]
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            CharonEvent::LookingForIkeConfig { version } if *version != 0 => Some(*version),
            CharonEvent::Message {
                exchange,
                request: true,
                ..
            } => match exchange.as_str() {
                "IKE_SA_INIT" => Some(2),
                "ID_PROT" | "AGGRESSIVE" => Some(1),
                _ => None,
            },
            _ => None,
        })?;
    (ours != theirs).then_some((ours, theirs))
}

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(unsupported) = neg.first(|e| matches!(e, CharonEvent::UnsupportedIkeVersion { .. }))
    {
        let CharonEvent::UnsupportedIkeVersion { version, from } = &unsupported.event else {
            return None;
        };
        return Some(
            Detection::new(
                format!(
                    "The peer {from} sent IKE version {version}, which this side does not speak: it answered \
                     INVALID_MAJOR_VERSION."
                ),
                evidence([unsupported]),
            )
            .for_peer(format!(
                "This side sends IKE version {version}, which the peer does not speak (it answers \
                 INVALID_MAJOR_VERSION)."
            )),
        );
    }
    if let Some((_, invalid)) = neg.received_notify(&Notify::InvalidMajorVersion) {
        let mut lines = vec![invalid];
        lines.extend(neg.first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. })));
        let ours = neg
            .version
            .map(|v| format!(" {}", v.as_str().replace("ikev", "IKEv")))
            .unwrap_or_default();
        return Some(Detection::new(
            format!(
                "The peer{} answered INVALID_MAJOR_VERSION: it does not speak this side's IKE version{ours}.",
                neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            evidence(lines),
        ));
    }
    let (ours, theirs) = refused_other_version(neg)?;
    let mut lines: Vec<_> = neg
        .all(|e| {
            matches!(
                e,
                CharonEvent::NoIkeConfig { .. }
                    | CharonEvent::LookingForIkeConfig { .. }
                    | CharonEvent::InitiatingIkeSa { .. }
            )
        })
        .take(4)
        .collect();
    lines.extend(
        neg.received_notify(&Notify::NoProposalChosen)
            .map(|(_, e)| e),
    );
    let (ours, theirs) = (version_name(ours), version_name(theirs));
    Some(
        Detection::new(
            format!(
                "This side initiates {ours} to the peer{peer}, and the peer's own requests are {theirs}: this \
                 side has no {theirs} configuration for them (\"no IKE config found\") and each end refuses \
                 the other with NO_PROPOSAL_CHOSEN. Configure the same IKE version on both ends.",
                peer = neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            evidence(lines),
        )
        .for_peer(format!(
            "This side speaks {theirs} to the peer, whose Phase 1 is {ours}: configure the same IKE version on \
             both ends."
        )),
    )
}

/// One end IKEv1-only, the other IKEv2-only, both initiating: a host's log
/// shows the peer's request refused for want of a configuration (`no IKE
/// config found`, reported as `wrong-destination-address`) although this
/// host's own Phase 1 for the same pair of addresses, in another
/// negotiation, uses the other IKE version. Both become
/// `ike-version-mismatch`, and so does the generic failure of this host's
/// own requests to that peer.
fn same_host(findings: &[Finding], tunnels: &[TunnelSummary]) -> Vec<Reinterpretation> {
    let index = TunnelIndex::new(tunnels);
    let tunnel_of = |f: &Finding| index.position(f);
    let mut changes: Vec<(usize, String, Vec<crate::report::Evidence>)> = Vec::new();
    // Hosts whose own connections ask for an IKE version this strongSwan
    // lacks (IKEv1 on Debian sid's 6.1.0): no configuration of the peer's
    // version is there either. Collected once, not per refusal.
    let not_built: HashSet<String> = findings
        .iter()
        .filter(|f| f.is(rules::IKE_VERSION_NOT_BUILT))
        .map(|f| host_key_of(f.host.as_deref(), &f.origin))
        .collect();
    // Indexed once: a scan per refusal is quadratic with thousands of hosts.
    let tunnel_hosts: Vec<String> = tunnels
        .iter()
        .map(|t| host_key_of(t.host.as_deref(), &t.origin))
        .collect();
    let mut by_addresses: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::default();
    for (i, t) in tunnels.iter().enumerate() {
        if let (Some(l), Some(r)) = (&t.local, &t.remote) {
            by_addresses
                .entry((tunnel_hosts[i].as_str(), l.as_str(), r.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut proposal_refusals: HashMap<(String, Option<&str>), Vec<usize>> = HashMap::default();
    for (j, g) in findings.iter().enumerate() {
        if g.is(rules::P1_PROPOSAL_MISMATCH) {
            proposal_refusals
                .entry((
                    host_key_of(g.host.as_deref(), &g.origin),
                    g.tunnel.as_deref(),
                ))
                .or_default()
                .push(j);
        }
    }
    for (i, refused) in findings.iter().enumerate() {
        if !refused.is(rules::WRONG_DESTINATION_ADDRESS) {
            continue;
        }
        let Some(r) = tunnel_of(refused) else {
            continue;
        };
        let r = &tunnels[r];
        let (Some(theirs), Some(local), Some(remote)) = (r.ike_version, &r.local, &r.remote) else {
            continue;
        };
        let host = host_key_of(refused.host.as_deref(), &refused.origin);
        if not_built.contains(&host) {
            let theirs = theirs.replace("ikev", "IKEv");
            changes.push((
                i,
                format!(
                    "The peer {remote} sends {theirs} requests to {local}, but no {theirs} configuration \
                     is here, and this side's own connections ask for an IKE version this strongSwan was \
                     built without (ike-version-not-built): the ends are configured for different IKE \
                     versions. Configure {theirs} on both ends."
                ),
                Vec::new(),
            ));
            continue;
        }
        let Some(own) = by_addresses
            .get(&(host.as_str(), local.as_str(), remote.as_str()))
            .into_iter()
            .flatten()
            .map(|&t| &tunnels[t])
            .find(|t| t.tunnel != r.tunnel && t.ike_version.is_some_and(|v| v != theirs))
        else {
            continue;
        };
        let ours = own.ike_version.unwrap_or_default().replace("ikev", "IKEv");
        let theirs = theirs.replace("ikev", "IKEv");
        let name = own.tunnel.as_deref().unwrap_or("?");
        changes.push((
            i,
            format!(
                "The peer {remote} sends {theirs} requests to {local}, but this side's Phase 1 for that peer \
                 ({name}) is {ours}: no {theirs} configuration matches, so this side refuses them with \
                 NO_PROPOSAL_CHOSEN. Configure the same IKE version on both ends."
            ),
            Vec::new(),
        ));
        let own_refusals = proposal_refusals
            .get(&(host.clone(), own.tunnel.as_deref()))
            .into_iter()
            .flatten();
        for &j in own_refusals {
            changes.push((
                j,
                format!(
                    "This side's {ours} requests to {remote} are refused with NO_PROPOSAL_CHOSEN, and the \
                     peer's own requests to this side are {theirs}: the ends are configured for \
                     different IKE versions. Configure the same IKE version on both ends."
                ),
                refused.evidence.clone(),
            ));
        }
    }
    let peer_summary = "The peer speaks another IKE version than this side (see the peer's log): \
                        configure the same IKE version on both ends.";
    changes
        .into_iter()
        .map(|(finding, summary, evidence)| Reinterpretation {
            finding,
            detection: Detection::new(summary, evidence).for_peer(peer_summary),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-ike-version-mismatch/left.log");
    const RIGHT: &str =
        include_str!("../../../../fixtures/lab/ikev2-ike-version-mismatch/right.log");

    #[test]
    fn lab_ikev1_against_ikev2_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["ike-version-mismatch"]);
        assert!(left
            .findings
            .iter()
            .any(|f| f.summary.contains("IKEv2 requests")));
        assert_eq!(ids(&diagnose("right.log", RIGHT)), ["ike-version-mismatch"]);
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["ike-version-mismatch"]);
    }

    #[test]
    fn lines_of_one_peer_in_an_untagged_log() {
        // pfSense's older prefix-less lines: both exchanges with the peer in
        // one negotiation.
        let log = "\
charon: 10[NET] received packet: from 192.0.2.74[500] to 192.0.2.90[500] (464 bytes)
charon: 10[ENC] parsed IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]
charon: 10[CFG] looking for an IKEv2 config for 192.0.2.90...192.0.2.74
charon: 10[IKE] no IKE config found for 192.0.2.90...192.0.2.74, sending NO_PROPOSAL_CHOSEN
charon: 14[IKE] initiating Main Mode IKE_SA gw-gw[2] to 192.0.2.74
charon: 14[NET] sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (180 bytes)
charon: 11[ENC] parsed INFORMATIONAL_V1 request 2986908315 [ N(NO_PROP) ]";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["ike-version-mismatch"]);
    }

    #[test]
    fn invalid_major_version() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[ENC] <gw|1> parsed INFORMATIONAL response 0 [ N(INVAL_MAJOR) ]
Nov 27 10:00:00 13[IKE] <gw|1> received INVALID_MAJOR_VERSION notify error";
        assert_eq!(ids(&diagnose("i.log", log)), ["ike-version-mismatch"]);
        let log = "Nov 27 10:00:00 13[NET] received unsupported IKE version 2.0 from 192.0.2.90, sending INVALID_MAJOR_VERSION";
        assert_eq!(ids(&diagnose("r.log", log)), ["ike-version-mismatch"]);
    }
}
