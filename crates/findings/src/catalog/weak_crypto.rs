//! `weak-crypto`: deprecated algorithms or Aggressive Mode with PSK.
//!
//! Found by `ipsec-doctor check` from a configuration.

use crate::report::Severity;
use crate::rule::{Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "weak-crypto",
    family: &RULE,
    severity: Severity::Warning,
    title: "Weak or deprecated cryptography",
    explanation: "The tunnel allows algorithms that no longer protect traffic well: DES and 3DES (64-bit \
        blocks), MD5, the DH groups 1, 2 and 5 (768 to 1536-bit MODP), or IKEv1 Aggressive Mode with a \
        pre-shared key, whose authentication hash can be captured and cracked offline. Tunnels still work, \
        and that is the problem: nothing tells the operator.",
    fix: &[
        "Use AES-GCM (aes256gcm16) or AES-CBC with SHA-256 (aes256-sha256), DH group 14 (modp2048) or better \
         (19/ecp256, 31/x25519), on both ends at the same time: VPN > IPsec > Tunnels > Phase 1/Phase 2 \
         proposals; swanctl.conf proposals/esp_proposals; ipsec.conf ike=/esp=.",
        "Use Main Mode or IKEv2 instead of Aggressive Mode, or certificates instead of a pre-shared key.",
    ],
    see_also: &[],
    scope: Scope::Derived,
    also: &[],
    explained_by: &[],
};
