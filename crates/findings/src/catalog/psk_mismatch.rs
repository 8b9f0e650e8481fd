//! `psk-mismatch`: the two ends have different pre-shared keys.

use ipsec_doctor_events::{CharonEvent, PlutoEvent, RacoonEvent};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::racoon::{about, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "psk-mismatch",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Phase 1 pre-shared key mismatch",
    explanation: "The pre-shared keys differ. In IKEv1 Main Mode the key is part of the encryption key of \
        the third exchange, so a wrong key shows as payloads that cannot be decrypted (\"invalid \
        HASH_V1/ID_V1 payload length, decryption failed?\", \"could not decrypt payloads\"). In IKEv2 the \
        responder finds the peer's configuration but the authentication MAC does not verify (\"tried 1 \
        shared key for ... but MAC mismatched\") and answers AUTHENTICATION_FAILED.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Pre-Shared Key: enter the same key on \
         both ends (copy it; watch for trailing spaces and characters that differ between keyboard layouts).",
        "strongSwan swanctl.conf: secrets { ike-<name> { id = <peer id>  secret = \"...\" } } with the same \
         secret on both ends (ipsec.secrets: <ids> : PSK \"...\"). A secret written 0s... is base64, \
         0x... is hex: write it the same way on both ends.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Racoon(racoon), Scope::Pluto(100, pluto_hash), Scope::Pluto(110, pluto_undecryptable)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(mac) = neg.first(|e| matches!(e, CharonEvent::PskMacMismatch { .. })) {
        let mut lines = vec![mac];
        lines.extend(neg.first(|e| matches!(e, CharonEvent::LookingForPeerConfigs { .. })));
        return Some(Detection::new(
            format!(
                "The peer{} was found in this side's configuration, but its authentication does not \
                 verify with the pre-shared key configured here: the keys differ.",
                neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            ),
            evidence(lines),
        )
        .for_peer(
            "The peer found this side's configuration, but this side's authentication did not verify \
             with the peer's pre-shared key: the keys differ.",
        ));
    }
    // charon 4.x-6.x (`ike_auth`/`psk_authenticator`): `no shared key found
    // for 'a'[a] - 'b'[b]`: no secret for these identities at all.
    if let Some(missing) = neg.first(|e| matches!(e, CharonEvent::NoSharedKey)) {
        return Some(
            Detection::new(
                "charon has no pre-shared key for the identities of this negotiation (\"no shared \
                 key found\"): the secret is missing, or it is stored for other identities than \
                 the ones the peers use (IDs by address vs. by name)."
                    .to_owned(),
                evidence([missing]),
            )
            .with_fix(
                "strongSwan: add the secret for exactly these identities (swanctl.conf secrets { \
                 ike-x { id = ...; secret = ... } }, ipsec.secrets: 'LOCAL_ID REMOTE_ID : PSK \"...\"'); \
                 pfSense/OPNsense: VPN > IPsec > Pre-Shared Keys, or the Phase 1's identifiers.",
            ),
        );
    }
    // Keys derived from different keys fail the exchange that would
    // establish the IKE SA. Once it is established, the keys agree: a message
    // that fails to decrypt or verify later belongs to another SA (IKEv1
    // peers that rekeyed at once keep duplicates) and says nothing of the key.
    let before_up = &neg.entries[..neg.ike_established_at().unwrap_or(neg.entries.len())];
    let first_of = |pred: fn(&CharonEvent) -> bool| before_up.iter().find(|e| pred(&e.event));
    let payload = first_of(|e| matches!(e, CharonEvent::InvalidPayloadLength { .. }));
    let hash = first_of(|e| matches!(e, CharonEvent::HashMismatch));
    let first = payload.or(hash)?;
    let mut lines = vec![first];
    lines.extend(first_of(|e| matches!(e, CharonEvent::CouldNotDecrypt)));
    lines.extend(first_of(|e| matches!(e, CharonEvent::MessageParsingFailed)));
    let what = match &first.event {
        CharonEvent::InvalidPayloadLength { payload } => {
            format!("the peer's encrypted {payload} payload decrypts to garbage")
        }
        _ => "the peer's HASH does not verify".to_owned(),
    };
    Some(Detection::new(
        format!("In IKEv1 Main Mode {what}: the two ends derived different keys from different pre-shared keys."),
        evidence(lines),
    ))
}

/// racoon found no pre-shared key for the peer (ipsec-tools `oakley.c`):
/// this side has no key for the peer's address or identity, so the keys
/// cannot match.
fn racoon(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::PskNotFound))
        .into_iter()
        .map(|(tunnel, lines)| {
            let summary = format!(
                "racoon found no pre-shared key for the peer{}: psk.txt has no line for the peer's \
                 address or identity (or the file is not readable by racoon), so Phase 1 cannot \
                 authenticate.",
                about(&tunnel)
            );
            let shown: Vec<_> = lines.into_iter().take(3).collect();
            let detection = Detection::new(summary, crate::racoon::evidence(shown)).with_fix(
                "racoon: add the peer's address (or its identifier) and the key to psk.txt \
                 (pfSense 2.1: VPN > IPsec > the Phase 1's Pre-Shared Key), and check the file is \
                 mode 600 and owned by root.",
            );
            (tunnel, detection)
        })
        .collect()
}

