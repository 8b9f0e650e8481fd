//! `p1-dh-group-mismatch`: Phase 1 DH group mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p1-dh-group-mismatch",
    family: &super::p1_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 1 DH group mismatch",
    explanation: "The two ends share no Diffie-Hellman group (key exchange method) for Phase 1: the responder finds no acceptable proposal (\"no acceptable DIFFIE_HELLMAN_GROUP found\", or KEY_EXCHANGE_METHOD from strongSwan 5.9.x/6 on) and answers NO_PROPOSAL_CHOSEN. In IKEv2 the responder may instead ask for another group with INVALID_KE_PAYLOAD, which only fails when no group is shared.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Phase 1 Proposal (DH Group): same group on both ends (14 = MODP_2048 or stronger; avoid 1, 2 and 5).",
        "strongSwan swanctl.conf: connections.<name>.proposals (ipsec.conf: ike=) must share a DH group with the peer, e.g. modp2048 in aes256-sha256-modp2048 on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(160, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(neg, Phase::One, Attribute::DhGroup, "Phase 1 DH Group")
}

/// pluto as responder matched none of the peer's IKE proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, false)
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p1-dh-group-mismatch",
        "p1-proposal-mismatch",
        "Offered Phase 1 DH Group: MODP_8192 (group 18); accepted here: MODP_1024 (group 2)"
    );
}
