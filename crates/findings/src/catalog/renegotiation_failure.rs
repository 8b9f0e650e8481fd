//! `renegotiation-failure`: a tunnel that was up fails when Phase 1 or
//! Phase 2 is renegotiated.

use ipsec_doctor_events::{CharonEvent, Notify};

use super::common::evidence;
use crate::negotiation::{Entry, Negotiation};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "renegotiation-failure",
    family: &RULE,
    severity: Severity::Error,
    title: "Tunnel fails at Phase 1 or Phase 2 renegotiation",
    explanation: "The tunnel came up, then failed when its Phase 1 or Phase 2 expired and was \
        renegotiated (rekeyed or reauthenticated). Typical causes are settings that only matter at \
        renegotiation: NAT-T changing ports, both ends rekeying at once, a peer that does not answer \
        while busy, or a peer that keeps stale SAs.",
    fix: &[
        "On both ends, try in turn (ipsec-doctor explain renegotiation):",
        "pfSense 2.2.2 and older: System > Advanced > Miscellaneous: uncheck Prefer Old IPsec SA.",
        "VPN > IPsec > Tunnels > Phase 1: disable NAT Traversal (NAT-T) where no NAT is in the path; enable \
         Dead Peer Detection.",
        "VPN > IPsec > Tunnels > Phase 2: set Automatically ping host to an address in the remote Phase 2 \
         network, so traffic keeps the SA in use.",
        "strongSwan: check rekey_time/over_time/rand_time (swanctl.conf) or margintime/rekeyfuzz (ipsec.conf) \
         and dpd_delay/dpd_action = restart.",
    ],
    see_also: &[SeeAlso::Guide("renegotiation"), SeeAlso::Rule(&super::dpd_timeout::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    // Where the tunnel was last known to be up: a CHILD SA of this IKE SA, or
    // an earlier negotiation of the same tunnel.
    let child_up = neg.position(|e| matches!(e, CharonEvent::ChildSaEstablished { .. }));
    let failed_from = |from: usize, is_failure: fn(&CharonEvent) -> bool| {
        (from..neg.entries.len())
            .find(|&i| is_failure(&neg.entries[i].event) && !retried_successfully(neg, i))
            .map(|i| &neg.entries[i])
    };
    let failed = match (child_up, neg.was_up_before) {
        (Some(i), _) => failed_from(i + 1, is_renegotiation_failure),
        (None, true) => failed_from(0, is_renegotiation_failure),
        // An IKE SA without CHILD SA can still fail to rekey itself.
        (None, false) => failed_from(neg.ike_established_at()?, is_rekey_failure),
    }?;
    let mut lines = Vec::new();
    lines.extend(child_up.map(|i| &neg.entries[i]));
    lines.push(failed);
    Some(Detection::new(
        format!(
            "The tunnel{} was up; a later renegotiation (rekeying of Phase 1 or Phase 2) failed.",
            neg.remote
                .as_ref()
                .map(|r| format!(" to {r}"))
                .unwrap_or_default()
        ),
        evidence(lines),
    ))
}

fn is_rekey_failure(event: &CharonEvent) -> bool {
    matches!(
        event,
        CharonEvent::RekeyFailed | CharonEvent::RekeyRetry { .. }
    )
}

/// A rekey charon put off (the peer answered TEMPORARY_FAILURE, as it does
/// when both ends rekey at once) that is not known to have failed: a CHILD
/// SA was established or the IKE SA rekeyed after it, or the log ends before
/// the retry came due. It failed if the retry failed again, or the log went
/// on past the retry's time without a rekey.
fn retried_successfully(neg: &Negotiation, at: usize) -> bool {
    let CharonEvent::RekeyRetry { seconds } = neg.entries[at].event else {
        return false;
    };
    let later = &neg.entries[at + 1..];
    let rekeyed = |e: &CharonEvent| {
        matches!(
            e,
            CharonEvent::ChildSaEstablished { .. } | CharonEvent::IkeSaRekeyed { .. }
        )
    };
    if later.iter().any(|e| rekeyed(&e.event)) {
        return true;
    }
    if later.iter().any(|e| is_rekey_failure(&e.event)) {
        return false;
    }
    let due = time_of(&neg.entries[at]).map(|t| t + i64::from(seconds));
    !later
        .iter()
        .any(|e| time_of(e).zip(due).is_some_and(|(t, due)| t >= due))
}

fn time_of(entry: &Entry) -> Option<i64> {
    entry.evidence.timestamp().map(|t| t.sort_key())
}

fn is_renegotiation_failure(event: &CharonEvent) -> bool {
    match event {
        CharonEvent::RekeyFailed
        | CharonEvent::RekeyRetry { .. }
        | CharonEvent::NoProposalFound
        | CharonEvent::NoMatchingChildProposal
        | CharonEvent::NoMatchingChildConfig
        | CharonEvent::TsUnacceptable { .. }
        | CharonEvent::NoPeerConfig
        | CharonEvent::PskMacMismatch { .. } => true,
        CharonEvent::NotifyReceived(n) | CharonEvent::ChildNotifyReceived(n) => matches!(
            n,
            Notify::NoProposalChosen
                | Notify::TsUnacceptable
                | Notify::InvalidIdInformation
                | Notify::AuthenticationFailed
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn refused_rekey_after_the_tunnel_was_up() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 10:00:00 09[IKE] <gw|1> CHILD_SA gw{1} established with SPIs c1_i c2_o and TS 192.168.48.0/24 === 10.42.42.0/24
Nov 27 11:00:00 11[IKE] <gw|1> received NO_PROPOSAL_CHOSEN notify error";
        assert!(ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn responder_refusing_a_rekey_after_the_tunnel_was_up() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> CHILD_SA net{1} established with SPIs 78_i 7a_o and TS 10.42.42.0/24 === 192.168.48.0/24
Nov 27 10:00:05 15[ENC] <gw|1> parsed CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No KE TSi TSr ]
Nov 27 10:00:05 15[IKE] <gw|1> no acceptable proposal found";
        assert!(ids(&diagnose("r.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn failure_before_any_child_sa_is_not_a_renegotiation() {
        let log = "Nov 27 10:00:05 15[IKE] <gw|1> received NO_PROPOSAL_CHOSEN notify error";
        assert!(!ids(&diagnose("r.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn a_rekey_put_off_by_a_collision_and_then_done_is_no_failure() {
        // From the lab's frequent-rekey scenario: both ends rekeyed at once,
        // the peer answered TEMPORARY_FAILURE, charon tried again and won.
        let log = "\
Nov 27 10:00:00 16[IKE] <gw-gw|1> IKE_SA gw-gw[1] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]
Nov 27 10:00:00 16[IKE] <gw-gw|1> CHILD_SA net-net{1} established with SPIs b9ee03ef_i 696ed24f_o and TS 192.168.48.0/24 === 10.42.42.0/24
Nov 27 10:00:04 09[IKE] <gw-gw|1> received TEMPORARY_FAILURE notify
Nov 27 10:00:04 09[IKE] <gw-gw|1> CHILD_SA rekeying failed, trying again in 13 seconds
Nov 27 10:00:17 10[IKE] <gw-gw|1> outbound CHILD_SA net-net{3} established with SPIs a2a2dc41_i bf5584e5_o and TS 192.168.48.0/24 === 10.42.42.0/24";
        let report = diagnose("l.log", log);
        assert!(
            !ids(&report).contains(&"renegotiation-failure"),
            "{report:?}"
        );
    }

    #[test]
    fn rekey_failed_line() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 11:00:00 11[IKE] <gw|1> rekeying IKE_SA failed, peer not responding";
        assert!(ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn a_put_off_rekey_that_fails_again_is_a_failure() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 11:00:00 11[IKE] <gw|1> CHILD_SA rekeying failed, trying again in 20 seconds
Nov 27 11:00:20 11[IKE] <gw|1> CHILD_SA rekeying failed, trying again in 20 seconds";
        assert!(ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn a_put_off_rekey_whose_time_passed_without_a_rekey_is_a_failure() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 11:00:00 11[IKE] <gw|1> CHILD_SA rekeying failed, trying again in 20 seconds
Nov 27 11:05:00 11[IKE] <gw|1> sending DPD request";
        assert!(ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }

    #[test]
    fn a_put_off_rekey_at_the_end_of_the_log_is_not_known_to_fail() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 11:00:00 11[IKE] <gw|1> CHILD_SA rekeying failed, trying again in 20 seconds
Nov 27 11:00:05 11[IKE] <gw|1> sending DPD request";
        assert!(!ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }
}
