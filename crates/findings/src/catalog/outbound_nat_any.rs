//! `outbound-nat-any`: an outbound NAT rule with source `any` also rewrites
//! the firewall's own IKE traffic.
//!
//! Two ways to see it in logs:
//! - With both ends' logs (across hosts, here): this host's
//!   initiations to the peer are never answered (`peer-unreachable`) while
//!   the peer's log shows its own initiations to this host succeeding and no
//!   initiation from this host ever arriving.
//! - From one log (here): a site-to-site peer this host sends IKE to on port
//!   500 sends its own IKE from a port that is neither 500 nor 4500. IKE
//!   daemons send from 500 (4500 once NAT-T floats); pfSense's automatic
//!   outbound NAT keeps port 500 static. A peer behind a real NAT device can
//!   show this too, which the summary says.

use hashbrown::HashMap;

use crate::catalog::rules;
use crate::facts::{host_key_of, AcrossHosts, Initiations, Place, TunnelFacts};
use crate::report::{Finding, Severity};
use crate::rule::{Detection, Rule, Scope, SeeAlso};

use crate::configured::ConfigFile;

pub(crate) static RULE: Rule = Rule {
    id: "outbound-nat-any",
    family: &RULE,
    severity: Severity::Warning,
    title: "Outbound NAT rewrites the firewall's own IKE traffic",
    explanation: "The tunnel initiates one way only although both ends' settings match, or the peer's \
        IKE packets arrive from an unexpected source port. An outbound NAT rule whose source is any (*) \
        matches the firewall's own outbound traffic as well as the LAN's: at best it rewrites the source \
        port of IKE (UDP 500), at worst it sends it from another address altogether, depending on the \
        rule. The peer then does not recognise the traffic, or answers to an address:port pair the \
        firewall does not expect. Stale states created by such a rule keep the problem alive after the \
        rule is fixed.",
    fix: &[
        "On the firewall whose initiations fail: Firewall > NAT > Outbound: change rules with source any \
         (*) to the LAN networks only, or add a rule above them for the firewall itself (source This \
         Firewall / the WAN address, destination port 500) with Static Port checked; pfSense's automatic \
         rules keep port 500 static.",
        "Then Diagnostics > States: filter on the remote peer's address, or on :500; if a NAT state shows \
         the firewall's WAN address as the source with a rewritten port or address, delete those states \
         (also for 4500 and ESP) and let the tunnel reconnect.",
    ],
    see_also: &[SeeAlso::Rule(&super::peer_unreachable::RULE), SeeAlso::Rule(&super::racoon_send_error::RULE)],
    scope: Scope::Tunnel(detect),
    also: &[Scope::AcrossHosts(across), Scope::ConfigBox(10, config)],
    explained_by: &[],
};

fn detect(facts: &TunnelFacts) -> Option<Detection> {
    let sent = facts.sent_to_ike_port.as_ref()?;
    let (port, received) = facts.odd_source_port.as_ref()?;
    let peer = facts.remote.as_deref().unwrap_or("the peer");
    Some(Detection::new(
        format!(
            "This side sends IKE to {peer} on port 500, but {peer}'s own IKE packets arrive from port \
             {port}: something rewrites the peer's outbound IKE traffic. If the peer is not behind a NAT \
             device, an outbound NAT rule with source any on the peer's firewall is matching its own \
             IKE traffic."
        ),
        crate::catalog::common::sorted([sent.clone(), received.clone()]),
    ))
}

