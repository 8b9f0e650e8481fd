//! `p1-hash-mismatch`: Phase 1 hash algorithm mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p1-hash-mismatch",
    family: &super::p1_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 1 hash algorithm mismatch",
    explanation: "The two ends share no Phase 1 hash (integrity/PRF) algorithm: the responder finds no acceptable proposal (\"no acceptable INTEGRITY_ALGORITHM found\" or a received proposal with a different or missing integrity algorithm) and answers NO_PROPOSAL_CHOSEN.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Phase 1 Proposal (Hash Algorithm): same hash on both ends.",
        "strongSwan swanctl.conf: connections.<name>.proposals (ipsec.conf: ike=) must share an integrity algorithm with the peer, e.g. sha256 in aes256-sha256-modp2048 on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(160, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(neg, Phase::One, Attribute::Hash, "Phase 1 Hash Algorithm")
}

/// pluto as responder matched none of the peer's IKE proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, false)
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p1-hash-mismatch",
        "p1-proposal-mismatch",
        "IKE:AES_CBC_256/MODP_1024"
    );
}
