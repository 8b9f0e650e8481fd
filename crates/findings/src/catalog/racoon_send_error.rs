//! `racoon-send-error`: something keeps racoon from sending its packets.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-send-error",
    family: &RULE,
    severity: Severity::Error,
    title: "racoon cannot send its packets (sendto failed)",
    explanation: "racoon's packets to the peer were refused by this host itself (\"sendto (Operation not \
        permitted)\", \"sendfromto failed\", \"phase1 negotiation failed due to send error\"). The \
        packet filter blocks them: most often a state that already holds the same address and port pair, \
        such as a NAT state of an internal client talking IPsec to the same peer, which the default \
        static-port outbound NAT rule keeps on port 500; or a floating rule that blocks the firewall's \
        own traffic. A missing route to the peer, or a PPTP server address set to the WAN address, cause \
        it too.",
    fix: &[
        "1. Diagnostics > States, filter on the remote peer's address. A NAT state for an internal client \
         (to the peer on port 500/4500) means the static-port outbound NAT rule gave the client the \
         address:port racoon needs: find and stop that client, clear those states, then reconnect.",
        "2. If there are states for the peer but no NAT involved, clear the states for the peer's address \
         on ports 500 and 4500 and for ESP, and see if the tunnel comes back.",
        "3. Check there is a route (or a default route) to the peer: Diagnostics > Routes.",
        "4. Check Firewall > Rules > Floating: no rule may block the firewall's own outbound traffic to \
         the peer (UDP 500/4500, ESP).",
        "5. Check the PPTP server address (VPN > PPTP) is not a valid, in-use address such as the WAN \
         address: when a PPTP client disconnects it can break racoon's ability to send.",
    ],
    see_also: &[SeeAlso::Rule(&super::outbound_nat_any::RULE)],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    let send = |e: &RacoonEvent| {
        matches!(
            e,
            RacoonEvent::SendtoFailed { .. }
                | RacoonEvent::SendfromtoFailed
                | RacoonEvent::Phase1SendError
        )
    };
    log.by_tunnel(send)
        .into_iter()
        .map(|(tunnel, lines)| {
            let reason = lines.iter().find_map(|e| match &e.event {
                RacoonEvent::SendtoFailed { reason } => Some(reason.clone()),
                _ => None,
            });
            let summary = format!(
                "racoon could not send to the peer{}{}: the host refused its packets ({} line(s)).",
                about(&tunnel),
                reason.map(|r| format!(" ({r})")).unwrap_or_default(),
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
    fn seed_excerpt() {
        let report = diagnose(
            "s.log",
            include_str!("../../tests/fixtures/racoon/send-error.log"),
        );
        assert_eq!(ids(&report), ["racoon-send-error"]);
        let f = &report.findings[0];
        assert!(f.summary.contains("Operation not permitted"));
        assert_eq!(f.evidence.len(), 3);
        assert!(f.fix[0].contains("Diagnostics > States"));
        assert!(f.fix.iter().any(|s| s.contains("PPTP")));
    }
}
