//! `cert-key-missing`: this side has a certificate but not its private key.

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "cert-key-missing",
    family: &super::p1_auth_failed::RULE,
    severity: Severity::Error,
    title: "No private key for the local certificate",
    explanation: "This side is configured to authenticate with a certificate (or a raw public key) but \
        holds no private key for it: charon logs \"no private key found for '<id>'\" and cannot sign its \
        IKE_AUTH (IKEv1: Main Mode message 5), so the negotiation stops on this side and the peer \
        receives nothing more after IKE_SA_INIT. The key was not imported with the certificate, is \
        encrypted and could not be loaded, or belongs to another certificate.",
    fix: &[
        "pfSense/OPNsense: System > Cert. Manager > Certificates: the certificate selected as My \
         Certificate in the Phase 1 must have its private key (import it with the key, or create it \
         there); then VPN > IPsec > Tunnels > Phase 1 > My Certificate.",
        "strongSwan swanctl.conf: put the key in /etc/swanctl/private/ (rsa/, ecdsa/, pkcs8/), with \
         secrets { private-<name> { file = ... secret = <passphrase> } } for an encrypted key, and run \
         swanctl --load-creds (swanctl --list-certs shows \"has private key\"); ipsec.secrets: \
         : RSA key.pem.",
    ],
    see_also: &[SeeAlso::Rule(&super::p1_auth_failed::RULE)],
    scope: Scope::Negotiation(detect),
    also: &[],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    let missing = neg.first(|e| matches!(e, CharonEvent::NoPrivateKey { .. }))?;
    let CharonEvent::NoPrivateKey { id } = &missing.event else {
        return None;
    };
    let mut lines = vec![missing];
    lines.extend(neg.first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. })));
    Some(
        Detection::new(
            format!(
                "This side authenticates as '{id}' with a certificate, but has no private key for it, so it \
                 cannot sign its authentication and the negotiation{} stops here.",
                neg.remote
                    .as_ref()
                    .map(|r| format!(" with {r}"))
                    .unwrap_or_default()
            ),
            evidence(lines),
        )
        .with_fix(format!(
            "Load the private key of the certificate for '{id}' on this side."
        )),
    )
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const LEFT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-key-missing/left.log");
    const RIGHT: &str = include_str!("../../../../fixtures/lab/ikev2-cert-key-missing/right.log");

    #[test]
    fn lab_key_missing_each_side_alone_and_both() {
        let left = diagnose("left.log", LEFT);
        assert_eq!(ids(&left), ["cert-key-missing"]);
        assert!(left.findings[0].summary.contains("'left.lab.example'"));
        // The responder alone saw the negotiation start and nothing more.
        assert_eq!(
            ids(&diagnose("right.log", RIGHT)),
            ["negotiation-incomplete"]
        );
        let both = diagnose_files(&[("left.log", LEFT), ("right.log", RIGHT)]);
        // The responder's side stays incomplete: its own log shows no outcome.
        assert_eq!(ids(&both), ["cert-key-missing", "negotiation-incomplete"]);
    }
}
