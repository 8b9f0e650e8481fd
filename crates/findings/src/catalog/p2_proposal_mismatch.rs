//! `p2-proposal-mismatch`: Phase 2 failed with NO_PROPOSAL_CHOSEN and this
//! log does not show which attribute differs.

use ipsec_doctor_events::{CharonEvent, Direction, PlutoEvent};

use super::common::{evidence, list, proposal_failure};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p2-proposal-mismatch",
    family: &RULE,
    severity: Severity::Error,
    title: "Phase 2 proposal mismatch (attribute not in this log)",
    explanation: "Phase 1 came up, but the CHILD SA (Phase 2) failed because the ends share no ESP \
        proposal (NO_PROPOSAL_CHOSEN). This log does not show the peer's side; the responder's log, with \
        the configuration backend at level 2, names the encryption, hash or PFS group that differs.",
    fix: &[
        "Compare VPN > IPsec > Tunnels > Phase 2 > Encryption Algorithms, Hash Algorithms and PFS key group \
         on both ends, or give ipsec-doctor the peer's log as well.",
        "strongSwan: compare children.<child>.esp_proposals (ipsec.conf: esp=) on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p2_encryption_mismatch::RULE), SeeAlso::Rule(&super::p2_hash_mismatch::RULE), SeeAlso::Rule(&super::p2_pfs_mismatch::RULE), SeeAlso::Guide("debugging")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(190, pluto)],
    explained_by: &[
        ExplainedBy { explainer: Explainer::Specific, same_moment: false },
        // An IKEv1 initiator that cannot install the SA answers
        // NO_PROPOSAL_CHOSEN, in the same exchange.
        ExplainedBy {
            explainer: Explainer::Rule(&super::kernel_sa_install_failure::RULE),
            same_moment: true,
        },
    ],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = proposal_failure(neg, Phase::Two)?;
    if !failure.differing.is_empty() {
        return None;
    }
    let mut summary = String::from("Phase 2 found no ESP proposal both ends accept.");
    if let Some(c) = failure.configured {
        summary.push_str(&format!(" This side offers {}.", list(c)));
    }
    let mut lines = failure.entries.clone();
    // A KE payload in our Quick Mode request means this side uses PFS.
    if let Some(qm) = neg.first(|e| {
        matches!(e, CharonEvent::Message { direction: Direction::Sent, exchange, payloads, .. }
            if exchange == "QUICK_MODE" && payloads.iter().any(|p| p == "KE"))
    }) {
        summary.push_str(" This side proposes PFS (a KE payload in its Quick Mode request): if the peer has PFS off, that is the difference.");
        lines.push(qm);
    }
    summary.push_str(" The peer's log says which attribute differs.");
    Some(Detection::new(summary, evidence(lines)))
}

/// Phase 2 failed for want of a common proposal, where no single attribute
/// tells the difference (see `p2-encryption-mismatch`, ...): this side
/// refused the peer's proposals, listed (`no local proposal matches remote
/// proposals ...`) or not (4.x's `IKE_AUTH responder matching remote ESP/AH
/// proposals failed`), or the peer refused pluto's.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let p = c.phase2_refusal()?;
    let conn = &c.conn;
    let refused_here = match &p.event {
        PlutoEvent::NoLocalProposal { remote } => Some(Some(remote.as_str())),
        PlutoEvent::NoLocalChildProposal => Some(None),
        _ => None,
    };
    let Some(remote) = refused_here else {
        return Some(Detection::new(
            format!(
                "Phase 2 of {conn} failed: the peer accepts none of pluto's ESP/AH proposals. \
                 {RUNS_PLUTO}"
            ),
            pluto::evidence(&[c.established, Some(p), c.quick_mode_gave_up()]),
        ));
    };
    let context = [c.established, Some(p)];
    if let Some(remote) = remote {
        if c.attribute_mismatch(remote, true, &context).is_some() {
            return None;
        }
    }
    let mut shown = context.to_vec();
    shown.extend(
        pluto::local_proposals(c.entries, true)
            .into_iter()
            .take(2)
            .map(Some),
    );
    let listed = remote.map(|r| format!(" ({r})")).unwrap_or_default();
    Some(Detection::new(
        format!(
            "Phase 2 of {conn} failed: none of the peer's ESP/AH proposals{listed} is \
             configured here. {RUNS_PLUTO}"
        ),
        pluto::evidence(&shown),
    ))
}
