//! `ike-version-not-built`: the local charon was built without the IKE
//! version the connection asks for, so it cannot start the negotiation.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "ike-version-not-built",
    family: &super::ike_version_mismatch::RULE,
    severity: Severity::Error,
    title: "This strongSwan has no support for the IKE version configured",
    explanation: "charon logs \"IKE version 1 not supported\" when a connection asks for IKEv1 \
        (version = 1, keyexchange=ikev1) and this build of strongSwan was made without IKEv1 (or, \
        rarely, without IKEv2): the IKE SA cannot even be created, nothing is sent, and the peer's log \
        shows nothing at all. Distribution packages decide this at build time; Debian's strongSwan \
        6.1 (sid), for one, has no IKEv1.",
    fix: &[
        "Use IKEv2 on both ends (swanctl.conf: version = 2; ipsec.conf: keyexchange=ikev2; pfSense/\
         OPNsense: Key Exchange version IKEv2): it is the better protocol and every current peer \
         supports it.",
        "If the peer can only do IKEv1, run a strongSwan built with IKEv1 (Debian 13's 6.0 and older \
         packages have it; `ipsec-doctor explain ike-version-mismatch`).",
    ],
    see_also: &[SeeAlso::Rule(&super::ike_version_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let refused = neg.first(|e| matches!(e, CharonEvent::IkeVersionNotBuilt { .. }))?;
    let CharonEvent::IkeVersionNotBuilt { version } = &refused.event else {
        return None;
    };
    Some(Detection::new(
        format!(
            "charon cannot negotiate IKEv{version}: this strongSwan was built without it, so the \
             connection never sends a packet."
        ),
        evidence([refused]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn a_charon_without_ikev1_asked_to_initiate_ikev1() {
        // Debian sid's strongSwan 6.1.0, recorded by lab/run --strongswan 6.1.0
        let log = "Dec  1 11:46:11 07[CFG] vici initiate CHILD_SA 'net-net'\n\
                   Dec  1 11:46:11 05[IKE] IKE version 1 not supported\n\
                   Dec  1 11:46:11 05[IKE] <1> IKE_SA (unnamed)[1] state change: CREATED => DESTROYING";
        let report = diagnose("left.log", log);
        assert_eq!(ids(&report), ["ike-version-not-built"]);
        assert!(report.findings[0].summary.contains("IKEv1"));
    }
}
