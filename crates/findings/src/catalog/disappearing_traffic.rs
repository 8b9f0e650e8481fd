//! `disappearing-traffic`: a Phase 2 remote network that is also local.
//!
//! Found by `ipsec-doctor check` from a configuration: logs cannot show it,
//! since IKE succeeds and the packets vanish after decryption.

use crate::report::Severity;
use crate::rule::{Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "disappearing-traffic",
    family: &RULE,
    severity: Severity::Error,
    title: "Phase 2 remote network overlaps a local network",
    explanation: "A Phase 2 remote network overlaps a network this box already has: an interface subnet, a \
        route, or an OpenVPN tunnel network. The tunnel comes up and ESP arrives and is decrypted, but the \
        packets never show up on the IPsec interface (enc0) for delivery, or replies are routed to the \
        local network instead of into the tunnel.",
    fix: &[
        "Renumber one of the overlapping networks, or remove the conflicting route, OpenVPN tunnel network \
         (VPN > OpenVPN > Servers/Clients > IPv4 Tunnel Network) or interface address; then traffic flows.",
        "If renumbering is impossible, translate one side with Phase 2 NAT/BINAT (VPN > IPsec > Phase 2 > \
         NAT/BINAT translation).",
    ],
    see_also: &[SeeAlso::Guide("overlapping-networks")],
    scope: Scope::Derived,
    also: &[],
    explained_by: &[],
};
