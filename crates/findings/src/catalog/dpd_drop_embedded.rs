//! `dpd-drop-embedded`: dead peer detection drops a tunnel whose peer is
//! alive but too busy to answer.
//!
//! Logs do not show throughput, so "heavy traffic" cannot be seen directly.
//! What they do show is how the peer behaves after DPD declared it dead: a
//! peer that really died (rebooted, lost its WAN, the path dropped) stays
//! silent for a while, whereas a peer that was only too busy to answer
//! (an ALIX or similar small box saturated by encrypting traffic) answers
//! the very next negotiation. The heuristic: on one host and tunnel, at
//! least two DPD teardowns each followed by Phase 1 coming up again with the
//! same peer within five minutes (or, without timestamps, before the next
//! teardown). A single DPD timeout, or one the tunnel does not recover from
//! quickly, stays `dpd-timeout` only.

use crate::facts::{Moment, MomentKind, TunnelFacts};
use crate::report::{Evidence, Severity};
use crate::rule::{Detection, Rule, Scope, SeeAlso};

/// How soon after a teardown the peer must answer again to count as alive.
const QUICK_RECOVERY_SECONDS: i64 = 300;
/// How many quick recoveries make a pattern.
const MIN_FLAPS: usize = 2;

pub(crate) static RULE: Rule = Rule {
    id: "dpd-drop-embedded",
    family: &RULE,
    severity: Severity::Warning,
    title: "DPD drops a busy tunnel (small hardware under load)",
    explanation: "Dead peer detection tore this tunnel down repeatedly, and each time the peer answered a \
        new negotiation within minutes: it was not dead, only not answering DPD in time. On an ALIX or \
        other small embedded hardware under heavy IPsec throughput, the CPU is busy encrypting and \
        sending traffic and may not answer a DPD request before it times out, so the tunnel is dropped \
        exactly when it is most used. ipsec-doctor cannot see throughput in the logs: this finding rests \
        on the pattern of quick recoveries (at least two DPD teardowns each followed by Phase 1 coming \
        up again within five minutes). Confirm that the drops coincide with heavy traffic (Status > \
        Traffic Graph, Status > RRD Graphs: CPU and throughput at the times shown).",
    fix: &[
        "pfSense: VPN > IPsec > edit the tunnel's Phase 1 > Dead Peer Detection: uncheck it for this \
         tunnel (or raise the delay and the number of failures before the peer is declared dead).",
        "strongSwan swanctl.conf: connections.<name>.dpd_delay = 0 (off) or a longer delay, and \
         charon.retransmit_* in strongswan.conf for more patience (ipsec.conf: dpddelay=0 / \
         dpdaction=none).",
        "Where the drops remain, reduce the load: a faster cipher the hardware accelerates, or \
         hardware with more CPU.",
    ],
    see_also: &[SeeAlso::Rule(&super::dpd_timeout::RULE), SeeAlso::Guide("renegotiation")],
    scope: Scope::Tunnel(detect),
    also: &[],
    explained_by: &[],
};

fn detect(facts: &TunnelFacts) -> Option<Detection> {
    let mut moments: Vec<&Moment> = facts.moments.iter().collect();
    moments.sort_by(|a, b| {
        (&a.evidence.path, a.evidence.line).cmp(&(&b.evidence.path, b.evidence.line))
    });
    let mut flaps: Vec<(&Moment, &Moment)> = Vec::new();
    for (i, drop) in moments.iter().enumerate() {
        if drop.kind != MomentKind::DpdDrop {
            continue;
        }
        let next = moments[i + 1..]
            .iter()
            .take_while(|m| m.kind != MomentKind::DpdDrop)
            .find(|m| m.kind == MomentKind::Up);
        let Some(up) = next else { continue };
        let quick = match (drop.at, up.at) {
            (Some(d), Some(u)) => (0..=QUICK_RECOVERY_SECONDS).contains(&(u - d)),
            _ => true,
        };
        if quick {
            flaps.push((drop, up));
        }
    }
    if flaps.len() < MIN_FLAPS {
        return None;
    }
    let gaps: Vec<String> = flaps
        .iter()
        .filter_map(|(d, u)| Some(format!("{}s", u.at? - d.at?)))
        .collect();
    let mut evidence: Vec<Evidence> = flaps
        .iter()
        .take(4)
        .flat_map(|(d, u)| [d.evidence.clone(), u.evidence.clone()])
        .collect();
    evidence.dedup();
    Some(Detection::new(
        format!(
            "Dead peer detection dropped the tunnel to {} {} times, and each time the peer answered again \
             right after{}: the peer is alive but did not answer DPD in time, as happens on small \
             hardware under heavy IPsec traffic.",
            facts.remote.as_deref().unwrap_or("the peer"),
            flaps.len(),
            if gaps.is_empty() {
                String::new()
            } else {
                format!(" (Phase 1 up again after {})", gaps.join(", "))
            }
        ),
        evidence,
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn charon_tunnel_dropped_by_dpd_and_back_within_seconds() {
        let log = include_str!("../../tests/fixtures/system/dpd-drop-embedded-charon.log");
        let report = diagnose("alix.log", log);
        let found = ids(&report);
        assert!(found.contains(&"dpd-drop-embedded"), "{found:?}");
        let f = report
            .findings
            .iter()
            .find(|f| f.id == "dpd-drop-embedded")
            .expect("finding");
        assert_eq!(f.tunnel.as_deref(), Some("hq"));
        assert!(f.summary.contains("2 times"), "{}", f.summary);
    }

    #[test]
    fn racoon_dpd_flapping_on_an_alix() {
        let log = include_str!("../../tests/fixtures/racoon/dpd-flap-alix.log");
        let report = diagnose("system.log", log);
        assert_eq!(ids(&report), ["dpd-drop-embedded"]);
        assert_eq!(report.findings[0].tunnel.as_deref(), Some("HQ"));
        assert!(
            report.findings[0].summary.contains("after 3s, 3s"),
            "{}",
            report.findings[0].summary
        );
    }

    #[test]
    fn a_peer_that_stays_away_is_just_dead() {
        let log = "\
Mar  3 14:02:11 fw racoon: [HQ]: INFO: ISAKMP-SA established 192.0.2.50[500]-203.0.113.1[500] spi:1:2
Mar  3 14:31:40 fw racoon: [HQ]: INFO: DPD: remote (ISAKMP-SA spi=1:2) seems to be dead.
Mar  3 15:31:43 fw racoon: [HQ]: INFO: ISAKMP-SA established 192.0.2.50[500]-203.0.113.1[500] spi:3:4
Mar  3 16:07:19 fw racoon: [HQ]: INFO: DPD: remote (ISAKMP-SA spi=3:4) seems to be dead.
Mar  3 16:07:22 fw racoon: [HQ]: INFO: ISAKMP-SA established 192.0.2.50[500]-203.0.113.1[500] spi:5:6";
        assert!(!ids(&diagnose("s.log", log)).contains(&"dpd-drop-embedded"));
    }
}
