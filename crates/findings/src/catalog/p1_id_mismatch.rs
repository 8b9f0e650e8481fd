//! `p1-id-mismatch`: no Phase 1 on this side accepts the peer's identity.

use ipsec_doctor_events::{CharonEvent, Notify, PlutoEvent};

use super::common::{evidence, is_ip};
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, PEER_RUNS_PLUTO, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p1-id-mismatch",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Phase 1 identifier mismatch",
    explanation: "The peer presented an identity (its \"My identifier\") that no Phase 1 on this side \
        expects as \"Peer identifier\", so strongSwan finds no peer configuration (\"no peer config \
        found\" in IKEv1, \"no matching peer config found\" in IKEv2) and answers \
        AUTHENTICATION_FAILED. The peer only sees the authentication failure.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1: make this side's Peer identifier equal \
         the peer's My identifier (type and value), or change the peer's My identifier.",
        "strongSwan swanctl.conf: connections.<name>.remote.id must equal the peer's local.id \
         (ipsec.conf: rightid= here, leftid= on the peer).",
    ],
    see_also: &[SeeAlso::Rule(&super::nat_id_mismatch::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(70, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    // charon's IKEv1 initiator (`IDir '%Y' does not match to '%Y'`, every
    // version): the responder presented another identity than the one
    // configured for it (through NAT with an address, nat-id-mismatch).
    if let Some(idir) = neg.first(|e| {
        matches!(e, CharonEvent::IdirMismatch { .. })
            && !super::nat_id_mismatch::is_nat_idir(neg, e)
    }) {
        let CharonEvent::IdirMismatch { received, expected } = &idir.event else {
            return None;
        };
        return Some(
            Detection::new(
                format!(
                    "The peer identifies itself as '{received}', but this side expects '{expected}' \
                     as its identifier."
                ),
                evidence([idir]),
            )
            .with_fix(format!(
                "Set this side's Peer identifier to '{received}', or the peer's My identifier to \
                 '{expected}'."
            )),
        );
    }
    let no_config = neg.first(|e| matches!(e, CharonEvent::NoPeerConfig))?;
    let lookup = neg.first(|e| matches!(e, CharonEvent::LookingForPeerConfigs { .. }));
    let nat = neg.any(|e| matches!(e, CharonEvent::RemoteBehindNat));
    let presented = lookup.and_then(|l| match &l.event {
        CharonEvent::LookingForPeerConfigs {
            remote, remote_id, ..
        } => Some((remote.clone(), remote_id.clone())),
        _ => None,
    });
    if let Some((remote, Some(id))) = &presented {
        // An address identity through NAT is nat-id-mismatch's case.
        if nat && is_ip(id) && id != remote {
            return None;
        }
    }
    let local_nat = neg.any(|e| matches!(e, CharonEvent::LocalBehindNat));
    if local_nat
        && neg.any(|e| {
            matches!(e, CharonEvent::LookingForPeerConfigs { local, local_id: Some(id), .. } if is_ip(id) && id != local)
        })
    {
        return None;
    }
    let summary = match &presented {
        Some((remote, Some(id))) => format!(
            "The peer {remote} identifies itself as '{id}'; no Phase 1 here accepts that identity."
        ),
        Some((remote, None)) => {
            format!("No Phase 1 here accepts the identity the peer {remote} presented.")
        }
        None => "No Phase 1 here accepts the identity the peer presented.".to_owned(),
    };
    let mut lines = vec![no_config];
    lines.extend(lookup);
    lines.extend(neg.sent_notify(&Notify::AuthenticationFailed));
    let mut detection = Detection::new(summary, evidence(lines));
    if let Some((_, Some(id))) = &presented {
        detection = detection.for_peer(format!(
            "This side identifies itself as '{id}', and no Phase 1 on the peer accepts that identity: make \
             this side's My identifier equal the peer's Peer identifier."
        ));
    }
    if let Some((_, Some(id))) = presented {
        detection = detection.with_fix(format!(
            "Set this side's Peer identifier to '{id}' (or change the peer's My identifier to what this side expects)."
        ));
    }
    Some(detection)
}

/// The peer's identity is not the one the connection requires.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let m = c.find(|e| matches!(e, PlutoEvent::IdMismatch { .. }))?;
    let PlutoEvent::IdMismatch { expected, got } = &m.event else {
        return None;
    };
    let required = if expected.is_empty() {
        "the identity this connection requires (rightid=)".to_owned()
    } else {
        format!("'{expected}' (rightid=)")
    };
    Some(
        Detection::new(
            format!(
                "The peer of {} identifies itself as '{got}', but this side requires \
                 {required}. An '@' makes an identity a name (ID_FQDN), so '@192.0.2.1' never \
                 matches the address 192.0.2.1 (ID_IPV4_ADDR). {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[Some(m)]),
        )
        .with_fix(format!(
            "Libreswan: set rightid= to exactly what the peer sends ('{got}'; an address without \
             '@'), or make the peer send the identity this side expects (its leftid=)."
        ))
        .for_peer(format!(
            "The peer requires another identity than the '{got}' this side sends: compare this \
             side's local identifier with the peer's rightid=. {PEER_RUNS_PLUTO}"
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str = include_str!("../../tests/fixtures/seed/p1-id-mismatch/initiator.log");
    const RESPONDER: &str = include_str!("../../tests/fixtures/seed/p1-id-mismatch/responder.log");

    #[test]
    fn an_ikev1_initiator_refusing_a_name_identity_without_nat() {
        // charon's IKEv1 initiator: the responder's identity is not the
        // configured one, and nothing is behind NAT.
        let log = "Nov 27 10:00:00 fw1 charon[1]: 09[IKE] <gw|1> IDir 'vpn.example.org' does not match to 'gw.example.org'\n";
        let report = diagnose("a.log", log);
        assert_eq!(ids(&report), ["p1-id-mismatch"]);
        assert!(report.findings[0].summary.contains("'vpn.example.org'"));
    }

    #[test]
    fn seed_responder_names_the_identity() {
        let report = diagnose("r.log", RESPONDER);
        assert_eq!(ids(&report), ["p1-id-mismatch"]);
        assert!(report.findings[0].summary.contains("'someid'"));
    }

    #[test]
    fn seed_initiator_alone_cannot_tell() {
        assert_eq!(ids(&diagnose("i.log", INITIATOR))[0], "p1-auth-failed");
    }

    #[test]
    fn seed_both_sides_name_the_identity() {
        let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        let errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == crate::Severity::Error)
            .collect();
        assert_eq!(errors.len(), 2);
        assert!(
            errors.iter().all(|f| f.id == "p1-id-mismatch"),
            "{:?}",
            ids(&report)
        );
    }
}
