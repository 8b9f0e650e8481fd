//! `eap-failure`: EAP authentication (IKEv2 remote access, EAP-MSCHAPv2,
//! EAP-MD5, EAP-RADIUS) failed.

use ipsec_doctor_events::{CharonEvent, EapFailureKind};

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "eap-failure",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "EAP authentication failed",
    explanation: "The IKEv2 client authenticates with EAP, and the EAP exchange inside IKE_AUTH failed. \
        charon names the cause: wrong user credentials (\"EAP-MS-CHAPv2 verification failed\", \
        \"EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE\", \"EAP-MD5 verification \
        failed\", \"EAP method EAP_MSCHAPV2 failed for peer alice\", \"RADIUS authentication of 'alice' \
        failed\"), a method one end does not accept (\"requesting EAP_MD5 authentication, sending \
        EAP_NAK\"), or a RADIUS server that does not answer (\"retransmit 1 of RADIUS Access-Request\", \
        \"RADIUS Access-Request timed out after 3 attempts\"). The client then sends or receives \
        AUTHENTICATION_FAILED.",
    fix: &[
        "Wrong credentials: check the user's password on the EAP server (pfSense/OPNsense: VPN > IPsec > \
         Pre-Shared Keys, type EAP, or the RADIUS server's user database) and on the client; for \
         EAP-MSCHAPv2 the identity is the user name (eap_id), not the IKE identity.",
        "Method mismatch: the same EAP method on both ends (pfSense: VPN > IPsec > Mobile Clients / Phase \
         1 > Authentication Method = EAP-MSCHAPv2 or EAP-RADIUS; swanctl.conf: remote.auth = eap-mschapv2 \
         on the server, local.auth = eap-mschapv2 on the client; ipsec.conf: rightauth=/leftauth=).",
        "RADIUS: check System > User Manager > Authentication Servers (address, port 1812, shared secret) \
         and that the RADIUS server allows this firewall as a client; strongSwan: \
         charon.plugins.eap-radius.servers in strongswan.conf.",
    ],
    see_also: &[SeeAlso::Rule(&super::xauth_failure::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failures: Vec<_> = neg
        .all(|e| matches!(e, CharonEvent::EapFailure { .. }))
        .collect();
    failures.first()?;
    let rank = |k: EapFailureKind| match k {
        EapFailureKind::RadiusUnreachable => 0,
        EapFailureKind::MethodRefused => 1,
        EapFailureKind::RadiusRejected => 2,
        EapFailureKind::Credentials => 3,
        EapFailureKind::Failed => 4,
    };
    let mut kind = EapFailureKind::Failed;
    let (mut method, mut user) = (None, None);
    for entry in &failures {
        if let CharonEvent::EapFailure {
            kind: k,
            method: m,
            user: u,
        } = &entry.event
        {
            if rank(*k) < rank(kind) {
                kind = *k;
            }
            method = method.or(m.as_deref());
            user = user.or(u.as_deref());
        }
    }
    let method_text = method.map(|m| format!(" ({m})")).unwrap_or_default();
    let user_text = user.map(|u| format!(" of '{u}'")).unwrap_or_default();
    let cause = match kind {
        EapFailureKind::Credentials => {
            "the credentials did not verify: the password (or EAP secret) differs between client and server"
        }
        EapFailureKind::RadiusRejected => "the RADIUS server rejected the user's credentials",
        EapFailureKind::RadiusUnreachable => "the RADIUS server did not answer",
        EapFailureKind::MethodRefused => {
            "the EAP method was refused (EAP_NAK): client and server are configured for different methods"
        }
        EapFailureKind::Failed => {
            "the method failed (the other end's log, or a higher IKE log level, tells more)"
        }
    };
    let mut lines: Vec<_> = failures.iter().copied().take(4).collect();
    lines.extend(neg.first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. })));
    Some(
        Detection::new(
            format!("EAP authentication{user_text}{method_text} failed: {cause}."),
            evidence(lines),
        )
        .for_peer(format!(
            "The peer reports that EAP authentication{user_text}{method_text} failed: {cause}."
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-eap-failure/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-eap-failure/right.log");

    #[test]
    fn lab_wrong_mschapv2_password_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["eap-failure"]);
        assert!(left.findings[0].summary.contains("EAP_MSCHAPV2"));
        assert!(left.findings[0].summary.contains("password"));
        assert_eq!(ids(&diagnose("right.log", RIGHT)), ["eap-failure"]);
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["eap-failure"]);
    }

    #[test]
    fn excerpt_method_refused_and_radius_timeout() {
        let nak = "\
Nov 27 10:00:01 12[IKE] <rw|3> server requested EAP_MD5 authentication (id 0x5A)
Nov 27 10:00:01 12[IKE] <rw|3> requesting EAP_MSCHAPV2 authentication, sending EAP_NAK
Nov 27 10:00:01 12[IKE] <rw|3> received EAP_FAILURE, EAP authentication failed";
        let report = diagnose("c.log", nak);
        assert_eq!(ids(&report), ["eap-failure"]);
        assert!(report.findings[0].summary.contains("EAP_NAK"));
        let radius = "\
Nov 27 10:00:01 12[CFG] <rw|3> sending RADIUS Access-Request to server 'radius1'
Nov 27 10:00:03 12[CFG] <rw|3> retransmit 1 of RADIUS Access-Request (timeout: 2.8s)
Nov 27 10:00:09 12[CFG] <rw|3> RADIUS Access-Request timed out after 3 attempts
Nov 27 10:00:09 12[IKE] <rw|3> EAP method EAP_MSCHAPV2 failed for peer alice";
        let report = diagnose("s.log", radius);
        assert_eq!(ids(&report), ["eap-failure"]);
        assert!(report.findings[0]
            .summary
            .contains("RADIUS server did not answer"));
        assert!(report.findings[0].summary.contains("'alice'"));
    }
}