/// pluto computed another AUTH/HASH than the peer sent.
fn pluto_hash(c: &PlutoConnection<'_>) -> Option<Detection> {
    let h = c.find(|e| matches!(e, PlutoEvent::HashMismatch))?;
    Some(
        Detection::new(
            format!(
                "pluto computed a different AUTH/HASH than the peer sent for {}: the pre-shared \
                 keys differ. {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[Some(h)]),
        )
        .for_peer(
            "The peer computed a different AUTH/HASH: the pre-shared keys differ. (The peer runs \
             Libreswan pluto.)",
        )
        .with_fix(
            "If the keys are the same on both ends: Openswan 2.6 computes IKEv1 HASHes with \
             SHA2-512 wrongly; with ike=...-sha2_512 try sha2_256, or move to Libreswan."
                .to_owned(),
        ),
    )
}

/// pluto could not decrypt the peer's Main Mode answer (IKEv1).
fn pluto_undecryptable(c: &PlutoConnection<'_>) -> Option<Detection> {
    let u = c.find(|e| matches!(e, PlutoEvent::UndecryptableReply))?;
    let last = c.last(|e| matches!(e, PlutoEvent::UndecryptableReply));
    Some(Detection::new(
        format!(
            "pluto could not decrypt the peer's Main Mode answer for {} (IKEv1): the keys \
             derived from the pre-shared key differ. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(u), last]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const INITIATOR: &str = include_str!("../../tests/fixtures/seed/psk-mismatch/initiator.log");
    const RESPONDER: &str = include_str!("../../tests/fixtures/seed/psk-mismatch/responder.log");

    #[test]
    fn seed_each_side_alone_and_both() {
        assert_eq!(ids(&diagnose("i.log", INITIATOR)), ["psk-mismatch"]);
        assert_eq!(ids(&diagnose("r.log", RESPONDER)), ["psk-mismatch"]);
        let both = diagnose_files(&[("i.log", INITIATOR), ("r.log", RESPONDER)]);
        assert_eq!(both.findings.len(), 2);
        assert_eq!(ids(&both), ["psk-mismatch"]);
    }

    #[test]
    fn a_message_that_fails_to_decrypt_after_the_ike_sa_is_up_is_not_a_key_mismatch() {
        // IKEv1 ends that rekeyed at the same moment keep duplicate IKE SAs,
        // and a message can reach the wrong one.
        let log = "\
Nov 27 10:00:00 09[IKE] <gw|1> IKE_SA gw[1] established between 192.0.2.90[192.0.2.90]...192.0.2.74[192.0.2.74]
Nov 27 10:00:00 09[IKE] <gw|1> CHILD_SA gw{1} established with SPIs c1_i c2_o and TS 192.168.48.0/24 === 10.42.42.0/24
Nov 27 10:00:07 11[ENC] <gw|1> invalid HASH_V1 payload length, decryption failed?
Nov 27 10:00:07 11[ENC] <gw|1> could not decrypt payloads
Nov 27 10:00:07 11[IKE] <gw|1> message parsing failed";
        assert!(!ids(&diagnose("l.log", log)).contains(&"psk-mismatch"));
    }

    #[test]
    fn ikev2_mac_mismatch() {
        let log = "Nov 27 10:00:01 05[CFG] <3> looking for peer configs matching 192.0.2.74[right]...192.0.2.90[left]\n\
                   Nov 27 10:00:01 05[IKE] <gw|3> tried 1 shared key for 'right' - 'left', but MAC mismatched";
        assert_eq!(ids(&diagnose("r.log", log)), ["psk-mismatch"]);
    }

    #[test]
    fn racoon_finds_no_pskey_even_in_a_wrapped_paste() {
        // racoon's own log file, lines wrapped by the paste (real-logs racoon-01).
        let log = "2002-12-29 12:48:31: NOTIFY: oakley.c:2040:oakley_skeyid(): \n\
                   couldn't find the proper pskey, try to get one by the peer's address.\n\
                   2002-12-29 12:48:31: ERROR: oakley.c:2054:oakley_skeyid(): couldn't find \n\
                   the pskey for B.B.B.B.";
        assert!(ids(&diagnose("racoon.log", log)).contains(&"psk-mismatch"));
    }

    #[test]
    fn no_shared_key_for_the_identities() {
        // OPNsense (real-logs strongswan-20).
        let log = "Nov 23 22:29:43 opnsense charon: 09[IKE] <con1-000|4> no shared key found for 'A.A.A.A'[A.A.A.A] - 'B.B.B.B'[B.B.B.B]";
        assert_eq!(ids(&diagnose("l.log", log)), ["psk-mismatch"]);
    }
}
