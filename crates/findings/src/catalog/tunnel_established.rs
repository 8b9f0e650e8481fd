//! `tunnel-established`: the IKE SA and a CHILD SA came up.
//!
//! Reported as info for every healthy tunnel, with what was negotiated, so
//! that a diagnosis of a busy log also says which tunnels are fine.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "tunnel-established",
    family: "tunnel-established",
    severity: Severity::Info,
    title: "Tunnel established",
    explanation: "The IKE SA (Phase 1) and at least one CHILD SA (Phase 2) were established: both ends \
        agreed on proposals, identities, keys and traffic selectors. If traffic still does not pass, \
        the problem lies outside IKE: routes, firewall rules on the IPsec interface, NAT of the \
        tunnelled traffic, or clients that do not use this gateway.",
    fix: &[
        "Nothing to change in IKE. If traffic does not flow, check the firewall rules on the IPsec tab \
         (Firewall > Rules > IPsec) and that clients route the remote subnet through this gateway \
         (ipsec-doctor explain some-hosts).",
    ],
    see_also: &["some-hosts", "mss"],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let child = neg.first(|e| matches!(e, CharonEvent::ChildSaEstablished { .. }))?;
    let Some(ike) = neg.first(|e| matches!(e, CharonEvent::IkeSaEstablished { .. })) else {
        return child_of_an_earlier_ike_sa(neg, child);
    };
    let CharonEvent::IkeSaEstablished { sa, local, remote } = &ike.event else {
        return None;
    };
    let CharonEvent::ChildSaEstablished {
        name,
        unique_id,
        local_ts,
        remote_ts,
    } = &child.event
    else {
        return None;
    };
    let selected: Vec<_> = neg
        .all(|e| {
            matches!(
                e,
                CharonEvent::Proposals {
                    list: ipsec_doctor_events::ProposalList::Selected,
                    ..
                }
            )
        })
        .collect();
    let algorithms: Vec<String> = selected
        .iter()
        .filter_map(|e| match &e.event {
            CharonEvent::Proposals { proposals, .. } => proposals.first().map(ToString::to_string),
            _ => None,
        })
        .collect();
    let mut summary = format!(
        "IKE SA {}[{}] is up between {}[{}] (this side) and {}[{}]; CHILD SA {}{{{}}} carries {} === {}.",
        sa.name,
        sa.unique_id.map_or("?".to_owned(), |u| u.to_string()),
        local.addr,
        local.id,
        remote.addr,
        remote.id,
        name,
        unique_id.map_or("?".to_owned(), |u| u.to_string()),
        local_ts,
        remote_ts,
    );
    if !algorithms.is_empty() {
        summary.push_str(&format!(" Negotiated: {}.", algorithms.join(", ")));
    }
    let mut lines = vec![ike, child];
    lines.extend(selected);
    Some(Detection::new(summary, evidence(lines)))
}

/// A CHILD SA established in a log that starts after its IKE SA came up
/// (an excerpt of a Quick Mode or CREATE_CHILD_SA): an IPsec SA cannot be
/// established without a working IKE SA. Only when the IKE SA's own
/// establishment is not in the log at all.
fn child_of_an_earlier_ike_sa(
    neg: &Negotiation,
    child: &crate::negotiation::Entry,
) -> Option<Detection> {
    if neg.was_up_before {
        return None;
    }
    let CharonEvent::ChildSaEstablished {
        name,
        unique_id,
        local_ts,
        remote_ts,
    } = &child.event
    else {
        return None;
    };
    Some(Detection::new(
        format!(
            "CHILD SA {}{{{}}} is up, carrying {} === {} (its IKE SA was established before this log \
             starts).",
            name,
            unique_id.map_or("?".to_owned(), |u| u.to_string()),
            local_ts,
            remote_ts
        ),
        evidence([child]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str =
        include_str!("../../tests/fixtures/seed/tunnel-established/initiator.log");
    const RESPONDER: &str =
        include_str!("../../tests/fixtures/seed/tunnel-established/responder.log");

    #[test]
    fn seed_initiator_is_established() {
        let report = diagnose("initiator.log", INITIATOR);
        assert_eq!(ids(&report), ["tunnel-established"]);
        let f = &report.findings[0];
        assert!(
            f.summary
                .contains("192.168.48.0/24|/0 === 10.42.42.0/24|/0"),
            "{}",
            f.summary
        );
        assert_eq!(f.tunnel.as_deref(), Some("con2000"));
        assert_eq!(f.evidence.len(), 2);
    }

    #[test]
    fn seed_both_sides_are_established_without_errors() {
        let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        assert_eq!(report.findings.len(), 2);
        assert!(!report.has_errors());
    }

    #[test]
    fn ike_sa_without_child_sa_is_not_established() {
        let report = diagnose("x.log", "charon: 09[IKE] IKE_SA con2000[11] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]");
        assert!(!ids(&report).contains(&"tunnel-established"));
    }
}
