//! `p2-no-response`: Phase 1 is up, the peer never answers Phase 2.

use ipsec_doctor_events::{CharonEvent, Direction};

use super::common::evidence;
use crate::negotiation::{is_phase2_exchange, Negotiation};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p2-no-response",
    family: &RULE,
    severity: Severity::Error,
    title: "Phase 2 never set up by the peer",
    explanation: "Phase 1 (the IKE SA) came up, then this side's Phase 2 request (IKEv1 Quick Mode, IKEv2 \
        CREATE_CHILD_SA) was retransmitted until charon gave up, without any answer: the peer is reachable \
        (it answered Phase 1) but drops the Phase 2 request silently. strongSwan answers a Phase 2 it \
        refuses with a notify (NO_PROPOSAL_CHOSEN, INVALID_ID_INFORMATION, TS_UNACCEPTABLE); a silent \
        peer is typically Libreswan or racoon whose kernel refused to install the negotiated IPsec SA, or \
        a peer that failed on the request for a reason only its own log shows. Libreswan 5 instead \
        answers the IKEv2 IKE_AUTH with TEMPORARY_FAILURE (after authenticating this side) when it \
        cannot set the Child SA up. The cause is in the peer's log.",
    fix: &[
        "Collect the peer's IPsec log for the same minute and run ipsec-doctor diagnose on both logs \
         together: a kernel refusal on the peer shows as kernel-sa-install-failure there.",
        "On a Libreswan or Linux peer: check that the kernel has IPsec (modprobe esp4 esp6 xfrm_user; ip \
         xfrm state) and the peer's log (journalctl -u ipsec) for \"netlink response for Add SA\".",
        "Meanwhile compare the Phase 2 settings on both ends (networks, encryption, hash, PFS group): a \
         peer that does not notify may also drop a Phase 2 it cannot match.",
    ],
    see_also: &[SeeAlso::Rule(&super::kernel_sa_install_failure::RULE), SeeAlso::Rule(&super::p2_proposal_mismatch::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    // Libreswan answers TS_UNACCEPTABLE when its kernel refuses the SA, or
    // (IKEv1) leaves the Quick Mode unfinished; only the refusal of the
    // same moment is explained so.
    explained_by: &[ExplainedBy { explainer: Explainer::PeerRefusal, same_moment: true }],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    temporary_failure_in_ike_auth(neg)
        .or_else(|| stale_answers_to_ike_auth(neg))
        .or_else(|| unanswered(neg))
}

/// This side's IKE_AUTH (which sets up the Child SA as well) drew only
/// answers of the first exchange (`received message ID 0, expected 1,
/// ignored`) until charon gave up: the peer failed on IKE_AUTH without
/// answering it and resent its IKE_SA_INIT response. Libreswan 4.3 as
/// responder when its kernel refuses the SA (lab-recorded).
fn stale_answers_to_ike_auth(neg: &Negotiation) -> Option<Detection> {
    if neg.ike_established_at().is_some() || neg.child_established() {
        return None;
    }
    let entries = &neg.entries;
    let (si, sent) = entries.iter().enumerate().find(|(_, e)| {
        matches!(&e.event, CharonEvent::Message {
            direction: Direction::Sent,
            request: true,
            exchange,
            ..
        } if exchange == "IKE_AUTH")
    })?;
    let after = &entries[si..];
    let answered = after.iter().any(|e| {
        matches!(&e.event, CharonEvent::Message {
            direction: Direction::Received,
            exchange,
            ..
        } if exchange == "IKE_AUTH")
    });
    if answered {
        return None;
    }
    let stale = after
        .iter()
        .find(|e| matches!(e.event, CharonEvent::UnexpectedMessageId { got: 0, .. }))?;
    let gave_up = after.iter().find(|e| {
        matches!(
            e.event,
            CharonEvent::GivingUp { .. } | CharonEvent::PeerNotResponding
        )
    })?;
    Some(
        Detection::new(
            format!(
                "{} answered IKE_SA_INIT, then answered this side's IKE_AUTH request (which also sets \
                 up the Child SA) only with its first message again, until charon gave up: the peer \
                 failed on IKE_AUTH without saying so. The cause is in the peer's log (Libreswan 4 \
                 does so when its kernel refuses the IPsec SA).",
                neg.remote.as_deref().unwrap_or("The peer"),
            ),
            evidence([sent, stale, gave_up]),
        )
        .cause_in_peer_log(),
    )
}

/// The peer authenticated this side (its IKE_AUTH answer carries IDr and
/// AUTH) but refused the Child SA with TEMPORARY_FAILURE: Libreswan 5.2 as
/// responder when its kernel refuses the SA (4.x answered TS_UNACCEPTABLE;
/// recorded in the lab's ikev2-pluto-responder-healthy with libreswan-5.2).
fn temporary_failure_in_ike_auth(neg: &Negotiation) -> Option<Detection> {
    if neg.child_established() {
        return None;
    }
    let entries = &neg.entries;
    let (ai, answer) = entries.iter().enumerate().find(|(_, e)| {
        matches!(&e.event, CharonEvent::Message {
            direction: Direction::Received,
            exchange,
            payloads,
            ..
        } if exchange == "IKE_AUTH"
            && payloads.iter().any(|p| p == "AUTH")
            && payloads.iter().any(|p| p == "N(TEMP_FAIL)"))
    })?;
    let notify = entries[ai..].iter().find(|e| {
        matches!(&e.event, CharonEvent::NotifyReceived(n) | CharonEvent::ChildNotifyReceived(n)
            if n.is_named("TEMPORARY_FAILURE"))
    });
    let mut lines = vec![answer];
    lines.extend(notify);
    Some(
        Detection::new(
            format!(
                "{} authenticated this side in IKE_AUTH but refused the Child SA with \
                 TEMPORARY_FAILURE: it could not set the IPsec SA up. The cause is in the peer's log \
                 (Libreswan 5 answers so when its kernel refuses the SA).",
                neg.remote.as_deref().unwrap_or("The peer"),
            ),
            evidence(lines),
        )
        .cause_in_peer_log(),
    )
}

/// A Phase 2 request retransmitted until charon gave up.
fn unanswered(neg: &Negotiation) -> Option<Detection> {
    let up = neg.ike_established_at()?;
    let entries = &neg.entries;
    // A give-up after Phase 1 came up whose request, the last one sent
    // before it, was a Phase 2 request that nothing answered.
    let (sent_at, gave_up_at) = entries
        .iter()
        .enumerate()
        .skip(up)
        .filter(|(_, e)| matches!(e.event, CharonEvent::GivingUp { .. }))
        .find_map(|(gi, _)| {
            let si = (up..gi).rev().find(|&i| {
                matches!(
                    &entries[i].event,
                    CharonEvent::Message {
                        direction: Direction::Sent,
                        request: true,
                        ..
                    }
                )
            })?;
            let phase2_request = matches!(&entries[si].event,
                CharonEvent::Message { exchange, .. } if is_phase2_exchange(exchange));
            let answered = entries[si..gi].iter().any(|e| {
                matches!(&e.event, CharonEvent::Message {
                    direction: Direction::Received,
                    exchange,
                    ..
                } if is_phase2_exchange(exchange))
            });
            (phase2_request && !answered).then_some((si, gi))
        })?;
    let child_later = entries[sent_at..]
        .iter()
        .any(|e| matches!(e.event, CharonEvent::ChildSaEstablished { .. }));
    if child_later {
        return None;
    }
    let (sent, gave_up) = (&entries[sent_at], &entries[gave_up_at]);
    let retransmits = match gave_up.event {
        CharonEvent::GivingUp { retransmits } => retransmits,
        _ => 0,
    };
    let exchange = match &sent.event {
        CharonEvent::Message { exchange, .. } => exchange.as_str(),
        _ => "Phase 2",
    };
    let mut lines = vec![sent];
    lines.extend(
        entries[sent_at..gave_up_at]
            .iter()
            .find(|e| matches!(e.event, CharonEvent::Retransmit { .. })),
    );
    lines.push(gave_up);
    Some(
        Detection::new(
            format!(
                "Phase 1 with {} is up, but this side's {exchange} request was retransmitted {retransmits} \
                 time(s) without an answer and charon gave up: the peer drops Phase 2 silently. The cause \
                 is in the peer's log (a Libreswan peer does so when its kernel refuses the IPsec SA).",
                neg.remote.as_deref().unwrap_or("the peer"),
            ),
            evidence(lines),
        )
        .cause_in_peer_log(),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    const UNANSWERED: &str = include_str!("../../tests/fixtures/system/quick-mode-unanswered.log");

    #[test]
    fn libreswan_4_3_answering_ike_auth_with_its_ike_sa_init_response_again() {
        // charon 5.9.8 against Libreswan 4.3 as responder whose kernel
        // refused the SA (lab ikev2-pluto-responder-healthy, libreswan-4.3)
        let log = "Dec  1 11:57:42 11[IKE] <gw-gw|1> initiating IKE_SA gw-gw[1] to 192.0.2.90\n\
                   Dec  1 11:57:42 13[ENC] <gw-gw|1> parsed IKE_SA_INIT response 0 [ SA KE No N(FRAG_SUP) N(NATD_S_IP) N(NATD_D_IP) ]\n\
                   Dec  1 11:57:42 13[ENC] <gw-gw|1> generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr ]\n\
                   Dec  1 11:57:42 13[NET] <gw-gw|1> sending packet: from 192.0.2.74[4500] to 192.0.2.90[4500] (272 bytes)\n\
                   Dec  1 11:57:42 15[NET] <gw-gw|1> received packet: from 192.0.2.90[4500] to 192.0.2.74[4500] (440 bytes)\n\
                   Dec  1 11:57:42 15[IKE] <gw-gw|1> received message ID 0, expected 1, ignored\n\
                   Dec  1 11:57:43 12[IKE] <gw-gw|1> retransmit 1 of request with message ID 1\n\
                   Dec  1 11:57:47 11[IKE] <gw-gw|1> giving up after 2 retransmits\n\
                   Dec  1 11:57:47 11[IKE] <gw-gw|1> establishing IKE_SA failed, peer not responding";
        let report = diagnose("right.log", log);
        assert_eq!(ids(&report), ["p2-no-response"]);
        assert_eq!(report.findings[0].evidence.len(), 3);
    }

    #[test]
    fn libreswan_5_refusing_the_child_sa_with_temporary_failure() {
        // charon 5.9.8 against Libreswan 5.2 as responder whose kernel
        // refused the SA (lab ikev2-pluto-responder-healthy, libreswan-5.2)
        let log = "Dec  1 11:54:59 10[ENC] <gw-gw|1> generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(NO_ADD_ADDR) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]\n\
                   Dec  1 11:54:59 10[NET] <gw-gw|1> sending packet: from 192.0.2.74[4500] to 192.0.2.90[4500] (272 bytes)\n\
                   Dec  1 11:54:59 16[NET] <gw-gw|1> received packet: from 192.0.2.90[4500] to 192.0.2.74[4500] (128 bytes)\n\
                   Dec  1 11:54:59 16[ENC] <gw-gw|1> parsed IKE_AUTH response 1 [ IDr AUTH N(TEMP_FAIL) ]\n\
                   Dec  1 11:54:59 16[IKE] <gw-gw|1> received TEMPORARY_FAILURE notify error\n\
                   Dec  1 11:54:59 16[IKE] <gw-gw|1> IKE_SA gw-gw[1] state change: CONNECTING => DESTROYING";
        let report = diagnose("right.log", log);
        assert_eq!(ids(&report), ["p2-no-response"]);
        assert!(report.findings[0].summary.contains("TEMPORARY_FAILURE"));
        assert_eq!(report.findings[0].evidence.len(), 2);
    }

    #[test]
    fn unanswered_quick_mode_after_main_mode_is_reported() {
        let report = diagnose("right.log", UNANSWERED);
        assert_eq!(ids(&report), ["p2-no-response"]);
        let s = &report.findings[0].summary;
        assert!(
            s.contains("QUICK_MODE request was retransmitted 2 time(s)"),
            "{s}"
        );
        assert_eq!(report.findings[0].evidence.len(), 3);
    }

    #[test]
    fn an_answered_quick_mode_is_not() {
        let answered = UNANSWERED.replace(
            "sending retransmit 1 of request message ID 716047486, seq 4",
            "parsed QUICK_MODE response 716047486 [ HASH SA No ID ID ]",
        );
        assert!(!ids(&diagnose("right.log", &answered)).contains(&"p2-no-response"));
    }

    #[test]
    fn an_unanswered_phase_1_is_peer_unreachable_instead() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating Main Mode IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[ENC] <gw|1> generating ID_PROT request 0 [ SA V V V V V ]
Nov 27 10:00:04 14[IKE] <gw|1> sending retransmit 1 of request message ID 0, seq 1
Nov 27 10:00:08 15[IKE] <gw|1> giving up after 2 retransmits";
        assert_eq!(ids(&diagnose("i.log", log)), ["peer-unreachable"]);
    }
}
