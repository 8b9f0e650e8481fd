//! `renegotiation-failure`: a tunnel that was up fails when Phase 1 or
//! Phase 2 is renegotiated.

use ipsec_doctor_events::{CharonEvent, Notify};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "renegotiation-failure",
    family: "renegotiation-failure",
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
    see_also: &["renegotiation", "dpd-timeout"],
    scope: Scope::Negotiation(detect),
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let up_at = neg.ike_established_at();
    if let Some(failed) = neg.first(|e| matches!(e, CharonEvent::RekeyFailed)) {
        if neg.was_up_before || up_at.is_some() {
            return Some(Detection::new(
                format!(
                    "The tunnel to {} was up; its rekeying then failed.",
                    neg.remote.as_deref().unwrap_or("the peer")
                ),
                evidence([failed]),
            ));
        }
    }
    // A rekey exchange refused by the peer after the SA was up.
    let up_at = up_at?;
    let refused = neg.entries[up_at..].iter().find(|e| match &e.event {
        CharonEvent::NotifyReceived(n) => matches!(
            n,
            Notify::NoProposalChosen | Notify::TsUnacceptable | Notify::InvalidIdInformation | Notify::AuthenticationFailed
        ),
        _ => false,
    })?;
    // Only after a CHILD SA was up: the first CHILD SA failing is Phase 2's own finding.
    let child_up = neg.entries[..neg.entries.len()]
        .iter()
        .position(|e| matches!(e.event, CharonEvent::ChildSaEstablished { .. }))?;
    let refused_at = neg.entries.iter().position(|e| std::ptr::eq(e, refused))?;
    if refused_at < child_up {
        return None;
    }
    Some(Detection::new(
        "The tunnel was up; a later renegotiation was refused by the peer.",
        evidence([&neg.entries[child_up], refused]),
    ))
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
    fn rekey_failed_line() {
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[left]...192.0.2.74[right]
Nov 27 11:00:00 11[IKE] <gw|1> CHILD_SA rekeying failed, trying again in 20 seconds";
        assert!(ids(&diagnose("l.log", log)).contains(&"renegotiation-failure"));
    }
}
