//! `cert-expired`: a certificate of the peer's chain (or a CRL) is outside
//! its validity period.

use super::certs::{self, failure, Cause};
use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::pluto::PlutoConnection;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "cert-expired",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "Certificate expired or not yet valid",
    explanation: "A certificate in the peer's chain is outside its validity period: charon logs \
        \"subject certificate invalid (valid from A to B)\" for the peer's own certificate, \"issuer \
        certificate invalid ...\" for a CA of the chain, or \"crl is stale: since T\" for an outdated CRL \
        under a strict CRL policy, then \"no trusted RSA public key found for '<id>'\", and answers \
        AUTHENTICATION_FAILED. The peer only sees AUTHENTICATION_FAILED. A certificate that is not yet \
        valid usually means a wrong clock on one end.",
    fix: &[
        "Renew the certificate on the end that sends it (pfSense/OPNsense: System > Cert. Manager > \
         Certificates: renew or reissue, then select the new one in VPN > IPsec > Tunnels > Phase 1 > My \
         Certificate; a renewed CA must also be imported on the other end).",
        "strongSwan: replace the file in /etc/swanctl/x509/ (CA: x509ca/, CRL: x509crl/) and run \
         swanctl --load-creds; check the validity with openssl x509 -noout -dates -in cert.pem (or \
         pki --print).",
        "Check both ends' clocks (NTP): a certificate \"valid from\" a time in the future is refused too.",
    ],
    see_also: &[SeeAlso::Rule(&super::cert_untrusted::RULE), SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[Scope::Pluto(60, pluto)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let failure = failure(neg)?;
    let Cause::Expired {
        which,
        not_before,
        not_after,
    } = failure.cause
    else {
        return None;
    };
    let id = failure.id.map(|i| format!(" '{i}'")).unwrap_or_default();
    let (here, there) = match which {
        "subject" => (
            format!("The peer's{id} certificate is valid only from {not_before} to {not_after}"),
            format!("This side's certificate is valid only from {not_before} to {not_after}"),
        ),
        "crl" => (
            format!("The CRL for the peer's{id} certificate is outdated (stale since {not_after})"),
            format!("The peer's CRL for this side's certificate is outdated (stale since {not_after})"),
        ),
        _ => (
            format!(
                "A CA certificate in the peer's{id} chain ({which}) is valid only from {not_before} to \
                 {not_after}"
            ),
            format!(
                "A CA certificate in this side's chain is valid only from {not_before} to {not_after}"
            ),
        ),
    };
    Some(
        Detection::new(
            format!(
                "{here}: expired (or not yet valid), so this side rejected the peer's authentication \
                 (AUTHENTICATION_FAILED)."
            ),
            evidence(failure.lines.iter().copied()),
        )
        .for_peer(format!(
            "{there}: expired (or not yet valid), so the peer rejects this side's authentication."
        )),
    )
}

/// NSS refused the peer's certificate for its validity period (the first
/// certificate failure of the connection).
fn pluto(c: &PlutoConnection<'_>) -> Option<Detection> {
    let (entry, invalid) = certs::pluto_invalid(c, true)?;
    Some(certs::pluto_refused(
        c,
        entry,
        invalid,
        "is outside its validity period (NSS does not log the dates: `openssl x509 -noout \
         -dates` on the peer's certificate shows them)",
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-expired/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-expired/right.log");

    #[test]
    fn lab_expired_certificate_each_side_alone_and_both() {
        assert_eq!(ids(&diagnose("left.log", LEFT)), ["p1-auth-failed"]);
        let right = diagnose("right.log", RIGHT);
        assert_eq!(ids(&right), ["cert-expired"]);
        assert!(right.findings[0]
            .summary
            .contains("from Jan 01 00:00:00 2022 to Jan 01 00:00:00 2023"));
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        assert_eq!(ids(&both), ["cert-expired"]);
        let left = both
            .findings
            .iter()
            .find(|f| f.origin.as_ref() == "left.log");
        assert!(left.unwrap().summary.contains("This side's certificate"));
    }

    #[test]
    fn excerpt_expired_intermediate_ca() {
        let log = "\
Nov 27 10:00:01 12[IKE] <gw|1> received end entity cert \"CN=left\"
Nov 27 10:00:01 12[CFG] <gw|1>   using certificate \"CN=left\"
Nov 27 10:00:01 12[CFG] <gw|1>   using trusted intermediate ca certificate \"CN=Sub CA\"
Nov 27 10:00:01 12[CFG] <gw|1> issuer certificate invalid (valid from Jan 01 00:00:00 2020 to Jan 01 00:00:00 2024)
Nov 27 10:00:01 12[IKE] <gw|1> no trusted RSA public key found for 'left'";
        let report = diagnose("r.log", log);
        assert_eq!(ids(&report), ["cert-expired"]);
        assert!(report.findings[0].summary.contains("A CA certificate"));
    }
}
