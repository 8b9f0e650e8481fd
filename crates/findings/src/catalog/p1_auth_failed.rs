//! `p1-auth-failed`: the peer rejected Phase 1 authentication, and this log
//! alone cannot tell why.

use ipsec_doctor_events::{CharonEvent, Notify, PlutoEvent};

use super::common::{before_ike_up, evidence};
use crate::negotiation::{IkeVersion, Negotiation};
use crate::pluto::{self, PlutoConnection, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, ExplainedBy, Explainer, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "p1-auth-failed",
    family: &RULE,
    severity: Severity::Error,
    title: "Phase 1 authentication failed (cause not in this log)",
    explanation: "The peer answered AUTHENTICATION_FAILED. The cause is only in the peer's log: a \
        Main/Aggressive mode mismatch, an identifier that the peer does not expect, a different \
        pre-shared key, or (behind NAT) a pre-NAT address used as identifier. Give ipsec-doctor the \
        peer's log too, with the configuration backend (CFG) logged at level 2, and it will say which.",
    fix: &[
        "Collect the peer's IPsec log for the same minute (pfSense: Status > System Logs > IPsec, with \
         VPN > IPsec > Advanced Settings: IKE SA, IKE Child SA and Configuration Backend on Diag) and \
         run ipsec-doctor diagnose on both logs together.",
        "Meanwhile compare on both ends: Negotiation mode, My/Peer identifier, and Pre-Shared Key \
         (swanctl.conf: aggressive, local.id/remote.id, secrets).",
    ],
    see_also: &[SeeAlso::Rule(&super::aggressive_main_mismatch::RULE), SeeAlso::Rule(&super::p1_id_mismatch::RULE), SeeAlso::Rule(&super::psk_mismatch::RULE), SeeAlso::Rule(&super::nat_id_mismatch::RULE), SeeAlso::Guide("debugging")],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(80, pluto_signature), Scope::Pluto(90, pluto_signature_disabled), Scope::Pluto(120, pluto_no_psk), Scope::Pluto(130, pluto_refused), Scope::Pluto(140, pluto_rejected_by_peer)],
    explained_by: &[ExplainedBy { explainer: Explainer::Specific, same_moment: false }],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    if let Some(detection) = deleted_right_after_phase1(neg) {
        return Some(detection);
    }
    // This side, as responder, refused the peer's authentication for the
    // peer config it chose (charon `ike_auth.c`/`xauth.c`, 4.6.0-6.x).
    if let Some(refused) = neg.first(|e| matches!(e, CharonEvent::PeerConfigUnacceptable { .. })) {
        let CharonEvent::PeerConfigUnacceptable { name, reason } = &refused.event else {
            return None;
        };
        let why = if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        };
        return Some(
            Detection::new(
                format!(
                    "This side chose its peer config '{name}' for the peer{} but refused the peer's \
                     authentication{why}: the peer authenticates with another method or identity than \
                     this config requires (PSK against certificates, EAP, a certificate that fails the \
                     config's constraints).",
                    neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
                ),
                evidence([refused]),
            )
            .with_fix(format!(
                "strongSwan: compare connections.{name}.remote.auth (ipsec.conf: rightauth=) and the \
                 identity/CA constraints (remote.id, remote.cacerts) with what the peer uses; \
                 pfSense/OPNsense: the Phase 1's Authentication Method on both ends."
            ))
            .for_peer(
                "The peer chose a configuration for this side but refused this side's authentication: \
                 the authentication method or identity differs from what the peer requires.",
            ),
        );
    }
    let (index, failed) = neg.received_notify(&Notify::AuthenticationFailed)?;
    // IKEv2 answers AUTHENTICATION_FAILED in IKE_AUTH, before the IKE SA is up;
    // later it concerns something else (e.g. a reauthentication).
    if !before_ike_up(neg, index) {
        return None;
    }
    let mut lines = vec![failed];
    lines.extend(neg.first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. })));
    let version = match neg.version {
        Some(IkeVersion::V2) => " in IKE_AUTH",
        _ => "",
    };
    Some(Detection::new(
        format!(
            "The peer{} rejected this side's authentication{version}. The peer's log says why: identifiers, \
             pre-shared key or negotiation mode.",
            neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
        ),
        evidence(lines),
    ))
}

/// IKEv1 Main Mode responder: the initiator verifies this side's identity
/// last, so when it disagrees this side sees Phase 1 complete and then an
/// immediate DELETE, before any Phase 2.
fn deleted_right_after_phase1(neg: &Negotiation) -> Option<Detection> {
    if neg.version != Some(IkeVersion::V1) || neg.role != Some(crate::Role::Responder) {
        return None;
    }
    let up = neg.ike_established_at()?;
    let deleted = neg.entries[up..]
        .iter()
        .find(|e| matches!(e.event, CharonEvent::DeleteReceived))?;
    let phase2_started = neg.entries[up..].iter().any(|e| match &e.event {
        CharonEvent::ChildSaEstablished { .. } => true,
        CharonEvent::Message { exchange, .. } => exchange == "QUICK_MODE",
        _ => false,
    });
    if phase2_started {
        return None;
    }
    Some(Detection::new(
        format!(
            "Phase 1 completed on this side, but the peer{} deleted the IKE SA at once, before any Phase 2: \
             it did not accept this side's identity or authentication. The peer's log says why (behind NAT, \
             typically an identifier mismatch).",
            neg.remote.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
        ),
        evidence([&neg.entries[up], deleted]),
    ))
}

