//! `racoon-pfkey-delete`: the kernel deleted SAs during Phase 2
//! renegotiation.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-pfkey-delete",
    family: &RULE,
    severity: Severity::Info,
    title: "racoon: pfkey DELETE received during Phase 2 renegotiation",
    explanation: "racoon logged \"pfkey DELETE received\": the kernel told racoon an SA was deleted. It \
        is seen repeatedly while Phase 2 is renegotiated between two endpoints that share several Phase \
        2 entries (several subnets): as each pair of SAs is replaced, the old one is deleted. The tunnels \
        keep working, but traffic can stall briefly while an SA is switched over or re-established. No \
        setting is known to remove it entirely.",
    fix: &[
        "Nothing needs changing while the tunnels work. If traffic stalls at each renegotiation, make the \
         Phase 2 lifetimes equal on both ends (VPN > IPsec > Phase 2 > Lifetime) and consider fewer, \
         larger Phase 2 networks, so fewer SAs are replaced at once.",
    ],
    see_also: &[SeeAlso::Guide("renegotiation")],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::PfkeyDelete))
        .into_iter()
        .map(|(tunnel, lines)| {
            let summary = format!(
                "The kernel deleted SAs{} {} time(s), as happens when Phase 2 of several subnets is \
                 renegotiated; traffic may pause briefly while each SA is replaced.",
                about(&tunnel),
                lines.len()
            );
            let shown: Vec<_> = lines.into_iter().take(3).collect();
            (tunnel, Detection::new(summary, evidence(shown)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};
    use crate::Severity;

    #[test]
    fn seed_excerpt_is_information() {
        let report = diagnose(
            "s.log",
            include_str!("../../tests/fixtures/racoon/pfkey-delete.log"),
        );
        assert_eq!(ids(&report), ["racoon-pfkey-delete"]);
        assert_eq!(report.findings[0].severity, Severity::Info);
    }
}
