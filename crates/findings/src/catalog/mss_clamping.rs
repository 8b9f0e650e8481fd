//! `mss-clamping`: IPsec without MSS clamping.
//!
//! Found by `ipsec-doctor check` from a pfSense/OPNsense configuration.

use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

use crate::configured::ConfigFile;
use ipsec_doctor_config::Format;

pub(crate) static RULE: Rule = Rule {
    id: "mss-clamping",
    family: &RULE,
    severity: Severity::Warning,
    title: "MSS clamping is off for VPN traffic",
    explanation: "IPsec adds headers to every packet, and fragmented ESP often gets lost. TCP sessions \
        that send full-size segments (SMB file copies, RDP, some HTTPS) then stall while pings and small \
        requests work. Clamping the TCP MSS of VPN traffic makes endpoints send segments that fit the tunnel \
        whole.",
    fix: &[
        "pfSense 2.2+: VPN > IPsec > Advanced Settings (newer: System > Advanced > Firewall & NAT): enable MSS \
         clamping for VPNs with 1300, then raise it step by step until the breaking point and back off a \
         little (ipsec-doctor explain mss).",
        "pfSense 2.1 and older: System > Advanced > Miscellaneous: Enable MSS clamping on VPN traffic.",
    ],
    see_also: &[SeeAlso::Guide("mss")],
    scope: Scope::ConfigBox(20, config),
    also: &[],
    explained_by: &[],
};

/// IPsec tunnels configured and MSS clamping off (pfSense/OPNsense only:
/// plain strongSwan has no such setting).
fn config(file: &ConfigFile<'_>) -> Vec<Detection> {
    let config = file.config;
    let firewall = matches!(config.source, Format::PfSense | Format::OpnSense);
    if !firewall || config.tunnels.is_empty() || config.host.mss_clamping.enabled {
        return Vec::new();
    }
    let ev = file.find_text("<ipsec>").or_else(|| {
        config
            .tunnels
            .first()
            .map(|t| file.evidence_at(t.origin.line.max(1) as usize))
    });
    vec![Detection::new(
        "IPsec tunnels are configured but MSS clamping is off: protocols that send full-size packets (SMB, \
         RDP) may stall through the tunnel.",
        ev.into_iter().collect(),
    )]
}
