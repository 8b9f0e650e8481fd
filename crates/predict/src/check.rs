//! `ipsec-doctor check`: one box's configuration alone.

use std::sync::Arc;

use ipsec_doctor_config::{AuthMethod, Format, IkeVersion};
use ipsec_doctor_findings::{rules, Evidence, Finding, Report, Rule, Severity, TunnelSummary};

use crate::evidence::{evidence_at, finding, line_for};
use crate::negotiate::{intersects, proposals};
use crate::Side;

/// Finds the configuration faults the troubleshooting guide describes:
/// Phase 2 remote networks that overlap a local network or OpenVPN tunnel
/// network, outbound NAT rules with source `any`, Phase 1s bound to an
/// interface that also carries VIPs, AES keys longer than a glxsb
/// accelerator handles, missing MSS clamping, and weak algorithms.
pub fn check(side: Side<'_>) -> Report {
    let mut findings: Vec<Finding> = Vec::new();
    let host = side.config.host.hostname.clone();
    let firewall = matches!(side.config.source, Format::PfSense | Format::OpnSense);
    let mut push = |rule: &'static Rule,
                    tunnel: Option<String>,
                    summary: String,
                    evidence: Vec<Evidence>,
                    fix: Vec<String>| {
        let f = finding(
            rule,
            host.clone(),
            tunnel,
            side.path,
            summary,
            evidence,
            fix,
        );
        if !findings
            .iter()
            .any(|g| g.rule == f.rule && g.tunnel == f.tunnel)
        {
            findings.push(f);
        }
    };
    let h = &side.config.host;

    for t in side.config.tunnels.iter().filter(|t| !t.disabled) {
        let name = Some(t.name.clone());
        // Disappearing traffic: a remote network that is also local.
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
                if let Some((what, net)) = local_hit.or(ovpn_hit) {
                    let mut ev = vec![line_for(
                        &side,
                        c.origin.line,
                        &["remoteid", "remote_ts", "rightsubnet"],
                    )];
                    ev.extend(
                        find_text(&side, &net.to_string())
                            .or_else(|| find_text(&side, &net.addr().to_string())),
                    );
                    push(
                        rules::DISAPPEARING_TRAFFIC,
                        name.clone(),
                        format!(
                            "Phase 2 remote network {remote} overlaps {what}: ESP may arrive and be decrypted, \
                             but the traffic is routed to the local network instead of the tunnel."
                        ),
                        ev,
                        vec![format!("Renumber one of the two networks so that {remote} is only reached through the tunnel.")],
                    );
                }
            }
        }
        // A Phase 1 bound to an interface that also has VIPs.
        if let Some(iface) = &t.interface {
            let vips: Vec<_> = h
                .virtual_ips
                .iter()
                .filter(|v| &v.interface == iface && matches!(v.mode.as_str(), "carp" | "ipalias"))
                .collect();
            if !vips.is_empty() && !iface.starts_with("_vip") {
                let addrs: Vec<String> = vips
                    .iter()
                    .filter_map(|v| v.address.map(|a| format!("{a} ({})", v.mode)))
                    .collect();
                let mut ev = vec![line_for(&side, t.origin.line, &["interface"])];
                ev.extend(
                    vips.iter()
                        .filter_map(|v| v.address)
                        .filter_map(|a| find_text(&side, &a.to_string())),
                );
                push(
                    rules::WRONG_DESTINATION_ADDRESS,
                    name.clone(),
                    format!(
                        "Phase 1 '{}' listens on interface {iface}'s own address, but {iface} also carries {}. \
                         Peers that connect to a VIP will not match this Phase 1.",
                        t.description.as_deref().unwrap_or(&t.name),
                        addrs.join(", ")
                    ),
                    ev,
                    Vec::new(),
                );
            }
        }
        // Weak or deprecated algorithms.
        let mut weak: Vec<String> = Vec::new();
        let all: Vec<String> = t
            .ike_proposals_configured
            .iter()
            .chain(t.ike_proposals.iter())
            .chain(t.children.iter().flat_map(|c| c.esp_proposals.iter()))
            .cloned()
            .collect();
        for p in proposals(&all) {
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
            weak.push("Aggressive Mode with a pre-shared key (its hash can be cracked offline: use Main Mode or IKEv2)".to_owned());
        }
        if !weak.is_empty() {
            push(
                rules::WEAK_CRYPTO,
                name.clone(),
                format!("Weak or deprecated choices: {}.", weak.join("; ")),
                vec![line_for(
                    &side,
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
                Vec::new(),
            );
        }
        // Crypto accelerators that only do AES-128.
        if h.crypto_hardware.iter().any(|c| c == "glxsb") {
            let long: Vec<String> = all
                .iter()
                .filter_map(|p| ipsec_doctor_events::Proposal::parse(p))
                .flat_map(|p| p.transforms().map(str::to_owned).collect::<Vec<_>>())
                .filter(|t| {
                    t.starts_with("AES_")
                        && !t.ends_with("_128")
                        && !t.starts_with("AES_XCBC")
                        && !t.starts_with("AES_CMAC")
                })
                .collect();
            if let Some(first) = long.first() {
                let mut ev = vec![line_for(
                    &side,
                    t.origin.line,
                    &["keylen", "encryption-algorithm"],
                )];
                ev.extend(find_text(&side, "glxsb"));
                push(
                    rules::CRYPTO_ACCELERATOR_KEYLEN,
                    name.clone(),
                    format!(
                        "The glxsb accelerator only does AES-128, and this tunnel uses {first}."
                    ),
                    ev,
                    Vec::new(),
                );
            }
        }
    }

    // Outbound NAT rules whose source `any` also matches the firewall's own IKE traffic.
    let manual = matches!(h.outbound_nat.mode.as_deref(), Some("advanced" | "hybrid"));
    if manual {
        for rule in h
            .outbound_nat
            .rules
            .iter()
            .filter(|r| !r.disabled && !r.no_nat)
        {
            if matches!(rule.source.as_deref(), Some("any" | "*")) {
                push(
                    rules::OUTBOUND_NAT_ANY,
                    None,
                    format!(
                        "Outbound NAT rule on {} translates source any{}: it also matches the firewall's own IKE \
                         packets (UDP 500/4500), rewriting their source port{} so the peer sees them from an \
                         unexpected address or port.",
                        rule.interface.as_deref().unwrap_or("an interface"),
                        rule.target.as_deref().map(|t| format!(" to {t}")).unwrap_or_default(),
                        if rule.static_port { "" } else { " (no static port)" }
                    ),
                    vec![evidence_at(&side, rule.origin.line.max(1) as usize)],
                    vec!["Restrict the rule's source to the LAN networks (or add a no-NAT rule for the firewall's own \
                          address above it), then clear the states for the peer address in Diagnostics > States."
                        .to_owned()],
                );
            }
        }
    }

    // MSS clamping (pfSense/OPNsense only: plain strongSwan has no such setting).
    if firewall && !side.config.tunnels.is_empty() && !h.mss_clamping.enabled {
        let ev = find_text(&side, "<ipsec>").or_else(|| {
            side.config
                .tunnels
                .first()
                .map(|t| evidence_at(&side, t.origin.line.max(1) as usize))
        });
        push(
            rules::MSS_CLAMPING,
            None,
            "IPsec tunnels are configured but MSS clamping is off: protocols that send full-size packets (SMB, \
             RDP) may stall through the tunnel."
                .to_owned(),
            ev.into_iter().collect(),
            Vec::new(),
        );
    }

    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    let tunnels = side
        .config
        .tunnels
        .iter()
        .filter(|t| !t.disabled)
        .map(|t| TunnelSummary {
            host: side.config.host.hostname.clone(),
            tunnel: Some(t.name.clone()),
            local: t.local_addrs.first().cloned(),
            remote: t.remote_addrs.first().cloned(),
            ike_version: match t.ike_version {
                IkeVersion::V1 => Some("ikev1"),
                IkeVersion::V2 => Some("ikev2"),
                IkeVersion::Any => None,
            },
            status: "unknown",
            negotiations: 0,
            established: 0,
            findings: findings
                .iter()
                .filter(|f| f.tunnel.as_deref() == Some(t.name.as_str()))
                .map(|f| f.id)
                .collect(),
            origin: Arc::from(side.path),
            ike_lifetime: None,
        })
        .collect();
    let _ = errors;
    findings.sort_by_key(|f| f.severity);
    Report {
        findings,
        tunnels,
        ..Report::default()
    }
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

/// The first line of `side` containing `needle`.
fn find_text(side: &Side<'_>, needle: &str) -> Option<Evidence> {
    side.text
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| evidence_at(side, i + 1))
}
