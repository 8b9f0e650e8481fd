//! `peer-unreachable`: nothing ever came back from the peer.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};
use std::collections::HashSet;

pub(crate) static RULE: Rule = Rule {
    id: "peer-unreachable",
    family: &RULE,
    severity: Severity::Error,
    title: "Peer unreachable",
    explanation: "This side sent its first IKE message, retransmitted it, and gave up without ever \
        receiving an answer. Either the packets do not reach the peer (wrong Remote Gateway address, UDP \
        500/4500 blocked by a firewall on the way or on the peer's WAN, no route) or the peer's answers do \
        not come back (outbound NAT rewriting the source port, asymmetric routing), or the peer's IKE \
        daemon is not running or not listening on that address.",
    fix: &[
        "pfSense/OPNsense: check VPN > IPsec > Tunnels > Phase 1 > Remote Gateway; on the peer, Firewall > \
         Rules > WAN must pass UDP 500 and 4500 (and ESP) from this side; check Diagnostics > States for \
         the peer address and a route to it (Diagnostics > Routes).",
        "strongSwan: check connections.<name>.remote_addrs (ipsec.conf: right=), that charon listens on the \
         peer (ss -ulpn | grep -E ':(500|4500)'), and capture on both WANs: tcpdump -ni <wan> udp port 500 or udp port 4500.",
    ],
    see_also: &[SeeAlso::Rule(&super::outbound_nat_any::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(200, pluto_gave_up), Scope::Pluto(210, pluto_retransmitting), Scope::Pluto(220, pluto_answers_lost)],
    // "No response" to a peer that received the requests and refused their
    // IKE version (INVALID_MAJOR_VERSION, which pluto 4 does not log):
    // Libreswan 4.10 against Debian sid's strongSwan 6.1.0, built without
    // IKEv1 (lab ikev1-pluto-*).
    explained_by: &[ExplainedBy {
        explainer: Explainer::Rule(&super::ike_version_mismatch::RULE),
        same_moment: true,
    }],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    if neg.heard_from_peer || neg.ike_established_at().is_some() {
        return None;
    }
    // An SA that was up before the log: dpd-timeout's.
    if super::common::gave_up_on_an_earlier_sa(neg).is_some() {
        return None;
    }
    let gave_up = neg
        .first(|e| {
            matches!(
                e,
                CharonEvent::GivingUp { .. } | CharonEvent::PeerNotResponding
            )
        })
        .or_else(|| {
            // No give-up in the log (it ends, or another program such as
            // NetworkManager's connect timer ends the attempt first), but
            // the first message went unanswered through two retransmits
            // or more: the last of them.
            let first = neg.all(|e| {
                matches!(
                    e,
                    CharonEvent::Retransmit {
                        message_id: Some(0),
                        ..
                    }
                )
            });
            let (count, last) = first.fold((0, None), |(n, _), e| (n + 1, Some(e)));
            last.filter(|_| count >= 2)
        })?;
    let mut lines = vec![gave_up];
    lines.extend(neg.first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. })));
    lines.extend(neg.first(|e| matches!(e, CharonEvent::Retransmit { .. })));
    lines.extend(neg.first(|e| matches!(e, CharonEvent::PeerNotResponding)));
    let retransmits = neg.entries.iter().find_map(|e| match e.event {
        CharonEvent::GivingUp { retransmits } => Some(retransmits),
        _ => None,
    });
    Some(Detection::new(
        format!(
            "This side sent IKE requests to {}{} and never received an answer.",
            neg.remote.as_deref().unwrap_or("the peer"),
            retransmits
                .map(|n| format!(", retransmitted {n} times,"))
                .unwrap_or_default()
        ),
        evidence(lines),
    ))
}

