//! `negotiation-incomplete`: a negotiation started and the log ends (or
//! moves on) before it succeeded or failed, or before a CHILD SA came up
//! on its IKE SA.

use ipsec_doctor_events::{CharonEvent, PlutoEvent, RacoonEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::racoon::RacoonLog;
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "negotiation-incomplete",
    family: &RULE,
    severity: Severity::Warning,
    title: "Negotiation started, outcome not in the log",
    explanation: "The log shows an IKE negotiation starting (this side initiating, or the peer \
        initiating to it) but neither an established IKE SA nor a failure, or an IKE SA established \
        with no CHILD SA (Phase 2) established or refused on it: the excerpt ends too early, \
        the lines that decide it were cut from a paste, or the log levels hide them. This is no \
        all-clear: the tunnel may well be down. (The finding is given only when no other finding \
        explains the negotiation; exit code 1.)",
    fix: &[
        "Give the log from the negotiation's start until a minute after it: the lines \"IKE_SA ... \
         established\" or the failure (\"giving up\", \"NO_PROPOSAL_CHOSEN\", \"AUTHENTICATION_FAILED\") \
         decide it.",
        "If the log has no more lines, raise the log levels (ipsec-doctor explain debugging) and \
         reproduce; the other side's log is the next best source.",
        "For a tunnel that is up now, `swanctl --list-sas` (or `ipsec statusall`, Libreswan's `ipsec \
         trafficstatus`) shows its SAs.",
    ],
    see_also: &[SeeAlso::Guide("debugging"), SeeAlso::Rule(&super::peer_unreachable::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Racoon(racoon), Scope::Pluto(250, pluto)],
    // Libreswan answers TS_UNACCEPTABLE when its kernel refuses the SA, or
    // (IKEv1) leaves the Quick Mode unfinished; only the refusal of the
    // same moment is explained so.
    explained_by: &[ExplainedBy { explainer: Explainer::PeerRefusal, same_moment: true }],
};

/// Only a negotiation whose start is in the log and whose outcome is not;
/// the diagnoser keeps this finding only when no other explains the
/// negotiation.
fn detect(neg: &Negotiation) -> Option<Detection> {
    no_outcome(neg).or_else(|| ike_sa_without_child_sa(neg))
}

/// The IKE SA came up and the log ends (or the SA goes) before a CHILD SA
/// is established or refused on it: no tunnel carries traffic yet, so no
/// all-clear. IKEv2 sets the first CHILD SA up inside IKE_AUTH, a few lines
/// after `IKE_SA ... established`; IKEv1 in a Quick Mode after Main or
/// Aggressive Mode. Not for a tunnel up earlier in the log (its CHILD SAs
/// move to a new IKE SA on rekey and reauthentication).
fn ike_sa_without_child_sa(neg: &Negotiation) -> Option<Detection> {
    if neg.child_established() || neg.was_up_before {
        return None;
    }
    let up = &neg.entries[neg.ike_established_at()?];
    let last = neg.entries.last()?;
    // A peer that cannot install the IPsec SA leaves this side waiting for
    // the rest of the Quick Mode (lab ikev1-pluto-healthy: pluto 4 and 5
    // against charon); the pairing takes the cause from the peer's log.
    Some(
        Detection::new(
            format!(
                "The IKE SA with {} came up (line {}), but the log shows no CHILD SA (Phase 2) \
             established or refused on it ({} line(s) of it, the last at line {}): no traffic \
             passes without one.",
                neg.remote.as_deref().unwrap_or("the peer"),
                up.evidence.line,
                neg.entries.len(),
                last.evidence.line
            ),
            evidence([up, last]),
        )
        .cause_in_peer_log(),
    )
}

fn no_outcome(neg: &Negotiation) -> Option<Detection> {
    // An IKE SA rekeyed was up before (a routine rekey of a tunnel older
    // than the log); the redundant IKE SA of a lost rekey collision is
    // dropped on purpose.
    if neg.ike_established_at().is_some()
        || neg.child_established()
        || neg.was_up_before
        || neg.any(|e| {
            matches!(
                e,
                CharonEvent::IkeSaRekeyed { .. } | CharonEvent::RekeyCollisionLost { .. }
            )
        })
    {
        return None;
    }
    // Its start, or (in an excerpt that begins later) a message of the
    // exchanges that establish an IKE SA, proposals chosen or refused with
    // no SA established after them, or a packet.
    let start = neg.first(|e| match e {
        CharonEvent::InitiatingIkeSa { .. } | CharonEvent::PeerInitiating { .. } => true,
        CharonEvent::Message { exchange, .. } => {
            matches!(
                exchange.as_str(),
                "IKE_SA_INIT" | "IKE_AUTH" | "ID_PROT" | "AGGRESSIVE"
            )
        }
        CharonEvent::Proposals { .. } => true,
        // A packet exchanged with the peer and nothing else: no all-clear
        // (a log cut after charon's "received packet" line, every version).
        CharonEvent::Packet { .. } => true,
        _ => false,
    })?;
    let last = neg.entries.last()?;
    Some(Detection::new(
        format!(
            "An IKE negotiation with {} started, but the log shows neither its success nor its failure \
             ({} line(s) of it, the last at line {}).",
            neg.remote.as_deref().unwrap_or("the peer"),
            neg.entries.len(),
            last.evidence.line
        ),
        evidence([start, last]),
    ))
}

/// racoon started Phase 1 with a peer and neither an ISAKMP-SA with it
/// nor an error followed (other racoon findings read the errors; the
/// diagnoser keeps this one only where no other racoon finding stands).
fn racoon(log: &RacoonLog) -> Vec<TunnelDetection> {
    let started = |e: &RacoonEvent| {
        matches!(
            e,
            RacoonEvent::Phase1Initiate { .. } | RacoonEvent::Phase1Respond { .. }
        )
    };
    // An outcome: established, or failed (other findings and
    // logging-insufficient say why).
    let outcome = |e: &RacoonEvent| {
        matches!(
            e,
            RacoonEvent::IsakmpSaEstablished { .. } | RacoonEvent::NegotiationFailed
        )
    };
    log.by_tunnel(started)
        .into_iter()
        .filter_map(|(tunnel, lines)| {
            let first = *lines.first()?;
            // After the start, an outcome of this tunnel or of a line that
            // names none (racoon names the tunnel on few lines).
            let settled = log
                .entries
                .iter()
                .skip_while(|e| !std::ptr::eq(*e, first))
                .any(|e| outcome(&e.event) && (e.tunnel.is_none() || e.tunnel == tunnel));
            if settled {
                return None;
            }
            let last = log.entries.last().unwrap_or(first);
            Some((
                tunnel,
                Detection::new(
                    "racoon started Phase 1, but no established ISAKMP-SA with this peer is in this \
                     log."
                        .to_owned(),
                    crate::racoon::evidence([first, last]),
                ),
            ))
        })
        .collect()
}

/// A negotiation started and its end is not in the log.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let start = c.find(|e| {
        matches!(
            e,
            PlutoEvent::Initiating { .. }
                | PlutoEvent::Responding { .. }
                | PlutoEvent::Retransmit { .. }
        )
    })?;
    Some(Detection::new(
        format!(
            "A negotiation of {} started, but neither its success nor its failure is in \
             this log: the excerpt ends too early or pluto's log level hides the outcome. \
             {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(start), c.entries.last()]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn an_initiation_cut_off_before_its_answer() {
        let log = "Nov 27 00:31:57 13[IKE] initiating IKE_SA gw[1] to 192.0.2.74\n\
                   Nov 27 00:31:57 13[ENC] generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]\n\
                   Nov 27 00:31:57 13[NET] sending packet: from 192.0.2.90[500] to 192.0.2.74[500] (464 bytes)";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["negotiation-incomplete"]);
        assert!(
            report.has_problems(),
            "no all-clear for a cut-off negotiation"
        );
        assert!(!report.has_errors());
    }

    #[test]
    fn an_ike_sa_up_and_the_log_ends_before_its_child_sa() {
        // strongSwan 5.9.8, lab ikev2-healthy cut after its "established" line.
        let log = "Nov 27 00:31:57 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74\n\
                   Nov 27 00:31:57 13[ENC] <gw|1> generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]\n\
                   Nov 27 00:31:57 11[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["negotiation-incomplete"]);
        assert!(report.findings[0].summary.contains("no CHILD SA"));
        assert!(report.has_problems(), "no all-clear without a CHILD SA");
    }

    #[test]
    fn not_given_for_the_redundant_ike_sa_of_a_lost_rekey_collision() {
        // Both ends rekeyed at once (strongSwan 6.0.1, lab ikev2-frequent-rekey):
        // the new IKE SA [2] negotiated here is dropped, the peer's [3] goes on.
        let log = "Dec  1 11:34:18 11[ENC] <gw-gw|1> parsed CREATE_CHILD_SA response 4 [ SA No KE ]\n\
                   Dec  1 11:34:18 11[CFG] <gw-gw|2> received proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048\n\
                   Dec  1 11:34:18 11[CFG] <gw-gw|2> selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048\n\
                   Dec  1 11:34:18 11[IKE] <gw-gw|1> IKE_SA rekey collision lost, deleting redundant IKE_SA gw-gw[2]\n\
                   Dec  1 11:34:18 11[IKE] <gw-gw|1> IKE_SA gw-gw[3] rekeyed between 192.0.2.74[192.0.2.74]...192.0.2.90[192.0.2.90]\n\
                   Dec  1 11:34:19 10[ENC] <gw-gw|2> parsed INFORMATIONAL response 0 [ ]\n\
                   Dec  1 11:34:19 10[IKE] <gw-gw|2> IKE_SA deleted";
        let report = diagnose("r.log", log);
        assert!(
            !ids(&report).contains(&"negotiation-incomplete"),
            "{:?}",
            ids(&report)
        );
    }

    #[test]
    fn not_given_when_the_failure_is_known() {
        let log = "Nov 27 00:31:57 13[IKE] initiating IKE_SA gw[1] to 192.0.2.74\n\
                   Nov 27 00:32:10 13[IKE] giving up after 5 retransmits\n\
                   Nov 27 00:32:10 13[IKE] establishing IKE_SA failed, peer not responding";
        assert_eq!(ids(&diagnose("l.log", log)), ["peer-unreachable"]);
    }

    #[test]
    fn a_child_sa_chosen_and_never_reported_established() {
        let log = "Nov 27 00:00:00 opn charon[1]: 15[CFG] <gw|541> selected proposal: ESP:AES_CBC_256/HMAC_SHA2_256_128/ECP_521/NO_EXT_SEQ";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["negotiation-incomplete"]);
    }
}
