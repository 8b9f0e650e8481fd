//! `p2-encryption-mismatch`: Phase 2 encryption algorithm mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p2-encryption-mismatch",
    family: &super::p2_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 2 encryption algorithm mismatch",
    explanation: "Phase 1 is up, but the two ends share no Phase 2 (ESP) encryption algorithm: the responder finds no acceptable proposal (\"no acceptable ENCRYPTION_ALGORITHM found\", \"no matching proposal found, sending NO_PROPOSAL_CHOSEN\") and the initiator receives NO_PROPOSAL_CHOSEN for its Quick Mode / CREATE_CHILD_SA.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > show Phase 2 entries > edit the Phase 2 > Encryption Algorithms: tick at least one algorithm and key length that the peer also uses.",
        "strongSwan swanctl.conf: connections.<name>.children.<child>.esp_proposals (ipsec.conf: esp=) must share an encryption algorithm with the peer.",
    ],
    see_also: &[SeeAlso::Rule(&super::p2_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(190, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(
        neg,
        Phase::Two,
        Attribute::Encryption,
        "Phase 2 Encryption Algorithm",
    )
}

/// pluto as responder matched none of the peer's ESP/AH proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, true)
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p2-encryption-mismatch",
        "p2-proposal-mismatch",
        "Offered Phase 2 Encryption Algorithm: AES_CBC_128; accepted here: AES_CBC_256"
    );
}
