//! `racoon-stuck-phase1`: one side believes Phase 1 is still up, the other
//! has lost it.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-stuck-phase1",
    family: &RULE,
    severity: Severity::Error,
    title: "racoon: stuck Phase 1 (one side thinks it is still up)",
    explanation: "The two ends disagree about Phase 1. The side that still holds an ISAKMP-SA sends \
        encrypted messages the other cannot read (\"none message must be encrypted\" on the side that \
        lost it), or a side without a Phase 1 receives Quick Mode (\"can't start the quick mode, there \
        is no ISAKMP-SA\"), or a side keeps queueing Phase 2 requests because no Phase 1 is found and \
        none comes up (\"request for establishing IPsec-SA was queued due to no phase1 found\"). Typical \
        after one end rebooted or restarted racoon while the other kept its SAs, without DPD to notice. \
        A single \"queued\" line followed by a Phase 1 coming up is normal and not reported.",
    fix: &[
        "Stop and restart racoon on the other (opposite) side of the tunnel, so both ends drop their \
         Phase 1 and negotiate a fresh one (pfSense 2.1 and older: Status > Services > racoon: restart; \
         or Status > IPsec: disconnect the tunnel).",
        "To avoid it in future, enable Dead Peer Detection in Phase 1 on both ends (VPN > IPsec > Phase 1 \
         > DPD), so an end that lost its SAs is noticed.",
    ],
    see_also: &[SeeAlso::Guide("renegotiation")],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn is_stuck(e: &RacoonEvent) -> bool {
    matches!(
        e,
        RacoonEvent::NoneMustBeEncrypted | RacoonEvent::NoIsakmpSa | RacoonEvent::QueuedNoPhase1
    )
}

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    let mut out = Vec::new();
    for (tunnel, lines) in log.by_tunnel(is_stuck) {
        // A queued request that a Phase 1 then serves is how racoon starts a tunnel.
        let served = |line: &&crate::racoon::RacoonEntry| {
            line.event == RacoonEvent::QueuedNoPhase1
                && log.entries.iter().any(|e| {
                    matches!(e.event, RacoonEvent::IsakmpSaEstablished { .. })
                        && (e.evidence.path.as_ref(), e.evidence.line)
                            > (line.evidence.path.as_ref(), line.evidence.line)
                        && (tunnel.is_none() || e.tunnel == tunnel)
                })
        };
        let stuck: Vec<_> = lines.into_iter().filter(|l| !served(l)).collect();
        let Some(first) = stuck.first() else {
            continue;
        };
        let what = match first.event {
            RacoonEvent::NoneMustBeEncrypted => {
                "The peer sends encrypted Phase 1 messages for an ISAKMP-SA this side no longer has"
            }
            RacoonEvent::NoIsakmpSa => {
                "Quick Mode (Phase 2) was requested but this side has no ISAKMP-SA (Phase 1)"
            }
            _ => "Phase 2 requests were queued waiting for a Phase 1 that never came up",
        };
        let summary = format!(
            "{what}{} ({} time(s)): one side believes Phase 1 is still alive while the other has lost it. \
             Restart racoon on the other side.",
            about(&tunnel),
            stuck.len()
        );
        let shown: Vec<_> = stuck.into_iter().take(4).collect();
        out.push((tunnel, Detection::new(summary, evidence(shown))));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn seed_client_server_and_queued() {
        for fixture in [
            include_str!("../../tests/fixtures/racoon/stuck-phase1-client.log"),
            include_str!("../../tests/fixtures/racoon/stuck-phase1-server.log"),
            include_str!("../../tests/fixtures/racoon/stuck-phase1-queued.log"),
        ] {
            assert_eq!(
                ids(&diagnose("s.log", fixture)),
                ["racoon-stuck-phase1"],
                "{fixture}"
            );
        }
    }

    #[test]
    fn a_queued_request_served_by_a_new_phase1_is_normal() {
        let log = include_str!("../../tests/fixtures/racoon/racoon-own-log-file.log");
        assert!(!ids(&diagnose("racoon.log", log)).contains(&"racoon-stuck-phase1"));
    }
}
