//! `lifetime-mismatch`: the ends use different lifetimes (harmless).

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "lifetime-mismatch",
    family: "lifetime-mismatch",
    severity: Severity::Info,
    title: "Lifetimes differ (does not cause a failure)",
    explanation: "The two ends are configured with different Phase 1 or Phase 2 lifetimes. This does not \
        make a tunnel fail: IKEv2 does not negotiate lifetimes at all (each end rekeys on its own \
        schedule), and strongSwan in IKEv1 accepts the peer's lifetime and uses the shorter one. It is \
        reported so that it is not mistaken for the cause of a failure; equal lifetimes only make \
        rekeying easier to follow in the logs.",
    fix: &[
        "Nothing is required. For tidiness: VPN > IPsec > Tunnels > Phase 1 > Life Time and Phase 2 > Life \
         Time equal on both ends (swanctl.conf: rekey_time/life_time; ipsec.conf: ikelifetime/lifetime).",
    ],
    see_also: &["renegotiation"],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let differs = neg.first(|e| matches!(e, CharonEvent::LifetimeDiffers { .. }))?;
    let CharonEvent::LifetimeDiffers {
        received,
        configured,
    } = differs.event
    else {
        return None;
    };
    Some(Detection::new(
        format!(
            "The peer proposed a lifetime of {received}s, this side is configured for {configured}s. This does \
             not cause a failure; the shorter one is used."
        ),
        evidence([differs]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn ikev1_lifetime_difference_is_info() {
        let log = "charon: 09[IKE] received 3600s lifetime, configured 28800s";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["lifetime-mismatch"]);
        assert!(!report.has_errors());
    }
}
