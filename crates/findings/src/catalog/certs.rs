//! What a failed certificate authentication shows, shared by the `cert-*`
//! findings: charon logs `no trusted RSA public key found for 'id'` for every
//! cause, and the lines before it (trust chain, validity, the certificate
//! received) tell which.

use ipsec_doctor_events::{CharonEvent, PlutoEvent};

use crate::negotiation::{Entry, Negotiation};
use crate::pluto::{PlutoConnection, PlutoEntry, PEER_RUNS_PLUTO, RUNS_PLUTO};
use crate::rule::Detection;

/// Why the peer's certificate did not authenticate it.
pub(crate) enum Cause<'a> {
    /// No trusted CA leads to it (or a constraint of the chain failed).
    Untrusted {
        /// The certificate whose issuer is unknown (or the untrusted self-signed one).
        subject: Option<&'a str>,
        /// Its issuer, where logged.
        issuer: Option<&'a str>,
    },
    /// A certificate of the chain (or a CRL) is outside its validity.
    Expired {
        /// `subject` (the peer's certificate), `issuer` (a CA) or `crl`.
        which: &'a str,
        /// Start of validity (empty for a CRL).
        not_before: &'a str,
        /// End of validity.
        not_after: &'a str,
    },
    /// A CRL (or OCSP) revokes the peer's certificate.
    Revoked {
        /// When, as printed.
        on: &'a str,
        /// Why, as printed.
        reason: &'a str,
    },
    /// The certificate does not contain the identity the peer claims.
    IdMismatch {
        /// The certificate received, where logged.
        subject: Option<&'a str>,
    },
}

/// A certificate authentication failure in one negotiation.
pub(crate) struct CertFailure<'a> {
    /// The identity whose key was looked for, where logged.
    pub id: Option<&'a str>,
    /// The key type (`RSA`, `ECDSA`).
    pub key_type: Option<&'a str>,
    /// Why.
    pub cause: Cause<'a>,
    /// The lines that show it, in log order.
    pub lines: Vec<&'a Entry>,
}

/// The first certificate authentication failure of `neg`, if any.
pub(crate) fn failure(neg: &Negotiation) -> Option<CertFailure<'_>> {
    let at = neg.position(|e| {
        matches!(
            e,
            CharonEvent::NoTrustedPublicKey { .. } | CharonEvent::ConstraintCheckFailed(_)
        )
    })?;
    // The lines about the certificate the peer sent with this IKE_AUTH.
    let start = neg.entries[..at]
        .iter()
        .rposition(|e| matches!(e.event, CharonEvent::ReceivedEndEntityCert(_)))
        .unwrap_or(0);
    // The failure line and what follows it closely (a constraint failure may
    // precede the `no trusted ... public key` line or follow it).
    let end = (at + 4).min(neg.entries.len());
    let window = &neg.entries[start..end];
    let (mut id, mut key_type) = (None, None);
    let mut received = None;
    let mut using = false;
    let mut expired = None;
    let mut untrusted = None;
    let mut issuer = None;
    let mut identity_constraint = None;
    let mut revoked = None;
    let mut lines: Vec<&Entry> = Vec::new();
    for entry in window {
        match &entry.event {
            CharonEvent::NoTrustedPublicKey { key_type: k, id: i } => {
                id.get_or_insert(i.as_str());
                key_type.get_or_insert(k.as_str());
                lines.push(entry);
            }
            CharonEvent::ReceivedEndEntityCert(dn) => {
                received = Some(dn.as_str());
                lines.push(entry);
            }
            CharonEvent::UsingCertificate(_) => using = true,
            CharonEvent::CertificateInvalid {
                which,
                not_before,
                not_after,
            } => {
                expired.get_or_insert((which.as_str(), not_before.as_str(), not_after.as_str()));
                lines.push(entry);
            }
            CharonEvent::CertRevoked { on, reason } => {
                revoked.get_or_insert((on.as_str(), reason.as_str()));
                lines.push(entry);
            }
            CharonEvent::CrlStale { since } => {
                expired.get_or_insert(("crl", "", since.as_str()));
                lines.push(entry);
            }
            CharonEvent::NoIssuerCert { subject }
            | CharonEvent::UntrustedSelfSigned { subject } => {
                untrusted.get_or_insert(subject.as_str());
                lines.push(entry);
            }
            CharonEvent::IssuerIs(dn) => {
                issuer.get_or_insert(dn.as_str());
                lines.push(entry);
            }
            CharonEvent::ConstraintCheckFailed(what) => {
                if what.contains("identity") {
                    identity_constraint.get_or_insert(entry);
                } else {
                    untrusted.get_or_insert("");
                }
                lines.push(entry);
            }
            _ => {}
        }
    }
    let cause = if let Some((on, reason)) = revoked {
        Cause::Revoked { on, reason }
    } else if let Some((which, not_before, not_after)) = expired {
        Cause::Expired {
            which,
            not_before,
            not_after,
        }
    } else if let Some(subject) = untrusted {
        Cause::Untrusted {
            subject: Some(subject).filter(|s| !s.is_empty()).or(received),
            issuer,
        }
    } else if identity_constraint.is_some() || (received.is_some() && !using) {
        Cause::IdMismatch { subject: received }
    } else {
        Cause::Untrusted {
            subject: received,
            issuer: None,
        }
    };
    Some(CertFailure {
        id,
        key_type,
        cause,
        lines,
    })
}

/// ` 192.0.2.90` or empty.
pub(crate) fn peer(neg: &Negotiation) -> String {
    neg.remote
        .as_ref()
        .map(|r| format!(" {r}"))
        .unwrap_or_default()
}

/// Whether NSS's error code for a refused certificate is about its dates.
fn pluto_code_is_expiry(code: &str) -> bool {
    code.contains("EXPIRED") || code.contains("INVALID_TIME")
}

/// The connection's first certificate failure, where NSS refused the
/// peer's certificate for its dates (`expiry`) or for another reason: the
/// line and its (subject, code, reason).
pub(crate) fn pluto_invalid<'a>(
    c: &PlutoConnection<'a>,
    expiry: bool,
) -> Option<(&'a PlutoEntry, (&'a str, &'a str, &'a str))> {
    let entry = c.certificate_failure()?;
    let PlutoEvent::CertInvalid {
        subject,
        code,
        reason,
    } = &entry.event
    else {
        return None;
    };
    (pluto_code_is_expiry(code) == expiry).then_some((entry, (subject, code, reason)))
}

/// pluto refused the peer's certificate `(subject, code, reason)`; `what`
/// says what is wrong with it.
pub(crate) fn pluto_refused(
    c: &PlutoConnection<'_>,
    entry: &PlutoEntry,
    (subject, code, reason): (&str, &str, &str),
    what: &str,
) -> Detection {
    Detection::new(
        format!(
            "pluto refused the peer's certificate \"{subject}\" for {}: {reason} ({code}); the \
             certificate {what}. {RUNS_PLUTO}",
            c.conn
        ),
        vec![entry.evidence.clone()],
    )
    .for_peer(format!(
        "The peer refused this side's certificate \"{subject}\": {reason} ({code}). \
         {PEER_RUNS_PLUTO}"
    ))
}
