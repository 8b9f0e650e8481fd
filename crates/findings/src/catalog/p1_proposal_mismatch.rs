//! `p1-proposal-mismatch`: Phase 1 failed with NO_PROPOSAL_CHOSEN and this
//! log does not show which attribute differs.

use super::common::{evidence, list, proposal_failure};
use crate::negotiation::{Negotiation, Phase};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "p1-proposal-mismatch",
    family: "p1-proposal-mismatch",
    severity: Severity::Error,
    title: "Phase 1 proposal mismatch (attribute not in this log)",
    explanation: "Phase 1 failed because the ends share no proposal (NO_PROPOSAL_CHOSEN), but this log \
        does not show the peer's proposals. The responder logs both lists (\"received proposals\" and \
        \"configured proposals\") with the configuration backend at level 2; with its log ipsec-doctor \
        names the encryption, hash or DH group that differs.",
    fix: &[
        "Compare VPN > IPsec > Tunnels > Phase 1 > Phase 1 Proposal (Encryption Algorithm, Hash, DH Group) \
         on both ends, or give ipsec-doctor the peer's log as well.",
        "strongSwan: compare connections.<name>.proposals (ipsec.conf: ike=) on both ends; a trailing ! in \
         ipsec.conf disables the default proposals.",
    ],
    see_also: &["p1-encryption-mismatch", "p1-hash-mismatch", "p1-dh-group-mismatch", "debugging"],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[
        ExplainedBy { explainer: Explainer::Specific, same_moment: false },
        // A responder without a Phase 1 for the address it was reached at
        // answers NO_PROPOSAL_CHOSEN ...
        ExplainedBy {
            explainer: Explainer::Rule(&super::wrong_destination_address::RULE),
            same_moment: false,
        },
        // ... or refused it for its IKE version.
        ExplainedBy {
            explainer: Explainer::Rule(&super::ike_version_mismatch::RULE),
            same_moment: true,
        },
    ],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = proposal_failure(neg, Phase::One)?;
    if !failure.differing.is_empty() {
        return None;
    }
    let ours = failure
        .configured
        .map(|c| format!(" This side offers {}.", list(c)))
        .unwrap_or_default();
    Some(Detection::new(
        format!("Phase 1 found no proposal both ends accept.{ours} The peer's proposals are not in this log."),
        evidence(failure.entries.iter().copied()),
    ))
}
