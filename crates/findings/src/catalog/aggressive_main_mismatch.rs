//! `aggressive-main-mismatch`: one end uses Aggressive Mode, the other Main Mode.

use ipsec_doctor_events::{CharonEvent, ExchangeMode, Notify, PlutoEvent};

use super::common::{before_ike_up, evidence};
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "aggressive-main-mismatch",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Phase 1 Main/Aggressive mode mismatch",
    explanation: "IKEv1 Phase 1 runs in Main Mode or Aggressive Mode, and both ends must use the same. \
        strongSwan refuses Aggressive Mode with a pre-shared key as responder (\"Aggressive Mode PSK \
        disabled for security reasons\") and answers AUTHENTICATION_FAILED, so the initiator only sees \
        an authentication failure. If the side set to Main initiates, the tunnel still establishes, \
        which is why such a mismatch can go unnoticed until the other side initiates.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Negotiation mode: set Main on both ends \
         (Aggressive only where an end has a dynamic address and cannot use Main).",
        "strongSwan swanctl.conf: connections.<name>.aggressive = no on both ends (ipsec.conf: aggressive=no).",
        "Only if Aggressive Mode with PSK is truly needed: charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes \
         in strongswan.conf on the responder (weak: the PSK hash can be cracked offline).",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(140, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(found) = neg.first(|e| matches!(e, CharonEvent::NoConfigAllows { .. })) {
        let CharonEvent::NoConfigAllows { auth, mode } = &found.event else {
            return None;
        };
        let mut lines = vec![found];
        lines.extend(neg.sent_notify(&Notify::AuthenticationFailed));
        return Some(Detection::new(
            format!(
                "The peer{} negotiates {mode} Mode with {auth} authentication; this side has a \
                 configuration for it, but none that allows {auth} in {mode} Mode: the ends disagree \
                 on the negotiation mode (Main/Aggressive) or on the authentication method.",
                neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            evidence(lines),
        )
        .for_peer(format!(
            "The peer has a configuration for this side, but none that allows {auth} in {mode} Mode: \
             the ends disagree on the negotiation mode or the authentication method."
        )));
    }
    if let Some(refused) = neg.first(|e| matches!(e, CharonEvent::AggressivePskDisabled)) {
        let mut lines = vec![refused];
        lines.extend(neg.first(|e| matches!(e, CharonEvent::PeerInitiating { .. })));
        lines.extend(neg.sent_notify(&Notify::AuthenticationFailed));
        return Some(Detection::new(
            format!(
                "The peer{} initiated in Aggressive Mode with a pre-shared key, which this side refuses \
                 (it is set to Main Mode, or Aggressive Mode PSK is disabled). Set the same negotiation \
                 mode on both ends.",
                neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            evidence(lines),
        ));
    }
    let initiated = neg.first(|e| {
        matches!(
            e,
            CharonEvent::InitiatingIkeSa {
                mode: ExchangeMode::Aggressive,
                ..
            }
        )
    })?;
    let (index, failed) = neg.received_notify(&Notify::AuthenticationFailed)?;
    if !before_ike_up(neg, index) {
        return None;
    }
    Some(Detection::new(
        format!(
            "This side initiated in Aggressive Mode{} and the peer answered AUTHENTICATION_FAILED before \
             Phase 1 completed: the peer is most likely set to Main Mode. (A pre-shared key or \
             identifier mismatch in Aggressive Mode looks the same from here; the peer's log decides.)",
            neg.remote.as_ref().map(|r| format!(" to {r}")).unwrap_or_default()
        ),
        evidence([initiated, failed]),
    ))
}

/// As the seed reads charon's Aggressive initiator: the peer refused
/// pluto's Aggressive Mode PSK and is most likely in Main Mode (a PSK or ID
/// mismatch looks the same here).
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let a = c.find(|e| matches!(e, PlutoEvent::PeerAuthFailed))?;
    let aggr = c.find(|e| matches!(e, PlutoEvent::AggressivePsk))?;
    Some(Detection::new(
        format!(
            "pluto initiated {} in Aggressive Mode with a pre-shared key and the peer \
             answered AUTHENTICATION_FAILED before Phase 1 completed: the peer is most likely \
             set to Main Mode or refuses Aggressive Mode PSK. (A pre-shared key or identifier \
             mismatch in Aggressive Mode looks the same from here; the peer's log decides.) \
             {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(aggr), Some(a)]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str =
        include_str!("../../tests/fixtures/seed/aggressive-main-mismatch/initiator.log");
    const RESPONDER: &str =
        include_str!("../../tests/fixtures/seed/aggressive-main-mismatch/responder.log");

    #[test]
    fn seed_initiator_alone() {
        let report = diagnose("i.log", INITIATOR);
        assert_eq!(ids(&report), ["aggressive-main-mismatch"]);
        assert!(report.findings[0]
            .summary
            .contains("Aggressive Mode to 192.0.2.74"));
    }

    #[test]
    fn seed_responder_alone() {
        assert_eq!(
            ids(&diagnose("r.log", RESPONDER))[0],
            "aggressive-main-mismatch"
        );
    }

    #[test]
    fn seed_both_sides() {
        let report = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        assert!(
            report
                .findings
                .iter()
                .filter(|f| f.id == "aggressive-main-mismatch")
                .count()
                == 2
        );
    }

    #[test]
    fn main_mode_auth_failure_is_not_a_mode_mismatch() {
        let log = "charon: 15[IKE] initiating Main Mode IKE_SA con2000[1] to 192.0.2.74\ncharon: 15[IKE] received AUTHENTICATION_FAILED error notify";
        assert!(!ids(&diagnose("i.log", log)).contains(&"aggressive-main-mismatch"));
    }
}
