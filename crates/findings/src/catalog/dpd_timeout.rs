//! `dpd-timeout`: an established tunnel was torn down because dead peer
//! detection got no answer.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::facts::MomentKind;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "dpd-timeout",
    family: &RULE,
    severity: Severity::Error,
    title: "Dead peer detection timeout",
    explanation: "The tunnel was up, then this side's dead peer detection (DPD) requests went unanswered \
        and it gave up and tore the tunnel down (or restarted it, per the DPD action). The peer went \
        away: rebooted, lost its WAN, its IKE daemon restarted and forgot the SA, or the path between \
        the two dropped UDP 500/4500. On small hardware under heavy IPsec load the peer may simply be too \
        busy to answer in time.",
    fix: &[
        "Check the peer's state at the time shown (reboot, WAN down, daemon restart) and the path between \
         the ends (UDP 500/4500).",
        "pfSense/OPNsense: VPN > IPsec > Tunnels > Phase 1 > Dead Peer Detection: keep it enabled so the \
         tunnel restarts by itself; on embedded hardware under heavy load, a longer delay or more \
         failures before giving up (or DPD off for that tunnel) avoids false alarms.",
        "strongSwan swanctl.conf: connections.<name>.dpd_delay and children.<child>.dpd_action = restart \
         (ipsec.conf: dpddelay=, dpdaction=restart); retransmission: charon.retransmit_* in strongswan.conf.",
    ],
    see_also: &[SeeAlso::Rule(&super::dpd_drop_embedded::RULE), SeeAlso::Guide("renegotiation")],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

/// The detection marks the teardown in the tunnel's history, which
/// `dpd-drop-embedded` reads.
fn detect(neg: &Negotiation) -> Option<Detection> {
    dpd_gave_up(neg).map(|d| d.marks(MomentKind::DpdDrop))
}

fn dpd_gave_up(neg: &Negotiation) -> Option<Detection> {
    if let Some(gave_up) = super::common::gave_up_on_an_earlier_sa(neg) {
        let mut lines = vec![&neg.entries[0], &neg.entries[gave_up]];
        lines.extend(neg.first(|e| matches!(e, CharonEvent::DpdRequest)));
        return Some(Detection::new(
            format!(
                "The IKE SA with {} was up before this log starts; a request on it (dead peer \
                 detection or another INFORMATIONAL) then went unanswered through every retransmit \
                 and this side gave up on the peer.",
                neg.remote.as_deref().unwrap_or("the peer")
            ),
            evidence(lines),
        ));
    }
    let was_up = neg.was_up_before || neg.ike_established_at().is_some();
    if !was_up {
        return None;
    }
    if let Some(timed_out) = neg.first(|e| matches!(e, CharonEvent::DpdTimedOut)) {
        return Some(Detection::new(
            format!(
                "IKEv1 dead peer detection for {} timed out and the DPD action was taken.",
                neg.remote.as_deref().unwrap_or("the peer")
            ),
            evidence([timed_out]),
        ));
    }
    let dpd_at = neg.position(|e| matches!(e, CharonEvent::DpdRequest))?;
    let gave_up = neg.entries[dpd_at..]
        .iter()
        .find(|e| matches!(e.event, CharonEvent::GivingUp { .. }))?;
    let mut lines = vec![&neg.entries[dpd_at], gave_up];
    lines.extend(
        neg.entries[dpd_at..]
            .iter()
            .find(|e| matches!(e.event, CharonEvent::Retransmit { .. })),
    );
    Some(Detection::new(
        format!(
            "The tunnel to {} was up; a DPD request then went unanswered through every retransmit and \
             this side gave up on the peer.",
            neg.remote.as_deref().unwrap_or("the peer")
        ),
        evidence(lines),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn unanswered_dpd_on_an_established_sa() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 10:00:00 09[IKE] <gw|1> CHILD_SA gw{1} established with SPIs c1_i c2_o and TS 192.168.48.0/24 === 10.42.42.0/24
Nov 27 10:00:05 11[IKE] <gw|1> sending DPD request
Nov 27 10:00:07 12[IKE] <gw|1> retransmit 1 of request with message ID 2
Nov 27 10:00:11 13[IKE] <gw|1> giving up after 2 retransmits";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["dpd-timeout", "tunnel-established"]);
    }

    #[test]
    fn an_earlier_sa_given_up_in_a_newest_first_gui_copy() {
        // OPNsense GUI copy read oldest first (real-logs strongswan-28): the
        // DPD lines are below the log level; the give-up comes before the
        // re-initiation that DPD's restart action logs under the old SA.
        let log = "\
Nov 19 09:34:42 \tcharon: 13[NET] <con1|1> sending packet: from <ip1>[500] to <ip2>[500] (80 bytes)
Nov 19 09:35:58 \tcharon: 10[IKE] <con1|1> giving up after 5 retransmits
Nov 19 09:35:58 \tcharon: 10[IKE] <con1|1> restarting CHILD_SA con1
Nov 19 09:35:58 \tcharon: 10[IKE] <con1|1> initiating IKE_SA con1[2] to <ip2>";
        assert_eq!(ids(&diagnose("l.log", log)), ["dpd-timeout"]);
    }

    #[test]
    fn a_dpd_request_shows_the_sa_was_up_before_the_log() {
        // charon sends DPD only on an established IKE SA.
        let log = "\
Nov 27 10:00:05 11[IKE] <gw|1> sending DPD request
Nov 27 10:00:11 13[IKE] <gw|1> giving up after 2 retransmits";
        assert_eq!(ids(&diagnose("l.log", log)), ["dpd-timeout"]);
    }

    #[test]
    fn retransmits_of_an_establishment_are_not_dpd() {
        let log = "\
Nov 27 10:00:05 11[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:07 11[IKE] <gw|1> retransmit 1 of request with message ID 0
Nov 27 10:00:11 13[IKE] <gw|1> giving up after 2 retransmits";
        assert_eq!(ids(&diagnose("l.log", log)), ["peer-unreachable"]);
        let log = "\
Nov 27 10:00:07 11[IKE] <gw|1> retransmit 1 of request with message ID 0
Nov 27 10:00:11 13[IKE] <gw|1> giving up after 2 retransmits";
        assert_eq!(ids(&diagnose("l.log", log)), ["peer-unreachable"]);
    }
}
