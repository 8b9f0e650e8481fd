//! `mss-clamping`: IPsec without MSS clamping.
//!
//! Found by `ipsec-doctor check` from a pfSense/OPNsense configuration.

use crate::report::Severity;
use crate::rule::{Rule, Scope, SeeAlso};

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
    scope: Scope::Derived,
    also: &[],
    explained_by: &[],
};
