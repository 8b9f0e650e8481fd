//! `fragmentation-mtu`: a large IKE message (certificates) is lost on the
//! path because it went as IP fragments.

use super::common::evidence;
use super::lost_after_init::{lost_after_first_exchange, FRAGMENT_SIZE};
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "fragmentation-mtu",
    family: &RULE,
    severity: Severity::Error,
    title: "Large IKE messages lost (fragmentation / path MTU)",
    explanation: "The first exchange (IKE_SA_INIT; IKEv1: the first Main Mode messages) succeeded, so the \
        peer is reachable; then this side's next request, larger than one packet on many paths (typically \
        IKE_AUTH carrying certificates: more than 1280 bytes, often 2-5 kB), was retransmitted and never \
        answered. IKE fragmentation was not used (one end has it disabled or does not support it), so \
        the message went as IP fragments, and these were lost on the way: a link with a smaller MTU \
        without ICMP \"fragmentation needed\" (PPPoE, tunnels, mobile networks: a path MTU black hole) or \
        a firewall or NAT that drops IP fragments.",
    fix: &[
        "Enable IKE fragmentation on both ends: pfSense/OPNsense: VPN > IPsec > Tunnels > Phase 1 > \
         Advanced Options > IKE fragmentation = yes (or force); strongSwan swanctl.conf: \
         connections.<name>.fragmentation = yes (ipsec.conf: fragmentation=yes); \
         charon.fragment_size in strongswan.conf below the path MTU (default 1280).",
        "Check the path MTU: ping -M do -s 1472 <peer> (Linux; FreeBSD: ping -D -s 1472) and lower until \
         it passes; allow ICMP \"fragmentation needed\" and IP fragments on the firewalls between the \
         peers (pfSense: Firewall > Rules, and System > Advanced > Firewall & NAT: IP Do-Not-Fragment \
         compatibility / scrub).",
        "Make IKE_AUTH smaller: send fewer certificates (no intermediate CA when the peer has it: \
         swanctl send_cert = ifasked), shorter keys (ECDSA instead of RSA 4096).",
    ],
    see_also: &[SeeAlso::Rule(&super::nat_t_blocked::RULE), SeeAlso::Rule(&super::peer_unreachable::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let lost = lost_after_first_exchange(neg)?;
    if !lost.too_big() {
        return None;
    }
    let (bytes, big) = lost.largest?;
    let exchange = lost.exchange.unwrap_or("next");
    // A responder offers IKE fragmentation only if the initiator did.
    let why = match (lost.offered_fragmentation, lost.peer_offered_fragmentation) {
        (false, _) => "this side did not offer IKE fragmentation (it is disabled here)",
        (true, false) => {
            "the peer did not accept IKE fragmentation (disabled or unsupported there)"
        }
        (true, true) => "the message was not split into IKE fragments",
    };
    let mut lines = vec![lost.last_answer, big];
    lines.extend(lost.retransmits.iter().copied().take(3));
    Some(Detection::new(
        format!(
            "The peer{} answered the first exchange, then this side's {exchange} request of {bytes} bytes \
             (more than {FRAGMENT_SIZE}) was retransmitted and never answered: {why}, so it went as IP \
             fragments, which were lost on the path (smaller MTU without ICMP, or fragments dropped). \
             Enable IKE fragmentation on both ends and check the path MTU.",
            neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default(),
        ),
        evidence(lines),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-fragmentation-mtu/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-fragmentation-mtu/right.log");

    #[test]
    fn lab_big_ike_auth_lost_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["fragmentation-mtu"]);
        let summary = &left.findings[0].summary;
        assert!(summary.contains("IKE_AUTH request of 2"), "{summary}");
        assert!(summary.contains("this side did not offer"), "{summary}");
        // The responder alone saw the negotiation start and nothing more.
        assert_eq!(
            ids(&diagnose("right.log", RIGHT)),
            ["negotiation-incomplete"]
        );
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        // The responder's side stays incomplete: its own log shows no outcome.
        assert_eq!(ids(&both), ["fragmentation-mtu", "negotiation-incomplete"]);
    }

    #[test]
    fn fragmented_messages_are_not_too_big() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[ENC] <gw|1> generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) ]
Nov 27 10:00:00 13[NET] <gw|1> sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (464 bytes)
Nov 27 10:00:00 14[NET] <gw|1> received packet: from 192.0.2.74[500] to 192.0.2.90[500] (497 bytes)
Nov 27 10:00:00 14[ENC] <gw|1> parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) CERTREQ N(FRAG_SUP) ]
Nov 27 10:00:00 14[ENC] <gw|1> generating IKE_AUTH request 1 [ EF(1/2) ]
Nov 27 10:00:00 14[ENC] <gw|1> generating IKE_AUTH request 1 [ EF(2/2) ]
Nov 27 10:00:00 14[NET] <gw|1> sending packet: from 192.0.2.90[4500] to 192.0.2.74[4500] (1236 bytes)
Nov 27 10:00:00 14[NET] <gw|1> sending packet: from 192.0.2.90[4500] to 192.0.2.74[4500] (260 bytes)
Nov 27 10:00:02 15[IKE] <gw|1> retransmit 1 of request with message ID 1
Nov 27 10:00:06 15[IKE] <gw|1> giving up after 2 retransmits";
        // The fragments are small: a blocked UDP 4500, not the MTU.
        assert_eq!(ids(&diagnose("i.log", log)), ["nat-t-blocked"]);
    }
}
