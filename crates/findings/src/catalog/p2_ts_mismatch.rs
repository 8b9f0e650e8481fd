//! `p2-ts-mismatch`: the Phase 2 networks (traffic selectors) do not match.

use ipsec_doctor_events::{CharonEvent, Notify, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p2-ts-mismatch",
    family: &RULE,
    severity: Severity::Error,
    title: "Phase 2 network mismatch",
    explanation: "Phase 1 is up, but the local and remote networks of the Phase 2 do not mirror each \
        other: what one end calls its local network must be the other end's remote network, with the \
        same mask. The responder finds no CHILD SA configuration for the proposed traffic selectors (\"no \
        matching CHILD_SA config found\", \"traffic selectors ... unacceptable\") and answers \
        INVALID_ID_INFORMATION (IKEv1) or TS_UNACCEPTABLE (IKEv2).",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > show Phase 2 entries: this side's Local Network must equal \
         the peer's Remote Network and vice versa, masks included (a /24 is not a /32).",
        "strongSwan swanctl.conf: children.<child>.local_ts here = remote_ts on the peer and vice versa \
         (ipsec.conf: leftsubnet/rightsubnet).",
    ],
    see_also: &[SeeAlso::Rule(&super::disappearing_traffic::RULE), SeeAlso::Guide("overlapping-networks")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(180, pluto)],
    // Libreswan answers TS_UNACCEPTABLE when its kernel refuses the SA, or
    // (IKEv1) leaves the Quick Mode unfinished; only the refusal of the
    // same moment is explained so.
    explained_by: &[ExplainedBy { explainer: Explainer::PeerRefusal, same_moment: true }],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let responder_side = neg.first(|e| {
        matches!(
            e,
            CharonEvent::NoMatchingChildConfig | CharonEvent::TsUnacceptable { .. }
        )
    });
    let notified = neg
        .received_notify(&Notify::InvalidIdInformation)
        .or_else(|| neg.received_notify(&Notify::TsUnacceptable))
        .map(|(_, e)| e);
    let first = responder_side.or(notified)?;
    let mut lines = vec![first];
    let mut summary = String::new();
    let asked = neg.first(|e| matches!(e, CharonEvent::LookingForChildConfig { .. }));
    if let Some(CharonEvent::LookingForChildConfig {
        local_ts,
        remote_ts,
    }) = asked.map(|e| &e.event)
    {
        summary.push_str(&format!(
            "The peer asks for {local_ts} here and {remote_ts} on its side"
        ));
        lines.extend(asked);
    } else if let Some(CharonEvent::TsUnacceptable {
        local_ts,
        remote_ts,
    }) = responder_side.map(|e| &e.event)
    {
        summary.push_str(&format!(
            "The peer asks for {local_ts} here and {remote_ts} on its side"
        ));
    } else if notified.is_some() && (!neg.ts_us.is_empty() || !neg.ts_other.is_empty()) {
        summary.push_str(&format!(
            "This side proposed {} here and {} on the peer's side, and the peer refused them",
            or_unknown(&neg.ts_us),
            or_unknown(&neg.ts_other)
        ));
    } else {
        summary.push_str("The peer refused the proposed networks");
    }
    if responder_side.is_some() && (!neg.ts_us.is_empty() || !neg.ts_other.is_empty()) {
        summary.push_str(&format!(
            "; this side is configured for {} here and {} on the peer's side",
            or_unknown(&neg.ts_us),
            or_unknown(&neg.ts_other)
        ));
    }
    summary.push_str(". Make each end's local network the other end's remote network.");
    let only_refused = responder_side.is_none();
    if only_refused && neg.received_notify(&Notify::TsUnacceptable).is_some() {
        summary.push_str(
            " (Libreswan also answers TS_UNACCEPTABLE when its kernel refuses the IPsec SA: if the \
             networks match, the peer's log tells.)",
        );
    }
    lines.extend(neg.sent_notify(&Notify::InvalidIdInformation));
    lines.extend(neg.sent_notify(&Notify::TsUnacceptable));
    let detection = Detection::new(summary, evidence(lines));
    Some(if only_refused {
        detection.cause_in_peer_log()
    } else {
        detection
    })
}

fn or_unknown(list: &[String]) -> String {
    if list.is_empty() {
        "(not logged)".to_owned()
    } else {
        list.join(", ")
    }
}

/// No connection matches the peer's traffic selectors, or the peer
/// rejected pluto's.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let t = c.find(|e| matches!(e, PlutoEvent::PeerTsRejected | PlutoEvent::NoTsMatch))?;
    let who = if matches!(t.event, PlutoEvent::NoTsMatch) {
        "pluto found no connection matching the peer's traffic selectors"
    } else {
        "the peer rejected pluto's traffic selectors"
    };
    Some(Detection::new(
        format!(
            "Phase 2 of {} failed: {who} (the subnets differ). {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[c.established, Some(t)]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str = include_str!("../../tests/fixtures/seed/p2-ts-mismatch/initiator.log");
    const RESPONDER: &str = include_str!("../../tests/fixtures/seed/p2-ts-mismatch/responder.log");

    #[test]
    fn seed_responder_states_both_networks() {
        let report = diagnose("r.log", RESPONDER);
        assert_eq!(ids(&report), ["p2-ts-mismatch"]);
        let s = &report.findings[0].summary;
        assert!(s.contains("10.42.43.0/24|/0 here"), "{s}");
        assert!(
            s.contains("configured for 10.42.42.0/24|/0 here and 192.168.48.0/24|/0"),
            "{s}"
        );
    }

    #[test]
    fn seed_initiator_states_what_it_proposed() {
        let report = diagnose("i.log", INITIATOR);
        assert_eq!(ids(&report), ["p2-ts-mismatch"]);
        assert!(report.findings[0]
            .summary
            .contains("proposed 192.168.48.0/24|/0 here and 10.42.43.0/24|/0"));
    }

    #[test]
    fn seed_both_sides() {
        let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        assert_eq!(ids(&report), ["p2-ts-mismatch"]);
        assert_eq!(report.findings.len(), 2);
    }

    #[test]
    fn ikev2_ts_unacceptable() {
        let log =
            "Nov 27 10:00:01 09[IKE] <gw|1> received TS_UNACCEPTABLE notify, no CHILD_SA built";
        assert_eq!(ids(&diagnose("i.log", log)), ["p2-ts-mismatch"]);
    }
}
