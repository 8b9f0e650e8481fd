//! `cert-untrusted`: the peer's certificate does not lead to a trusted CA.

use super::certs::{self, failure, peer, Cause};
use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "cert-untrusted",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Peer certificate not issued by a trusted CA",
    explanation: "The peer authenticates with a certificate, but no CA certificate loaded on this side \
        leads to it: charon logs \"no issuer certificate found for ...\" (with \"issuer is ...\") or \
        \"self-signed certificate ... is not trusted\", sometimes \"constraint check failed\", and then \
        \"no trusted RSA public key found for '<id>'\" (ECDSA for ECDSA keys), and answers \
        AUTHENTICATION_FAILED. The peer only sees AUTHENTICATION_FAILED. Typical causes: the peer's \
        certificate was issued by another CA (or a new CA after a renewal), the intermediate CA is \
        neither sent by the peer nor loaded here, or the Phase 1 names another CA.",
    fix: &[
        "pfSense/OPNsense: System > Cert. Manager > CAs > Add: import the CA certificate that issued the \
         peer's certificate (and any intermediate CA), then VPN > IPsec > Tunnels > edit the Phase 1 > \
         Peer Certificate Authority: select it.",
        "strongSwan swanctl.conf: copy the CA certificate (PEM) to /etc/swanctl/x509ca/ (intermediates \
         too, or have the peer send them) and run swanctl --load-creds; a remote.cacerts = constraint \
         must name that CA. ipsec.conf: /etc/ipsec.d/cacerts/ and rightca=.",
        "Check the chain: openssl verify -CAfile ca.pem [-untrusted intermediate.pem] peer.pem.",
    ],
    see_also: &[SeeAlso::Rule(&super::cert_expired::RULE), SeeAlso::Rule(&super::cert_id_mismatch::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(60, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = failure(neg)?;
    let Cause::Untrusted { subject, issuer } = failure.cause else {
        return None;
    };
    let cert = subject
        .map(|s| format!("its certificate \"{s}\""))
        .unwrap_or_else(|| "its certificate".to_owned());
    let by = issuer
        .map(|i| format!(", issued by \"{i}\","))
        .unwrap_or_default();
    let id = failure
        .id
        .map(|i| format!(" for '{i}'"))
        .unwrap_or_default();
    let key = failure.key_type.unwrap_or("public");
    let mut detection = Detection::new(
        format!(
            "The peer{} authenticates with {cert}{by} and no CA certificate trusted here leads to it: this \
             side found no trusted {key} key{id} and rejected the authentication (AUTHENTICATION_FAILED).",
            peer(neg)
        ),
        evidence(failure.lines.iter().copied()),
    )
    .for_peer(format!(
        "The peer does not trust this side's certificate{}{}: no CA certificate loaded on the peer leads to \
         it, so it found no trusted {key} key{id} and answered AUTHENTICATION_FAILED.",
        subject.map(|s| format!(" \"{s}\"")).unwrap_or_default(),
        issuer
            .map(|i| format!(" (issuer \"{i}\")"))
            .unwrap_or_default(),
    ));
    if let Some(issuer) = issuer {
        detection = detection.with_fix(format!(
            "Load the CA certificate \"{issuer}\" on this side as a trusted CA (and select it for this \
             Phase 1), or have the peer use a certificate from a CA trusted here."
        ));
    }
    Some(detection)
}

/// NSS refused the peer's certificate for another reason than its dates
/// (the first certificate failure of the connection).
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let (entry, invalid) = certs::pluto_invalid(c, false)?;
    Some(certs::pluto_refused(
        c,
        entry,
        invalid,
        "does not lead to a CA in pluto's NSS database: import the issuing CA there \
         (certutil -A -d sql:/var/lib/ipsec/nss -n NAME -t 'CT,,' -a -i ca.pem)",
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-untrusted/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-untrusted/right.log");

    #[test]
    fn lab_unknown_ca_each_side_alone_and_both() {
        assert_eq!(ids(&diagnose("left.log", LEFT)), ["p1-auth-failed"]);
        let right = diagnose("right.log", RIGHT);
        assert_eq!(ids(&right), ["cert-untrusted"]);
        assert!(right.findings[0].summary.contains("Branch CA"));
        assert!(right.findings[0].fix[0].contains("Branch CA"));
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["cert-untrusted"]);
        assert_eq!(both.findings.len(), 2);
    }

    #[test]
    fn excerpt_self_signed_peer_certificate() {
        let log = "\
Nov 27 10:00:01 11[IKE] <7> received end entity cert \"CN=vpn.example.org\"
Nov 27 10:00:01 11[CFG] <7> looking for peer configs matching 192.0.2.74[right]...192.0.2.90[vpn.example.org]
Nov 27 10:00:01 11[CFG] <gw|7>   using certificate \"CN=vpn.example.org\"
Nov 27 10:00:01 11[CFG] <gw|7>   self-signed certificate \"CN=vpn.example.org\" is not trusted
Nov 27 10:00:01 11[IKE] <gw|7> no trusted ECDSA public key found for 'vpn.example.org'
Nov 27 10:00:01 11[ENC] <gw|7> generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]";
        let report = diagnose("r.log", log);
        assert_eq!(ids(&report), ["cert-untrusted"]);
        assert!(report.findings[0].summary.contains("ECDSA"));
    }
}