/// pluto retransmitted its first IKE message until it gave up.
fn pluto_gave_up(c: &PlutoConnection<'_>) -> Option<Detection> {
    if c.established.is_some() {
        return None;
    }
    let g = c.find(|e| {
        matches!(
            e,
            PlutoEvent::GaveUp {
                first_message: true,
                ..
            }
        )
    })?;
    let first_sent = c.find(|e| matches!(e, PlutoEvent::Initiating { child: false }));
    Some(Detection::new(
        format!(
            "pluto got no answer from the peer of {}: its first IKE message was \
             retransmitted until it gave up. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[first_sent, Some(g)]),
    ))
}

/// Still retransmitting the first message when the log ends (a paste of
/// `ipsec auto --up` cut before pluto gives up), and nothing answered.
fn pluto_retransmitting(c: &PlutoConnection<'_>) -> Option<Detection> {
    if c.established.is_some() {
        return None;
    }
    let first_retransmits = c.all(|e| {
        matches!(
            e,
            PlutoEvent::Retransmit {
                first_message: true
            }
        )
    });
    let answered = c.any(|e| {
        matches!(
            e,
            PlutoEvent::Responding { .. }
                | PlutoEvent::PeerNoProposal
                | PlutoEvent::PeerChildNoProposal
                | PlutoEvent::PeerAuthFailed
                | PlutoEvent::HashMismatch
                | PlutoEvent::UndecryptableReply
        )
    });
    if first_retransmits.len() < 2 || answered {
        return None;
    }
    let first_sent = c.find(|e| matches!(e, PlutoEvent::Initiating { child: false }));
    Some(Detection::new(
        format!(
            "pluto got no answer from the peer of {}: its first IKE message was \
             retransmitted {} time(s) and nothing came back before the log ends. \
             {RUNS_PLUTO}",
            c.conn,
            first_retransmits.len()
        ),
        pluto::evidence(&[
            first_sent,
            first_retransmits.first().copied(),
            first_retransmits.last().copied(),
        ]),
    ))
}

/// As responder: the peer starts Main Mode again and again and never sends
/// its second message, so this side's answers do not reach it.
fn pluto_answers_lost(c: &PlutoConnection<'_>) -> Option<Detection> {
    if c.established.is_some() {
        return None;
    }
    let restarts = c.all(|e| matches!(e, PlutoEvent::Responding { child: false }));
    let states: HashSet<Option<u64>> = restarts.iter().map(|e| e.state).collect();
    if restarts.len() < 2 || states.len() < 2 {
        return None;
    }
    Some(
        Detection::new(
            format!(
                "The peer of {} started Phase 1 {} times and never went on to its second \
                 message: pluto's answers do not reach it, or the peer's next message does not \
                 reach pluto (UDP 500/4500 blocked or not NATed back, a firewall or a mobile \
                 carrier in between; with NAT, IKEv2's IKE_AUTH and IKEv1's third message go \
                 to UDP 4500). {RUNS_PLUTO}",
                c.conn,
                restarts.len()
            ),
            pluto::evidence(&[
                restarts.first().copied(),
                restarts.get(1).copied(),
                restarts.last().copied(),
            ]),
        )
        .for_peer(
            "This side's first IKE message was answered, but the answers never arrive here: \
             the peer's replies are blocked or not NATed back. (The peer runs Libreswan pluto.)",
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn retransmits_without_answer() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[NET] <gw|1> sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (464 bytes)
Nov 27 10:00:02 14[IKE] <gw|1> retransmit 1 of request with message ID 0
Nov 27 10:00:06 15[IKE] <gw|1> giving up after 2 retransmits
Nov 27 10:00:06 15[IKE] <gw|1> establishing IKE_SA failed, peer not responding";
        let report = diagnose("i.log", log);
        assert_eq!(ids(&report), ["peer-unreachable"]);
        assert!(report.findings[0]
            .summary
            .contains("192.0.2.74, retransmitted 2 times"));
    }

    #[test]
    fn an_answer_means_reachable() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[NET] <gw|1> received packet: from 192.0.2.74[500] to 192.0.2.90[500] (36 bytes)
Nov 27 10:00:06 15[IKE] <gw|1> giving up after 2 retransmits";
        assert!(!ids(&diagnose("i.log", log)).contains(&"peer-unreachable"));
    }

    #[test]
    fn first_message_unanswered_until_another_program_ends_it() {
        // NetworkManager-strongswan's connect timer (real-logs strongswan-41).
        let log = "\
Mar  1 08:13:42 t420 charon-nm: 05[IKE] initiating IKE_SA Company[2] to 198.51.100.7
Mar  1 08:13:46 t420 charon-nm: 08[IKE] retransmit 1 of request with message ID 0
Mar  1 08:13:53 t420 charon-nm: 09[IKE] retransmit 2 of request with message ID 0
Mar  1 08:14:42 t420 charon-nm: 06[IKE] destroying IKE_SA in state CONNECTING without notification";
        assert_eq!(ids(&diagnose("l.log", log)), ["peer-unreachable"]);
    }

    #[test]
    fn libreswan_3_main_mode_without_answer_is_peer_unreachable() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: initiating Main Mode\n\
             Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: STATE_MAIN_I1: initiate\n\
             Nov 27 02:34:55 gw pluto[1234]: \"site\" #1: max number of retransmissions (8) reached STATE_MAIN_I1.  No response (or no acceptable response) to our first IKEv1 message\n",
        );
        assert_eq!(ids(&report), ["peer-unreachable"]);
        assert!(report.findings[0].summary.contains("Libreswan pluto"));
        assert_eq!(report.findings[0].evidence.len(), 2);
    }
}
