//! `p1-proposal-mismatch`: Phase 1 failed with NO_PROPOSAL_CHOSEN and this
//! log does not show which attribute differs.

use super::common::{evidence, list, proposal_failure};
use crate::negotiation::{Negotiation, Phase};
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};
use ipsec_doctor_events::PlutoEvent;
use std::collections::HashSet;

pub(crate) static RULE: Rule = Rule {
    id: "p1-proposal-mismatch",
    family: &RULE,
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
    see_also: &[SeeAlso::Rule(&super::p1_encryption_mismatch::RULE), SeeAlso::Rule(&super::p1_hash_mismatch::RULE), SeeAlso::Rule(&super::p1_dh_group_mismatch::RULE), SeeAlso::Guide("debugging")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(150, pluto_refused_transforms), Scope::Pluto(160, pluto_refused)],
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

/// pluto as IKEv1 responder refused every Phase 1 transform the peer
/// offered, and answered none (a later accepted transform makes the
/// refusals the usual noise of a peer that offers several).
fn pluto_refused_transforms(c: &PlutoConnection<'_>) -> Option<Detection> {
    if c.established.is_some() {
        return None;
    }
    let refused = c.all(|e| matches!(e, PlutoEvent::OakleyRefused { .. }));
    let first = *refused.first()?;
    let answered_after = c
        .entries
        .iter()
        .skip_while(|e| !std::ptr::eq(*e, first))
        .any(|e| matches!(e.event, PlutoEvent::Phase1Answered));
    if answered_after {
        return None;
    }
    let offered: Vec<&str> = refused
        .iter()
        .filter_map(|e| match &e.event {
            PlutoEvent::OakleyRefused { transform } => Some(transform.as_str()),
            _ => None,
        })
        .collect();
    let mut unique = offered.clone();
    unique.dedup();
    // `[AES_CBC (256), HMAC_SHA2_384, MODP1024]`: the DH group last.
    let groups: HashSet<&str> = offered
        .iter()
        .filter_map(|t| t.rsplit(", ").next())
        .map(|g| g.trim_start_matches("OAKLEY_GROUP_"))
        .collect();
    let common_group = match groups.iter().next() {
        Some(group) if groups.len() == 1 && offered.len() > 1 => format!(
            " Every transform offered uses the DH group {group}: if this side's ike= names \
             other groups only (Libreswan 4 and later no longer allow MODP1024 by \
             default), the DH group is the difference."
        ),
        _ => String::new(),
    };
    Some(
        Detection::new(
            format!(
                "pluto, as IKEv1 responder for {}, refused every Phase 1 transform the peer \
                 offered ({}) and no IKE SA came up: none of them is in this side's ike= list.\
                 {common_group} {RUNS_PLUTO}",
                c.conn,
                unique.join("; ")
            ),
            pluto::evidence(&[
                Some(first),
                refused.last().copied(),
                c.find(|e| matches!(e, PlutoEvent::NoLocalProposal { .. })),
            ]),
        )
        .with_fix(format!(
            "Libreswan: add one of the peer's transforms to ike= of the connection (ipsec.conf), \
             or change the peer to offer what ike= lists; the peer offered: {}.",
            unique.join("; ")
        )),
    )
}

/// Phase 1 refused for want of a common proposal, where no single
/// attribute tells the difference (see `p1-encryption-mismatch`, ...).
fn pluto_refused(c: &PlutoConnection<'_>) -> Option<Detection> {
    let p = c.phase1_refusal()?;
    let detail = match &p.event {
        PlutoEvent::NoLocalProposal { remote } => {
            if c.attribute_mismatch(remote, false, &[Some(p)]).is_some() {
                return None;
            }
            if remote.is_empty() {
                " none of the peer's IKE proposals is configured here".to_owned()
            } else {
                format!(" none of the peer's IKE proposals ({remote}) is configured here")
            }
        }
        _ => " the peer answered NO_PROPOSAL_CHOSEN to pluto's IKE proposals".to_owned(),
    };
    let gave_up = c.find(|e| matches!(e, PlutoEvent::GaveUp { .. }));
    Some(Detection::new(
        format!(
            "Phase 1 proposals of {} do not match:{detail}. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(p), gave_up]),
    ))
}
