//! `invalid-payload-type`: racoon and its peer disagree on a payload,
//! typically about NAT Traversal.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "invalid-payload-type",
    family: &RULE,
    severity: Severity::Error,
    title: "INVALID-PAYLOAD-TYPE (NAT Traversal disagreement)",
    explanation: "racoon logged INVALID-PAYLOAD-TYPE: one end sent an IKE payload the other does not \
        accept. With racoon this is nearly always NAT Traversal: one end uses the NAT-T payloads (NAT-D, \
        or a draft version of them) the other end does not expect.",
    fix: &[
        "pfSense 2.1 and older: VPN > IPsec > edit the Phase 1 > NAT Traversal: Disable (on both ends \
         where there is no NAT between them), then optionally restart racoon (Status > Services).",
    ],
    see_also: &[SeeAlso::Guide("renegotiation")],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::InvalidPayloadType))
        .into_iter()
        .map(|(tunnel, lines)| {
            let summary = format!(
                "racoon logged INVALID-PAYLOAD-TYPE{} {} time(s): disable NAT Traversal in Phase 1 and \
                 restart racoon.",
                about(&tunnel),
                lines.len()
            );
            let shown: Vec<_> = lines.into_iter().take(3).collect();
            (tunnel, Detection::new(summary, evidence(shown)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn racoon_notification() {
        let log = include_str!("../../tests/fixtures/racoon/invalid-payload-type.log");
        assert_eq!(ids(&diagnose("s.log", log)), ["invalid-payload-type"]);
        let tagged = "Oct  2 09:10:11 fw racoon: [198.51.100.9] ERROR: notification INVALID-PAYLOAD-TYPE received in informational exchange.";
        let report = diagnose("s.log", tagged);
        assert_eq!(
            report.findings[0].tunnel.as_deref(),
            Some("peer 198.51.100.9")
        );
    }
}
