//! `p2-pfs-mismatch`: Phase 2 PFS mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "p2-pfs-mismatch",
    family: "p2-proposal-mismatch",
    severity: Severity::Error,
    title: "Phase 2 PFS mismatch",
    explanation: "Phase 1 is up, but the ends disagree on Perfect Forward Secrecy for Phase 2: one proposes a DH group in its ESP proposals and the other has PFS off or a different group, so the responder finds no acceptable proposal (\"no acceptable DIFFIE_HELLMAN_GROUP found\" or KEY_EXCHANGE_METHOD) and answers NO_PROPOSAL_CHOSEN. A KE payload in the Quick Mode request shows the initiator uses PFS.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > show Phase 2 entries > edit the Phase 2 > PFS key group: the same group on both ends, or off on both.",
        "strongSwan swanctl.conf: esp_proposals = aes256-sha256-modp2048 (PFS with group 14) on both ends, or without a DH group on both (ipsec.conf: esp=).",
    ],
    see_also: &["p2-proposal-mismatch"],
    scope: Scope::Negotiation(detect),
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(neg, Phase::Two, Attribute::DhGroup, "Phase 2 PFS key group")
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str = include_str!("../../tests/fixtures/seed/p2-pfs-mismatch/initiator.log");
    const RESPONDER: &str = include_str!("../../tests/fixtures/seed/p2-pfs-mismatch/responder.log");

    #[test]
    fn seed_responder_names_the_difference() {
        let report = diagnose("r.log", RESPONDER);
        assert_eq!(ids(&report), ["p2-pfs-mismatch"]);
        assert!(
            report.findings[0].summary.contains(
                "Offered Phase 2 PFS key group: MODP_2048 (group 14); accepted here: none"
            ),
            "{}",
            report.findings[0].summary
        );
    }

    #[test]
    fn seed_initiator_alone_is_generic() {
        assert_eq!(
            ids(&diagnose("i.log", INITIATOR))[0],
            "p2-proposal-mismatch"
        );
    }

    #[test]
    fn seed_both_sides_make_the_initiator_specific() {
        let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        let errors: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == crate::Severity::Error)
            .collect();
        assert_eq!(errors.len(), 2, "{:?}", ids(&report));
        assert!(
            errors.iter().all(|f| f.id == "p2-pfs-mismatch"),
            "{:?}",
            ids(&report)
        );
    }
}
