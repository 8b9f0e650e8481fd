//! `nat-id-mismatch`: the peer is behind NAT and identifies itself with its
//! private, pre-NAT address.

use ipsec_doctor_events::CharonEvent;

use super::common::{evidence, is_ip};
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "nat-id-mismatch",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Peer identifier mismatch behind NAT",
    explanation: "The peer sits behind NAT. Its packets arrive from the NAT router's public address, but \
        by default it identifies itself with its own address, the private one from before NAT. This side \
        expects the public address as the peer's identifier (Peer Identifier: Peer IP address), so no \
        peer configuration matches and authentication fails. racoon used to accept either address; \
        strongSwan compares the identity exactly. Note that strongSwan also logs \"remote host is behind \
        NAT\" when UDP encapsulation is forced without any NAT, so that line alone proves nothing.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Peer identifier: IP address, and enter \
         the peer's pre-NAT address shown above.",
        "strongSwan swanctl.conf: connections.<name>.remote.id = <pre-NAT address> (ipsec.conf: rightid=); or \
         make the peer send its public address as its identifier (local.id / leftid on the peer).",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_id_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

/// An IDir mismatch of an address identity, with the peer behind NAT.
pub(super) fn is_nat_idir(neg: &Negotiation, event: &CharonEvent) -> bool {
    matches!(event, CharonEvent::IdirMismatch { received, .. } if is_ip(received))
        && neg.any(|e| matches!(e, CharonEvent::RemoteBehindNat))
}

fn detect(neg: &Negotiation) -> Option<Detection> {
    // charon's IKEv1 initiator (`IDir '%Y' does not match to '%Y'`, every
    // version): the responder's identity is not the one configured. Only
    // an address identity through NAT is this rule's; any other is
    // p1-id-mismatch's.
    if let Some(idir) = neg.first(|e| is_nat_idir(neg, e)) {
        let CharonEvent::IdirMismatch { received, expected } = &idir.event else {
            return None;
        };
        let mut lines = vec![idir];
        lines.extend(neg.first(|e| matches!(e, CharonEvent::RemoteBehindNat)));
        lines.extend(neg.first(|e| matches!(e, CharonEvent::LookingForPeerConfigs { .. })));
        return Some(
            Detection::new(
                format!(
                    "The peer identifies itself as '{received}', but this side expects '{expected}'. \
                     '{received}' is the peer's address before NAT."
                ),
                evidence(lines),
            )
            .with_fix(format!("Set the Peer Identifier to IP address {received}.")),
        );
    }
    let no_config = neg.first(|e| matches!(e, CharonEvent::NoPeerConfig))?;
    // IKEv2 responder behind NAT: the initiator asks for this side's public
    // (post-NAT) address as its identity (IDr), but this side is configured
    // with its own private address.
    if let Some(local_nat) = neg.first(|e| matches!(e, CharonEvent::LocalBehindNat)) {
        if let Some(lookup) = neg.first(|e| {
            matches!(e, CharonEvent::LookingForPeerConfigs { local, local_id: Some(id), .. }
                if is_ip(id) && id != local)
        }) {
            let CharonEvent::LookingForPeerConfigs {
                local,
                local_id: Some(id),
                ..
            } = &lookup.event
            else {
                return None;
            };
            return Some(
                Detection::new(
                    format!(
                        "This side is behind NAT at {local}. The peer expects it to identify as {id} (the NAT's \
                         public address), but it identifies with its own address; no Phase 1 here matches."
                    ),
                    evidence([local_nat, lookup, no_config]),
                )
                .with_fix(format!(
                    "On the peer, set the Peer identifier to IP address {local} (this side's pre-NAT address); \
                     or set this side's My identifier to IP address {id}."
                )),
            );
        }
    }
    // IKEv2 and pfSense 2.2+ wording: NAT seen, the identity is an address other
    // than the one the packets come from, and no peer config matched.
    let nat = neg.first(|e| matches!(e, CharonEvent::RemoteBehindNat))?;
    let lookup = neg.first(|e| {
        matches!(e, CharonEvent::LookingForPeerConfigs { remote, remote_id: Some(id), .. }
            if is_ip(id) && id != remote)
    })?;
    let CharonEvent::LookingForPeerConfigs {
        remote,
        remote_id: Some(id),
        ..
    } = &lookup.event
    else {
        return None;
    };
    Some(
        Detection::new(
            format!(
                "The peer's packets come from {remote}, through NAT, but it identifies itself as {id}, its \
                 address before NAT; no Phase 1 here accepts that identity."
            ),
            evidence([nat, lookup, no_config]),
        )
        .with_fix(format!("Set the Peer Identifier to IP address {id}.")),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    const RESPONDER: &str = include_str!("../../tests/fixtures/seed/nat-id-mismatch/responder.log");

    #[test]
    fn seed_responder_names_the_pre_nat_address() {
        let report = diagnose("r.log", RESPONDER);
        assert_eq!(ids(&report), ["nat-id-mismatch"]);
        assert!(report.findings[0].fix[0].contains("192.0.2.10"));
    }

    #[test]
    fn ikev2_private_identity_through_nat() {
        let log = "\
12[IKE] remote host is behind NAT
12[CFG] looking for peer configs matching 198.51.100.50[right]...203.0.113.245[192.0.2.10]
12[CFG] no matching peer config found";
        let report = diagnose("r.log", log);
        assert_eq!(ids(&report), ["nat-id-mismatch"]);
        assert!(report.findings[0].summary.contains("203.0.113.245"));
    }

    #[test]
    fn ikev2_responder_behind_nat_is_asked_for_its_public_address() {
        let log = "\
11[IKE] <1> local host is behind NAT, sending keep alives
11[CFG] <1> looking for peer configs matching 192.0.2.10[203.0.113.245]...198.51.100.50[198.51.100.50]
11[CFG] <1> no matching peer config found";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["nat-id-mismatch"]);
        assert!(report.findings[0].fix[0].contains("192.0.2.10"));
    }

    #[test]
    fn name_identity_behind_nat_is_not_a_nat_mismatch() {
        let log = "\
12[IKE] remote host is behind NAT
12[CFG] looking for peer configs matching 198.51.100.50[right]...203.0.113.245[someid]
12[CFG] no matching peer config found";
        assert_eq!(ids(&diagnose("r.log", log)), ["p1-id-mismatch"]);
    }
}
