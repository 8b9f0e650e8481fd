//! `p1-encryption-mismatch`: Phase 1 encryption algorithm mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p1-encryption-mismatch",
    family: &super::p1_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 1 encryption algorithm mismatch",
    explanation: "The two ends share no Phase 1 encryption algorithm (with key length): the responder compares every proposal the initiator offers with its own and finds none acceptable (\"no proposal found\", \"no acceptable ENCRYPTION_ALGORITHM found\") and answers NO_PROPOSAL_CHOSEN. AES-128 and AES-256 are different algorithms here.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Phase 1 Proposal (Encryption Algorithm): same algorithm and key length on both ends.",
        "strongSwan swanctl.conf: connections.<name>.proposals (ipsec.conf: ike=) must share an encryption algorithm with the peer, e.g. aes256-sha256-modp2048 on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(160, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(
        neg,
        Phase::One,
        Attribute::Encryption,
        "Phase 1 Encryption Algorithm",
    )
}

/// pluto as responder matched none of the peer's IKE proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, false)
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p1-encryption-mismatch",
        "p1-proposal-mismatch",
        "Offered Phase 1 Encryption Algorithm: AES_CBC_128; accepted here: AES_CBC_256"
    );
}
