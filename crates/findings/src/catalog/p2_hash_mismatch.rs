//! `p2-hash-mismatch`: Phase 2 hash algorithm mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p2-hash-mismatch",
    family: &super::p2_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 2 hash algorithm mismatch",
    explanation: "Phase 1 is up, but the two ends share no Phase 2 (ESP) integrity algorithm: the responder finds no acceptable proposal (\"no acceptable INTEGRITY_ALGORITHM found\") and the initiator receives NO_PROPOSAL_CHOSEN. With AES-GCM no hash is needed, but both ends must then use GCM.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > show Phase 2 entries > edit the Phase 2 > Hash Algorithms: tick at least one hash the peer also uses.",
        "strongSwan swanctl.conf: connections.<name>.children.<child>.esp_proposals (ipsec.conf: esp=) must share an integrity algorithm with the peer, e.g. aes256-sha256 on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p2_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(190, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(neg, Phase::Two, Attribute::Hash, "Phase 2 Hash Algorithm")
}

/// pluto as responder matched none of the peer's ESP/AH proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, true)
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p2-hash-mismatch",
        "p2-proposal-mismatch",
        "Offered Phase 2 Hash Algorithm: HMAC_SHA2_512_256; accepted here: HMAC_SHA1_96"
    );
}
