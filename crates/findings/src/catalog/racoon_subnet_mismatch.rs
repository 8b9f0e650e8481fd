//! `racoon-subnet-mismatch`: racoon finds no Phase 2 (sainfo) for the
//! networks the peer proposes.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-subnet-mismatch",
    family: &RULE,
    severity: Severity::Error,
    title: "racoon: local/remote subnets do not match (no sainfo)",
    explanation: "racoon logged \"failed to pre-process packet\" and \"failed to get sainfo\": the peer \
        proposed Phase 2 networks (its IDs) for which this side has no Phase 2 entry (racoon's sainfo). \
        The usual cause is a subnet mask that differs between the two ends, most often one end with the \
        network as /24 and the other with a single host /32, or local and remote networks swapped on one \
        end. Phase 1 is fine; Phase 2 never comes up.",
    fix: &[
        "pfSense 2.1 and older: VPN > IPsec > edit the tunnel's Phase 2 on both ends: this side's Local \
         Network must be the peer's Remote Network and vice versa, with the same masks (typically both \
         /24, not /24 on one end and /32 on the other).",
        "ipsec-tools racoon.conf: the sainfo address lines (sainfo address 192.168.1.0/24 any address \
         10.0.0.0/24 any) must mirror the peer's exactly, masks included; racoon's debug mode logs the IDs \
         the peer proposed.",
    ],
    see_also: &[SeeAlso::Rule(&super::p2_ts_mismatch::RULE), SeeAlso::Guide("debugging")],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::SainfoNotFound))
        .into_iter()
        .map(|(tunnel, lines)| {
            let count = lines.len();
            let mut shown: Vec<_> = lines.into_iter().take(2).collect();
            shown.extend(log.companion(&tunnel, |e| matches!(e, RacoonEvent::PreProcessFailed)));
            let summary = format!(
                "racoon found no Phase 2 definition (sainfo) matching the networks the peer{} proposed \
                 ({count} time(s)): the local/remote subnets or their masks differ between the two ends.",
                about(&tunnel)
            );
            (tunnel, Detection::new(summary, evidence(shown)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    const SEED: &str = include_str!("../../tests/fixtures/racoon/subnet-mismatch.log");
    const PEER: &str = include_str!("../../tests/fixtures/racoon/subnet-mismatch-peer.log");

    #[test]
    fn seed_excerpt() {
        let report = diagnose("system.log", SEED);
        assert_eq!(ids(&report), ["racoon-subnet-mismatch"]);
        assert_eq!(report.findings[0].evidence.len(), 2);
        assert_eq!(report.findings[0].tunnel, None);
    }

    #[test]
    fn the_peer_named_by_the_line_is_the_tunnel() {
        let report = diagnose("system.log", PEER);
        assert_eq!(ids(&report), ["racoon-subnet-mismatch"]);
        let f = &report.findings[0];
        assert_eq!(f.host.as_deref(), Some("gw-north"));
        assert_eq!(f.tunnel.as_deref(), Some("peer 203.0.113.77"));
        assert!(f.summary.contains("2 time(s)"), "{}", f.summary);
    }

    #[test]
    fn pre_process_alone_is_not_enough() {
        let log = "racoon: ERROR: failed to pre-process packet.";
        assert!(!ids(&diagnose("s.log", log)).contains(&"racoon-subnet-mismatch"));
    }
}
