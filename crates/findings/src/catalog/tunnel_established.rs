//! `tunnel-established`: the IKE SA and a CHILD SA came up.
//!
//! Reported as info for every healthy tunnel, with what was negotiated, so
//! that a diagnosis of a busy log also says which tunnels are fine.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "tunnel-established",
    family: &RULE,
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
    see_also: &[SeeAlso::Guide("some-hosts"), SeeAlso::Guide("mss")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(230, pluto_up), Scope::Pluto(240, pluto_child_up)],
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
    let algorithms = neg.negotiated();
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
    lines.extend(neg.all(|e| {
        matches!(
            e,
            CharonEvent::Proposals {
                list: ipsec_doctor_events::ProposalList::Selected,
                ..
            }
        )
    }));
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

/// IKE SA and IPsec SA established.
fn pluto_up(c: &PlutoConnection<'_>) -> Option<Detection> {
    let ike = c.established?;
    let child = c.find(|e| matches!(e, PlutoEvent::ChildSaEstablished))?;
    Some(Detection::new(
        format!(
            "{} is up: IKE SA and IPsec SA established. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(ike), Some(child)]),
    ))
}

/// An IPsec SA established, its IKE SA before the excerpt starts: an IPsec
/// SA cannot be established without one.
fn pluto_child_up(c: &PlutoConnection<'_>) -> Option<Detection> {
    if c.established.is_some() {
        return None;
    }
    let child = c.find(|e| matches!(e, PlutoEvent::ChildSaEstablished))?;
    Some(Detection::new(
        format!(
            "{} is up: IPsec SA established (its IKE SA came up before this log starts). \
             {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(child)]),
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

    #[test]
    fn libreswan_3_established_tunnel() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: STATE_MAIN_I4: ISAKMP SA established {auth=PRESHARED_KEY cipher=aes_128 integ=sha group=MODP2048}\n\
             Nov 27 02:33:56 gw pluto[1234]: \"site\" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode {ESP=>0x5d5f4c3d <0xc2d8b5d1 xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=passive}\n",
        );
        assert_eq!(ids(&report), ["tunnel-established"]);
    }
}