/// The peer's signature does not verify.
fn pluto_signature(c: &PlutoConnection<'_>) -> Option<Detection> {
    let sig = c.find(|e| matches!(e, PlutoEvent::SignatureFailed { .. }))?;
    Some(
        Detection::new(
            format!(
                "The peer's signature for {} does not verify with the certificate or key \
                 pluto has for it (another key, a certificate of another CA, or a signature \
                 hash this side does not accept). {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[Some(sig)]),
        )
        .with_fix(
            "Libreswan: check rightcert=/rightrsasigkey= and the CA in the NSS database \
             (certutil -L -d sql:/var/lib/ipsec/nss), and authby= (rsa-sha2, ecdsa) against \
             what the peer signs with."
                .to_owned(),
        ),
    )
}

/// The system's crypto policy disables the signature algorithm.
fn pluto_signature_disabled(c: &PlutoConnection<'_>) -> Option<Detection> {
    let sig = c.find(|e| matches!(e, PlutoEvent::SignatureAlgorithmDisabled { .. }))?;
    Some(
        Detection::new(
            format!(
                "pluto could not create or verify an authentication signature for {}: the \
                 system's crypto policy disables the algorithm (SHA-1 signatures, as RHEL 9 and \
                 its rebuilds do), so IKE_AUTH fails for peers that need it (Windows' built-in \
                 IKEv2 client with RSA certificates). {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[Some(sig)]),
        )
        .with_fix(
            "Allow SHA-1 signatures for IKE only where the peer cannot do better: `update-crypto-\
             policies --set DEFAULT:SHA1` (RHEL 9 family), or better configure the peer for \
             SHA-2 signatures (Windows: Set-VpnConnectionIPsecConfiguration, or certificates \
             signed with SHA-256) and use authby=rsa-sha2 on this side."
                .to_owned(),
        ),
    )
}

/// No pre-shared key for the identity.
fn pluto_no_psk(c: &PlutoConnection<'_>) -> Option<Detection> {
    let n = c.find(|e| matches!(e, PlutoEvent::NoPsk { .. }))?;
    let PlutoEvent::NoPsk { id } = &n.event else {
        return None;
    };
    Some(Detection::new(
        format!(
            "pluto has no pre-shared key for the identity '{id}' of {}: the secrets file \
             has no line for the IDs this connection uses. {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(n)]),
    ))
}

/// pluto refused the peer's authentication without saying why (Libreswan 5).
fn pluto_refused(c: &PlutoConnection<'_>) -> Option<Detection> {
    let r = c.find(|e| matches!(e, PlutoEvent::AuthRefused))?;
    Some(
        Detection::new(
            format!(
                "pluto refused the peer's authentication for {} (it answered IKE_AUTH with \
                 AUTHENTICATION_FAILED) and did not log why: Libreswan 5 does not name the check \
                 that failed (the peer's identity against its certificate's subjectAltName, the \
                 signature, the CA, the pre-shared key). {RUNS_PLUTO}",
                c.conn
            ),
            pluto::evidence(&[Some(r)]),
        )
        .with_fix(
            "Libreswan: compare rightid= with what the peer sends and, for certificates, with \
             the peer certificate's subjectAltName (certutil -L -d sql:/var/lib/ipsec/nss -n \
             NAME); check rightca= and the CA in the NSS database; `ipsec whack --debug base` \
             (or plutodebug=base) logs the failed check on the next attempt."
                .to_owned(),
        )
        .for_peer(
            "The peer refused this side's authentication (AUTHENTICATION_FAILED) without logging \
             why: compare this side's identity and certificate (its subjectAltName) with what the \
             peer requires (its rightid=, rightca=). (The peer runs Libreswan pluto.)",
        ),
    )
}

/// The peer rejected pluto's authentication, not in Aggressive Mode (see
/// `aggressive-main-mismatch`).
fn pluto_rejected_by_peer(c: &PlutoConnection<'_>) -> Option<Detection> {
    let a = c.find(|e| matches!(e, PlutoEvent::PeerAuthFailed))?;
    if c.any(|e| matches!(e, PlutoEvent::AggressivePsk)) {
        return None;
    }
    Some(Detection::new(
        format!(
            "The peer rejected pluto's authentication for {} (AUTHENTICATION_FAILED); only \
             the peer's log says why (PSK, identity, certificate). {RUNS_PLUTO}",
            c.conn
        ),
        pluto::evidence(&[Some(a)]),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn ikev2_auth_failed_in_ike_auth() {
        let log = "\
Nov 27 10:00:00 13[IKE] <gw|1> initiating IKE_SA gw[1] to 192.0.2.74
Nov 27 10:00:00 13[CFG] <gw|1> configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
Nov 27 10:00:01 15[ENC] <gw|1> parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]
Nov 27 10:00:01 15[IKE] <gw|1> received AUTHENTICATION_FAILED notify error";
        let report = diagnose("i.log", log);
        assert_eq!(ids(&report), ["p1-auth-failed"]);
        assert!(report.findings[0].summary.contains("192.0.2.74"));
    }
}
