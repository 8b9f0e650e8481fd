//! `disappearing-traffic`: a Phase 2 remote network that is also local.
//!
//! Found by `ipsec-doctor check` from a configuration: logs cannot show it,
//! since IKE succeeds and the packets vanish after decryption.

use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

use crate::configured::{intersects, ConfigFile};
use ipsec_doctor_config::Tunnel;

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
    scope: Scope::ConfigTunnel(10, config),
    also: &[],
    explained_by: &[],
};

/// A Phase 2 remote network that is also a local one: an interface's
/// network or an OpenVPN tunnel network of the same box.
fn config(file: &ConfigFile<'_>, t: &Tunnel) -> Vec<Detection> {
    let h = &file.config.host;
    let mut out = Vec::new();
    for c in t.children.iter().filter(|c| !c.disabled) {
        for remote in &c.remote_ts {
            let local_hit = h.interfaces.iter().filter(|i| i.enabled).find_map(|i| {
                i.network
                    .filter(|n| intersects(n, remote))
                    .map(|n| (format!("interface {} ({n})", i.name), n))
            });
            let ovpn_hit = h.openvpn.iter().filter(|o| !o.disabled).find_map(|o| {
                o.tunnel_network
                    .filter(|n| intersects(n, remote))
                    .map(|n| (format!("OpenVPN {} tunnel network {n}", o.role), n))
            });
            let Some((what, net)) = local_hit.or(ovpn_hit) else {
                continue;
            };
            let mut ev =
                vec![file.line_for(c.origin.line, &["remoteid", "remote_ts", "rightsubnet"])];
            ev.extend(
                file.find_text(&net.to_string())
                    .or_else(|| file.find_text(&net.addr().to_string())),
            );
            out.push(
                Detection::new(
                    format!(
                        "Phase 2 remote network {remote} overlaps {what}: ESP may arrive and be decrypted, \
                         but the traffic is routed to the local network instead of the tunnel."
                    ),
                    ev,
                )
                .with_fix(format!(
                    "Renumber one of the two networks so that {remote} is only reached through the tunnel."
                )),
            );
        }
    }
    out
}
