//! `outbound-nat-any`: an outbound NAT rule with source `any` also rewrites
//! the firewall's own IKE traffic.
//!
//! Two ways to see it in logs:
//! - With both ends' logs (cross-host, in `correlate.rs`): this host's
//!   initiations to the peer are never answered (`peer-unreachable`) while
//!   the peer's log shows its own initiations to this host succeeding and no
//!   initiation from this host ever arriving.
//! - From one log (here): a site-to-site peer this host sends IKE to on port
//!   500 sends its own IKE from a port that is neither 500 nor 4500. IKE
//!   daemons send from 500 (4500 once NAT-T floats); pfSense's automatic
//!   outbound NAT keeps port 500 static. A peer behind a real NAT device can
//!   show this too, which the summary says.

use crate::facts::TunnelFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "outbound-nat-any",
    family: "outbound-nat-any",
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
    see_also: &["peer-unreachable", "racoon-send-error"],
    scope: Scope::Tunnel(detect),
    also: &[],
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
