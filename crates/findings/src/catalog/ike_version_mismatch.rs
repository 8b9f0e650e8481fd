//! `ike-version-mismatch`: one end speaks IKEv1 and the other IKEv2.
//!
//! Predicted by `ipsec-doctor compare`; log detection follows with the
//! certificate and remote-access findings.

use crate::report::Severity;
use crate::rule::{Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "ike-version-mismatch",
    family: "ike-version-mismatch",
    severity: Severity::Error,
    title: "IKE version mismatch",
    explanation: "One end is configured for IKEv1 and the other for IKEv2 only. strongSwan initiates IKEv2 \
        unless a connection is IKEv1-only, and a responder that accepts only the other version finds no \
        configuration for the request: the IKE_SA_INIT goes unanswered or is refused.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Key Exchange version: the same on both \
         ends (IKEv2 where both support it).",
        "strongSwan swanctl.conf: connections.<name>.version = 2 (or 1) on both ends (ipsec.conf: keyexchange=).",
    ],
    see_also: &[],
    scope: Scope::Derived,
};
