//! `wrong-destination-address`: the peer connects to an address this side's
//! Phase 1 does not use (a CARP or IP alias VIP, another WAN).

use ipsec_doctor_events::CharonEvent;

use super::common::evidence;
use crate::negotiation::Negotiation;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

use crate::configured::ConfigFile;
use ipsec_doctor_config::Tunnel;

pub(crate) static RULE: Rule = Rule {
    id: "wrong-destination-address",
    family: &RULE,
    severity: Severity::Error,
    title: "Peer connects to an address no Phase 1 uses",
    explanation: "With several WAN addresses (CARP VIPs, IP alias VIPs, multiple WANs), a Phase 1 bound to \
        one address does not answer connections to another. The peer's packets arrive at an address for \
        which this side has no IKE configuration: charon logs \"no IKE config found for A...B\", or the \
        connection only matches pfSense's bypasslan or a %any...%any catch-all. The destination address \
        in these lines is the address the peer really uses.",
    fix: &[
        "pfSense/OPNsense: VPN > IPsec > Tunnels > edit the Phase 1 > Interface: choose the address the peer \
         connects to (the CARP VIP or IP alias shown above), or change the peer's Remote Gateway to this \
         Phase 1's address. Confirm with Status > IPsec (ipsec statusall / swanctl --list-conns).",
        "strongSwan swanctl.conf: connections.<name>.local_addrs must include that address (ipsec.conf: left=); \
         and remote_addrs must include the peer's source address.",
    ],
    see_also: &[],
    scope: Scope::Negotiation(detect),
    also: &[Scope::ConfigTunnel(20, config)],
    explained_by: &[],
};

fn detect(neg: &Negotiation) -> Option<Detection> {
    // The peer's request was refused for its IKE version, not its address.
    if super::ike_version_mismatch::refused_other_version(neg).is_some() {
        return None;
    }
    if let Some(none) = neg.first(|e| matches!(e, CharonEvent::NoIkeConfig { .. })) {
        let CharonEvent::NoIkeConfig { local, remote } = &none.event else {
            return None;
        };
        return Some(
            Detection::new(
                format!(
                    "The peer {remote} sent its IKE request to {local}, and no Phase 1 here is configured for \
                     that pair of addresses."
                ),
                evidence([none]),
            )
            .with_fix(format!(
                "Make a Phase 1 listen on {local} for peer {remote}, or have the peer connect to the address \
                 this side's Phase 1 uses."
            ))
            .for_peer(format!(
                "This side ({remote}) sends its IKE requests to {local}, but the peer has no Phase 1 for that \
                 address (it is bound to another one) and answers NO_PROPOSAL_CHOSEN: point this side's Remote \
                 Gateway at the peer's Phase 1 address, or bind the peer's Phase 1 to {local}."
            )),
        );
    }
    let catch_all = neg.first(|e| {
        matches!(e, CharonEvent::MatchedIkeConfig { local, remote } if local == "%any" && remote == "%any")
    });
    let bypass = neg.conn.as_deref() == Some("bypasslan");
    if bypass || catch_all.is_some() {
        let first = catch_all.or_else(|| neg.entries.first())?;
        let peer = neg.remote.as_deref().unwrap_or("the peer");
        let to = neg
            .local
            .as_deref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        // Only a failing negotiation is a symptom; a working %any responder config is fine.
        if neg.ike_established_at().is_some() && !bypass {
            return None;
        }
        return Some(Detection::new(
            format!(
                "The connection from {peer}{to} matched {} instead of a tunnel's Phase 1: the address it \
                 arrived at is not the one the Phase 1 is bound to.",
                if bypass { "bypasslan" } else { "the %any...%any catch-all" }
            ),
            evidence([first]),
        ));
    }
    None
}

/// A Phase 1 bound to an interface that also carries VIPs (CARP, IP
/// alias): peers that connect to a VIP do not match it.
fn config(file: &ConfigFile<'_>, t: &Tunnel) -> Vec<Detection> {
    let Some(iface) = &t.interface else {
        return Vec::new();
    };
    let vips: Vec<_> = file
        .config
        .host
        .virtual_ips
        .iter()
        .filter(|v| &v.interface == iface && matches!(v.mode.as_str(), "carp" | "ipalias"))
        .collect();
    if vips.is_empty() || iface.starts_with("_vip") {
        return Vec::new();
    }
    let addrs: Vec<String> = vips
        .iter()
        .filter_map(|v| v.address.map(|a| format!("{a} ({})", v.mode)))
        .collect();
    let mut ev = vec![file.line_for(t.origin.line, &["interface"])];
    ev.extend(
        vips.iter()
            .filter_map(|v| v.address)
            .filter_map(|a| file.find_text(&a.to_string())),
    );
    vec![Detection::new(
        format!(
            "Phase 1 '{}' listens on interface {iface}'s own address, but {iface} also carries {}. \
             Peers that connect to a VIP will not match this Phase 1.",
            t.description.as_deref().unwrap_or(&t.name),
            addrs.join(", ")
        ),
        ev,
    )]
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn no_ike_config_for_the_vip() {
        let log = "Nov 27 10:00:00 fw1 charon[42]: 06[IKE] no IKE config found for 198.51.100.7...203.0.113.9, sending NO_PROPOSAL_CHOSEN";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["wrong-destination-address"]);
        assert!(report.findings[0].summary.contains("to 198.51.100.7"));
    }
}
