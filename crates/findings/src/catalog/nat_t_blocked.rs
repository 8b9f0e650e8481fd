//! `nat-t-blocked`: IKE works on UDP 500, then nothing comes back once the
//! peers move to UDP 4500.

use super::common::evidence;
use super::lost_after_init::lost_after_first_exchange;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "nat-t-blocked",
    family: &RULE,
    severity: Severity::Error,
    title: "NAT-T (UDP 4500) blocked",
    explanation: "The first exchange (IKE_SA_INIT; IKEv1: the first Main Mode messages) succeeded on UDP \
        port 500. Then, because NAT was detected (or UDP encapsulation is forced), both ends moved to UDP \
        port 4500 (NAT traversal), and this side's requests on 4500 were retransmitted and never \
        answered. UDP 4500 is blocked or not forwarded somewhere: a firewall rule or port forward that \
        passes only UDP 500, a NAT device that does not forward 4500 to the peer, or a provider filter.",
    fix: &[
        "pfSense/OPNsense: on the peer's WAN, Firewall > Rules > WAN must pass UDP 4500 (and 500) from this \
         side; behind a NAT router, forward UDP 500 and 4500 to the firewall (Firewall > NAT > Port \
         Forward) and check Diagnostics > States for port 4500.",
        "Capture on both ends: tcpdump -ni <wan> udp port 4500; strongSwan listens on 4500 \
         (charon.port_nat_t, ss -ulpn | grep 4500). Where NAT is not needed, do not force UDP \
         encapsulation (swanctl.conf: encap = no; ipsec.conf: forceencaps=no).",
    ],
    see_also: &[SeeAlso::Rule(&super::fragmentation_mtu::RULE), SeeAlso::Rule(&super::peer_unreachable::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let lost = lost_after_first_exchange(neg)?;
    if lost.too_big() {
        return None;
    }
    let switched = lost.switched_to_4500?;
    let mut lines = vec![lost.last_answer, switched];
    lines.extend(lost.retransmits.iter().copied().take(3));
    Some(
        Detection::new(
            format!(
                "The peer{} answered on UDP 500, then this side's {} request to UDP 4500 (NAT traversal) \
                 was retransmitted and never answered: UDP 4500 is blocked or not forwarded between the \
                 peers.",
                neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default(),
                lost.exchange.unwrap_or("next"),
            ),
            evidence(lines),
        )
        .for_peer(
            "The peer answered this side on UDP 500, but its requests on UDP 4500 never reached this side: \
             UDP 4500 is blocked or not forwarded on the way to this side.",
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-nat-t-blocked/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-nat-t-blocked/right.log");

    #[test]
    fn lab_udp_4500_dropped_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["nat-t-blocked"]);
        assert!(left.findings[0]
            .summary
            .contains("IKE_AUTH request to UDP 4500"));
        // The responder alone saw the negotiation start and nothing more.
        assert_eq!(
            ids(&diagnose("right.log", RIGHT)),
            ["negotiation-incomplete"]
        );
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        // The responder's side stays incomplete: its own log shows no outcome.
        assert_eq!(ids(&both), ["nat-t-blocked", "negotiation-incomplete"]);
    }

    #[test]
    fn no_answer_at_all_is_peer_unreachable() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[NET] <gw|1> sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (464 bytes)
Nov 27 10:00:02 14[IKE] <gw|1> retransmit 1 of request with message ID 0
Nov 27 10:00:06 15[IKE] <gw|1> giving up after 2 retransmits";
        assert_eq!(ids(&diagnose("i.log", log)), ["peer-unreachable"]);
    }
}
