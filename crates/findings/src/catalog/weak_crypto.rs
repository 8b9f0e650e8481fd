//! `weak-crypto`: deprecated algorithms or Aggressive Mode with PSK.
//!
//! Found by `ipsec-doctor check` from a configuration.

use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

use crate::configured::{all_proposals, ConfigFile};
use ipsec_doctor_config::{AuthMethod, IkeVersion, Tunnel};
use ipsec_doctor_events::Proposal;

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
    scope: Scope::ConfigTunnel(30, config),
    also: &[],
    explained_by: &[],
};

/// Weak or deprecated algorithms, and Aggressive Mode with a pre-shared key.
fn config(file: &ConfigFile<'_>, t: &Tunnel) -> Vec<Detection> {
    let mut weak: Vec<String> = Vec::new();
    for p in all_proposals(t).iter().filter_map(|p| Proposal::parse(p)) {
        for tr in p.transforms() {
            if let Some(better) = stronger(tr) {
                let item = format!("{tr} ({}: use {better})", p.protocol());
                if !weak.contains(&item) {
                    weak.push(item);
                }
            }
        }
    }
    if t.aggressive
        && t.ike_version != IkeVersion::V2
        && matches!(t.local_auth, Some(AuthMethod::Psk) | None)
        && t.psk.is_some()
    {
        weak.push(
            "Aggressive Mode with a pre-shared key (its hash can be cracked offline: use Main Mode or IKEv2)"
                .to_owned(),
        );
    }
    if weak.is_empty() {
        return Vec::new();
    }
    vec![Detection::new(
        format!("Weak or deprecated choices: {}.", weak.join("; ")),
        vec![file.line_for(
            t.origin.line,
            &[
                "proposals",
                "ike",
                "encryption-algorithm",
                "esp_proposals",
                "aggressive",
                "mode",
            ],
        )],
    )]
}

/// The stronger equivalent of a weak transform.
fn stronger(transform: &str) -> Option<&'static str> {
    Some(match transform {
        "DES_CBC" => "AES_CBC_256 or AES_GCM_16_256",
        "3DES_CBC" => "AES_CBC_256 or AES_GCM_16_256",
        "HMAC_MD5_96" | "PRF_HMAC_MD5" => "SHA-256",
        "HMAC_SHA1_96" | "PRF_HMAC_SHA1" => return None,
        "MODP_768" => "MODP_2048 (group 14) or ECP_256 (19)",
        "MODP_1024" => "MODP_2048 (group 14) or ECP_256 (19)",
        "MODP_1536" => "MODP_2048 (group 14) or ECP_256 (19)",
        _ => return None,
    })
}
