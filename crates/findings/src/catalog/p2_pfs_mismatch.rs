//! `p2-pfs-mismatch`: Phase 2 PFS mismatch.

use super::common::{attribute_mismatch, Attribute};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};
use ipsec_doctor_events::PlutoEvent;

pub(crate) static RULE: Rule = Rule {
    id: "p2-pfs-mismatch",
    family: &super::p2_proposal_mismatch::RULE,
    severity: Severity::Error,
    title: "Phase 2 PFS mismatch",
    explanation: "Phase 1 is up, but the ends disagree on Perfect Forward Secrecy for Phase 2: one proposes a DH group in its ESP proposals and the other has PFS off or a different group, so the responder finds no acceptable proposal (\"no acceptable DIFFIE_HELLMAN_GROUP found\" or KEY_EXCHANGE_METHOD) and answers NO_PROPOSAL_CHOSEN. A KE payload in the Quick Mode request shows the initiator uses PFS.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > show Phase 2 entries > edit the Phase 2 > PFS key group: the same group on both ends, or off on both.",
        "strongSwan swanctl.conf: esp_proposals = aes256-sha256-modp2048 (PFS with group 14) on both ends, or without a DH group on both (ipsec.conf: esp=).",
    ],
    see_also: &[SeeAlso::Rule(&super::p2_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(170, pluto_pfs), Scope::Pluto(190, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    attribute_mismatch(neg, Phase::Two, Attribute::DhGroup, "Phase 2 PFS key group")
}

/// pluto as responder matched none of the peer's ESP/AH proposals, and
/// this attribute is what none of its own has.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    c.refused_for_attribute(&RULE, true)
}

/// pluto says the PFS settings differ.
fn pluto_pfs(c: &PlutoConnection<'_>) -> Option<Detection> {
    let p = c.find(|e| matches!(e, PlutoEvent::PfsMismatch))?;
    Some(Detection::new(
        format!(
            "PFS settings of {} differ: one side wants a DH group in Phase 2, the other \
             sends none. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(p)]),
    ))
}

#[cfg(test)]
mod tests {
    crate::catalog::testing::seed_proposal_tests!(
        "p2-pfs-mismatch",
        "p2-proposal-mismatch",
        "Offered Phase 2 PFS key group: MODP_2048 (group 14); accepted here: none"
    );
}
