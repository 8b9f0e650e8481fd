//! `cert-revoked`: the peer's certificate is revoked by its CA (CRL or
//! OCSP), so this side refuses its authentication.

use super::certs::{failure, peer, Cause};
use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "cert-revoked",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Peer certificate revoked",
    explanation: "The peer authenticates with a certificate that its CA has revoked: charon checked it \
        against a CRL (loaded from x509crl/ or fetched from the certificate's distribution point) or an \
        OCSP response, logged \"certificate was revoked on <date>, reason: <reason>\", then \"no trusted \
        RSA public key found for '<id>'\", and answered AUTHENTICATION_FAILED. The peer only sees \
        AUTHENTICATION_FAILED. The certificate is not wrong, it is withdrawn: a key reported compromised, \
        a device retired, a certificate replaced by a new one the peer does not use yet.",
    fix: &[
        "Give the peer a new certificate from the CA (pfSense/OPNsense: System > Cert. Manager > \
         Certificates > Add/Sign; strongSwan: pki --issue) and select it in the peer's Phase 1 \
         (swanctl.conf: local.certs).",
        "If the revocation is a mistake, issue a new CRL without it and load it on this side \
         (swanctl --load-creds; pfSense: System > Cert. Manager > Certificate Revocation).",
        "Check which certificate the peer sends and its serial against the CRL: openssl crl -in ca.crl \
         -noout -text.",
    ],
    see_also: &[SeeAlso::Rule(&super::cert_untrusted::RULE), SeeAlso::Rule(&super::cert_expired::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = failure(neg)?;
    let Cause::Revoked { on, reason } = failure.cause else {
        return None;
    };
    let why = if reason.is_empty() {
        String::new()
    } else {
        format!(" ({reason})")
    };
    let id = failure.id.map(|i| format!(" '{i}'")).unwrap_or_default();
    Some(
        Detection::new(
            format!(
                "The peer{}{id} authenticates with a certificate that its CA revoked on {on}{why}: this \
                 side refused the authentication (AUTHENTICATION_FAILED).",
                peer(neg)
            ),
            evidence(failure.lines.iter().copied()),
        )
        .for_peer(format!(
            "The peer refuses this side's certificate: its CA revoked it on {on}{why}. Use a new \
             certificate on this side."
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-revoked/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-revoked/right.log");

    #[test]
    fn lab_certificate_revoked_by_a_crl_each_side_alone_and_both() {
        let right = diagnose("right.log", RIGHT);
        assert_eq!(ids(&right), ["cert-revoked"]);
        assert!(right.findings[0].summary.contains("key compromise"));
        // The initiator only sees AUTHENTICATION_FAILED.
        assert_eq!(ids(&diagnose("left.log", LEFT)), ["p1-auth-failed"]);
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert!(
            ids(&both).iter().all(|id| *id == "cert-revoked"),
            "{:?}",
            ids(&both)
        );
    }
}
