//! `config-load-error`: the daemon refused to load a connection, a secret
//! or a certificate, so the tunnel cannot come up as configured.

use ipsec_doctor_events::{CharonEvent, ConfigPart, PlutoEvent, RacoonEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::racoon::{about, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "config-load-error",
    family: &RULE,
    severity: Severity::Error,
    title: "Configuration refused by the daemon",
    explanation: "The IKE daemon (or its loader: swanctl, ipsec starter, whack) refused part of the \
        configuration when it was loaded: an unknown or unsupported algorithm, a contradictory \
        proposal or PFS setting, a syntax error, a missing certificate, key or secrets file. The \
        connection is then not loaded at all (pluto: \"Failed to add connection\"; charon: \"config \
        discarded\") or runs without the refused part, and the tunnel fails in a way that the peer \
        sees as a proposal or authentication mismatch. The rejected value is in the quoted line.",
    fix: &[
        "Correct the value the line names and load the configuration again (swanctl --load-all, ipsec \
         reload / ipsec update, ipsec auto --add NAME); check that it is now loaded (swanctl \
         --list-conns, ipsec statusall, ipsec auto --status).",
        "Algorithms a newer daemon no longer supports (Libreswan 4+: modp1024, 3des, md5 on \
         FIPS/RHEL 9; strongSwan 5.5+: an IKE proposal without a DH group): choose ones both ends \
         support, e.g. aes256-sha256-modp2048 (Libreswan: ike=aes256-sha2_256;modp2048).",
        "pfSense/OPNsense: the GUI writes the configuration; an error here after an upgrade means a \
         Phase 1 or Phase 2 setting the new strongSwan refuses: edit and save the tunnel again.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_proposal_mismatch::RULE), SeeAlso::Rule(&super::p2_proposal_mismatch::RULE), SeeAlso::Rule(&super::weak_crypto::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Racoon(racoon), Scope::Pluto(20, pluto)],
    explained_by: &[],
};

/// What the refused part breaks, in words.
fn consequence(affects: ConfigPart) -> &'static str {
    match affects {
        ConfigPart::Phase1Proposal => "the Phase 1 (IKE) proposal",
        ConfigPart::Phase2Proposal => "the Phase 2 (ESP/AH) proposal or its PFS setting",
        ConfigPart::Credentials => "authentication (a secret, certificate or key)",
        _ => "the connection",
    }
}

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(missing) = neg.first(|e| matches!(e, CharonEvent::NoConfigNamed { .. })) {
        let CharonEvent::NoConfigNamed { name } = &missing.event else {
            return None;
        };
        return Some(Detection::new(
            format!(
                "charon was asked to start '{name}' but has no connection of that name loaded: the \
                 configuration was not loaded (a syntax error refused it, or the GUI did not write \
                 it: on pfSense/OPNsense a Phase 1 on an interface or VIP that is not up is left \
                 out)."
            ),
            evidence([missing]),
        ));
    }
    let refused = neg.first(|e| matches!(e, CharonEvent::ConfigLoadFailed { .. }))?;
    let CharonEvent::ConfigLoadFailed { what, affects } = &refused.event else {
        return None;
    };
    let more = neg
        .all(|e| matches!(e, CharonEvent::ConfigLoadFailed { .. }))
        .take(3);
    Some(Detection::new(
        format!(
            "strongSwan refused the configuration when loading it (\"{what}\"): {} is not in effect, \
             so the tunnel cannot come up as configured.",
            consequence(*affects)
        ),
        evidence(std::iter::once(refused).chain(more)),
    ))
}

/// racoon will not read its pre-shared key file.
fn racoon(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::PskFileUnreadable { .. }))
        .into_iter()
        .map(|(tunnel, lines)| {
            let what = lines
                .iter()
                .find_map(|e| match &e.event {
                    RacoonEvent::PskFileUnreadable { what } => Some(what.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let summary = format!(
                "racoon will not read its pre-shared key file{} (\"{what}\"): no PSK is available, so \
                 Phase 1 cannot authenticate.",
                about(&tunnel)
            );
            let shown: Vec<_> = lines.into_iter().take(3).collect();
            let detection = Detection::new(summary, crate::racoon::evidence(shown)).with_fix(
                "racoon: chmod 600 and chown root the psk.txt file (racoon refuses a file others can \
                 read), then restart racoon.",
            );
            (tunnel, detection)
        })
        .collect()
}

/// pluto refused the connection (or its secrets) when it was added, unless
/// the connection was loaded again and came up after it.
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let failed = c
        .find(|e| matches!(e, PlutoEvent::ConfigLoadFailed { .. }))
        .filter(|f| !c.came_up_after(f))?;
    let PlutoEvent::ConfigLoadFailed { what, affects } = &failed.event else {
        return None;
    };
    Some(
        Detection::new(
            format!(
                "pluto refused {} when it was loaded (\"{what}\"): {} is not in effect, so \
                 the connection is not there to negotiate. {RUNS_PLUTO}",
                c.conn,
                consequence(*affects)
            ),
            pluto::evidence(&[Some(failed)]),
        )
        .with_fix(
            "Libreswan: correct the value in ipsec.conf (ike=, esp=/phase2alg=, leftcert=) and \
             run `ipsec auto --add NAME` (or restart ipsec); `ipsec auto --status` must then list \
             the connection. `ipsec algparse` shows what this Libreswan supports."
                .to_owned(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn swanctl_and_vici_refusals() {
        for line in [
            "Nov 27 00:31:57 fw1 charon[42]: 12[CFG] invalid value for: proposals, config discarded",
            "Nov 27 00:31:57 fw1 charon[42]: 12[CFG] algorithm 'aes257' not recognized",
            "loading connection 'gw' failed: invalid value for: esp_proposals, config discarded",
        ] {
            assert_eq!(ids(&diagnose("l.log", line)), ["config-load-error"], "{line}");
        }
    }

    #[test]
    fn starter_refuses_ipsec_conf() {
        // strongSwan 4.5 starter output (real-logs strongswan-30).
        let log = "Starting strongSwan 4.5.2 IPsec [starter]...\n\
                   /etc/ipsec.conf:6: syntax error, unexpected FIRST_SPACES [      ]\n\
                   unable to start strongSwan -- fatal errors in config";
        assert_eq!(ids(&diagnose("out.txt", log)), ["config-load-error"]);
    }

    #[test]
    fn pluto_fails_to_add_a_connection() {
        // Libreswan 3.2x through whack and syslog (real-logs libreswan-14, -17).
        for log in [
            "036 Failed to add connection \"vpn\": ike string error: IKE DH algorithm 'modp1024' is not supported",
            "Mar 25 14:56:43 pi pluto[8885]: Failed to add connection \"l2tp-psk\", esp=\"aes256-sha2_512\" is invalid: ESP integrity algorithm 'sha2_512' is not supported",
        ] {
            let report = diagnose("l.log", log);
            assert_eq!(ids(&report), ["config-load-error"], "{log}");
        }
    }

    #[test]
    fn racoon_psk_file_with_weak_permissions() {
        let log = "ERROR: /etc/racoon/psk.txt has weak file permission\n\
                   ERROR: failed to open pre_share_key file /etc/racoon/psk.txt";
        assert!(ids(&diagnose("racoon.log", log)).contains(&"config-load-error"));
    }
}
