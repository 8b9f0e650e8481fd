//! `cert-id-mismatch`: the identity the peer claims is not in its
//! certificate.

use super::certs::{failure, peer, Cause};
use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::{PlutoConnection, PEER_RUNS_PLUTO, RUNS_PLUTO};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};
use ipsec_doctor_events::PlutoEvent;

pub(crate) static RULE: Rule = Rule {
    id: "cert-id-mismatch",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Identity not contained in the certificate",
    explanation: "The peer claims an identity (IDi/IDr) that its certificate does not contain, neither \
        as subject DN nor as subjectAltName. charon then looks for a public key for that identity and \
        does not consider the certificate received (\"received end entity cert ...\" is followed by no \
        \"using certificate ...\" line), logs \"no trusted RSA public key found for '<id>'\" (or \
        \"constraint check failed: identity '<id>' required\"), and answers AUTHENTICATION_FAILED. \
        The peer only sees AUTHENTICATION_FAILED. The identity configured for the peer must be one of \
        the names in its certificate.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > Phase 1: on the end with the certificate, My \
         identifier = Distinguished name (the subject) or a name from the certificate's subjectAltName; \
         on the other end, Peer identifier = the same value. Or reissue the certificate with that name \
         as subjectAltName (System > Cert. Manager).",
        "strongSwan swanctl.conf: local.id on the certificate's end and remote.id on the other end must \
         be the subject DN or a subjectAltName of the certificate (pki --print --in cert.pem lists \
         them); ipsec.conf: leftid=/rightid=.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_id_mismatch::RULE), SeeAlso::Rule(&super::cert_untrusted::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(60, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = failure(neg)?;
    let Cause::IdMismatch { subject } = failure.cause else {
        return None;
    };
    let id = failure.id.or(neg.remote_id.as_deref());
    let id_text = id
        .map(|i| format!("'{i}'"))
        .unwrap_or_else(|| "its identity".to_owned());
    let cert = subject
        .map(|s| format!("\"{s}\""))
        .unwrap_or_else(|| "it sent".to_owned());
    Some(
        Detection::new(
            format!(
                "The peer{} claims the identity {id_text}, but the certificate {cert} does not contain it \
                 (neither as subject nor as subjectAltName), so this side found no trusted key for \
                 {id_text} and rejected the authentication (AUTHENTICATION_FAILED).",
                peer(neg)
            ),
            evidence(failure.lines.iter().copied()),
        )
        .for_peer(format!(
            "This side uses the identity {id_text}, but its certificate {cert} does not contain it (neither \
             as subject nor as subjectAltName), so the peer rejects the authentication."
        ))
        .with_fix(format!(
            "Use a name from the certificate {cert} as this peer's identity on both ends, or reissue the \
             certificate with {id_text} as subjectAltName."
        )),
    )
}

/// The peer's certificate does not name the identity it authenticates as
/// (the first certificate failure of the connection).
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let entry = c.certificate_failure()?;
    let PlutoEvent::CertIdMismatch { id } = &entry.event else {
        return None;
    };
    Some(
        Detection::new(
            format!(
                "The peer authenticates as '{id}' for {}, but its certificate has no subjectAltName \
                 '{id}': issue a certificate naming that identity, or set rightid= to a name the \
                 certificate has. {RUNS_PLUTO}",
                c.conn
            ),
            vec![entry.evidence.clone()],
        )
        .for_peer(format!(
            "The peer expects this side as '{id}', but this side's certificate has no subjectAltName \
             '{id}'. {PEER_RUNS_PLUTO}"
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-id-mismatch/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-id-mismatch/right.log");

    #[test]
    fn lab_san_does_not_match_each_side_alone_and_both() {
        assert_eq!(ids(&diagnose("left.log", LEFT)), ["p1-auth-failed"]);
        let right = diagnose("right.log", RIGHT);
        assert_eq!(ids(&right), ["cert-id-mismatch"]);
        let summary = &right.findings[0].summary;
        assert!(summary.contains("'left.lab.example'"), "{summary}");
        assert!(summary.contains("CN=branch1.lab.example"), "{summary}");
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["cert-id-mismatch"]);
    }

    #[test]
    fn a_trusted_chain_is_not_an_identity_problem() {
        let log = "\
Nov 27 10:00:01 12[IKE] <gw|1> received end entity cert \"CN=left\"
Nov 27 10:00:01 12[CFG] <gw|1>   using certificate \"CN=left\"
Nov 27 10:00:01 12[CFG] <gw|1> no issuer certificate found for \"CN=left\"
Nov 27 10:00:01 12[IKE] <gw|1> no trusted RSA public key found for 'left'";
        assert_eq!(ids(&diagnose("r.log", log)), ["cert-untrusted"]);
    }
}