/// A tunnel that initiates one way only: this host's IKE requests to the
/// peer go unanswered (`peer-unreachable`), while the peer's own log, also
/// in the input, shows the peer initiating to this host successfully and
/// never receiving an initiation from it. The path works, the peer answers:
/// what this host sends is lost or rewritten on its way out, which is what
/// an outbound NAT rule with source `any` does to the firewall's own IKE
/// traffic.
fn across(input: &AcrossHosts<'_>) -> Vec<(Place, Detection)> {
    let (views, findings) = (input.initiations, input.findings);
    let mut out = Vec::new();
    let view_hosts: Vec<String> = views
        .iter()
        .map(|v| host_key_of(v.host.as_deref(), &v.origin))
        .collect();
    let mut unreachable_at: HashMap<(String, &str), &Finding> = HashMap::default();
    for f in findings.iter().filter(|f| f.is(rules::PEER_UNREACHABLE)) {
        if let Some(tunnel) = f.tunnel.as_deref() {
            unreachable_at
                .entry((host_key_of(f.host.as_deref(), &f.origin), tunnel))
                .or_insert(f);
        }
    }
    // Views by their local address: a scan per view is quadratic.
    let mut by_local: HashMap<&str, Vec<usize>> = HashMap::default();
    for (j, b) in views.iter().enumerate() {
        if let Some(local) = &b.local {
            by_local.entry(local.as_str()).or_default().push(j);
        }
    }
    for (i, a) in views.iter().enumerate() {
        let a_host = &view_hosts[i];
        let Some(unreachable) = unreachable_at.get(&(a_host.clone(), a.tunnel.as_str())) else {
            continue;
        };
        let Some(a_remote) = &a.remote else { continue };
        let peers: Vec<&Initiations> = by_local
            .get(a_remote.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|j| view_hosts[*j] != *a_host)
            .map(|j| &views[j])
            .filter(|b| b.local.as_ref() == Some(a_remote))
            .filter(|b| match (&a.local, &b.remote) {
                (Some(al), Some(br)) => al == br,
                _ => true,
            })
            .collect();
        let [b] = peers.as_slice() else { continue };
        let Some(up) = &b.initiated_up else { continue };
        if b.peer_initiated {
            continue;
        }
        let peer_name = b.host.clone().unwrap_or_else(|| b.origin.to_string());
        let mut evidence = unreachable.evidence.clone();
        evidence.extend(up.iter().cloned());
        out.push((
            Place {
                host: a.host.clone(),
                tunnel: Some(a.tunnel.clone()),
                origin: a.origin.clone(),
            },
            Detection::new(
                format!(
                    "This side's IKE requests to {a_remote} were never answered, yet the peer's own log \
                     ({peer_name}) shows it initiating to {} and establishing the tunnel, and never \
                     receiving an initiation from this side. The tunnel initiates one way only: this \
                     side's IKE packets are lost or rewritten on their way out. An outbound NAT rule \
                     with source any (*) on this firewall also matches its own IKE traffic and \
                     rewrites its source port or address.",
                    a.local.as_deref().unwrap_or("this side")
                ),
                evidence,
            ),
        ));
    }
    out
}

/// Manual outbound NAT rules whose source `any` also matches the
/// firewall's own IKE traffic.
fn config(file: &ConfigFile<'_>) -> Vec<Detection> {
    let nat = &file.config.host.outbound_nat;
    if !matches!(nat.mode.as_deref(), Some("advanced" | "hybrid")) {
        return Vec::new();
    }
    nat.rules
        .iter()
        .filter(|r| !r.disabled && !r.no_nat)
        .filter(|r| matches!(r.source.as_deref(), Some("any" | "*")))
        .map(|rule| {
            Detection::new(
                format!(
                    "Outbound NAT rule on {} translates source any{}: it also matches the firewall's own IKE \
                     packets (UDP 500/4500), rewriting their source port{} so the peer sees them from an \
                     unexpected address or port.",
                    rule.interface.as_deref().unwrap_or("an interface"),
                    rule.target.as_deref().map(|t| format!(" to {t}")).unwrap_or_default(),
                    if rule.static_port { "" } else { " (no static port)" }
                ),
                vec![file.evidence_at(rule.origin.line.max(1) as usize)],
            )
            .with_fix(
                "Restrict the rule's source to the LAN networks (or add a no-NAT rule for the firewall's own \
                 address above it), then clear the states for the peer address in Diagnostics > States.",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, diagnose_files, ids};

    const A: &str = include_str!("../../tests/fixtures/system/outbound-nat-any/fw-a.log");
    const B: &str = include_str!("../../tests/fixtures/system/outbound-nat-any/fw-b.log");

    #[test]
    fn one_way_initiation_seen_from_both_ends() {
        let alone = diagnose("a.log", A);
        assert!(
            !ids(&alone).contains(&"outbound-nat-any"),
            "one end alone cannot tell"
        );
        let both = diagnose_files(&[("a.log", A), ("b.log", B)]);
        let f = both
            .findings
            .iter()
            .find(|f| f.id == "outbound-nat-any")
            .expect("outbound-nat-any");
        assert_eq!(f.host.as_deref(), Some("fw-a"));
        assert!(f.summary.contains("fw-b"), "{}", f.summary);
        assert!(f.evidence.iter().any(|e| e.path.as_ref() == "b.log"));
        assert!(f.evidence.iter().any(|e| e.path.as_ref() == "a.log"));
    }

    #[test]
    fn peer_ike_from_a_rewritten_port() {
        let log = include_str!("../../tests/fixtures/system/outbound-nat-port.log");
        let report = diagnose("b.log", log);
        let f = report
            .findings
            .iter()
            .find(|f| f.id == "outbound-nat-any")
            .expect("outbound-nat-any");
        assert!(f.summary.contains("port 1024"), "{}", f.summary);
        assert_eq!(f.evidence.len(), 2);
    }
}
