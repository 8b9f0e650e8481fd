//! `racoon-pfkey-align`: libipsec could not parse a PF_KEY message from the
//! kernel; the Phase 2 lifetimes of the two ends differ.

use ipsec_doctor_events::RacoonEvent;

use crate::racoon::{about, evidence, RacoonLog};
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso, TunnelDetection};

pub(crate) static RULE: Rule = Rule {
    id: "racoon-pfkey-align",
    family: &RULE,
    severity: Severity::Warning,
    title: "racoon: failed pfkey align (Phase 2 lifetimes differ)",
    explanation: "racoon logged \"libipsec failed pfkey align (Invalid sadb message)\": a PF_KEY message \
        from the kernel about an SA did not have the shape libipsec expected. It is seen when the Phase \
        2 lifetimes of the two ends differ, so one end expires and replaces SAs the other still holds. \
        It is often harmless: many tunnels log it periodically with no effect. The tell-tale sign is its \
        rhythm: it recurs at an interval equal to a Phase 2 lifetime, but not at the moment the SAs \
        actually expire. Where the log has timestamps, the interval between occurrences is stated.",
    fix: &[
        "pfSense 2.1 and older: VPN > IPsec > edit each Phase 2 on both ends: set the same Lifetime \
         (seconds) on both.",
        "If the tunnels work and the message only recurs at a steady interval, it can be left alone.",
    ],
    see_also: &[SeeAlso::Guide("renegotiation"), SeeAlso::Rule(&super::lifetime_mismatch::RULE)],
    scope: Scope::Racoon(detect),
    also: &[],
    explained_by: &[],
};

fn detect(log: &RacoonLog) -> Vec<TunnelDetection> {
    log.by_tunnel(|e| matches!(e, RacoonEvent::PfkeyAlign))
        .into_iter()
        .map(|(tunnel, lines)| {
            let times: Vec<i64> = lines.iter().filter_map(|e| e.at).collect();
            let rhythm = rhythm(&times);
            let summary = format!(
                "racoon logged a failed pfkey align{} {} time(s). {rhythm}",
                about(&tunnel),
                lines.len()
            );
            let shown: Vec<_> = lines.into_iter().take(4).collect();
            (tunnel, Detection::new(summary, evidence(shown)))
        })
        .collect()
}

/// What the intervals between occurrences say.
fn rhythm(times: &[i64]) -> String {
    if times.len() < 2 {
        return "The log shows it once (or without times), so its interval cannot be measured; if it \
                recurs at a steady interval equal to a Phase 2 lifetime it is usually harmless."
            .to_owned();
    }
    let gaps: Vec<i64> = times
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|g| *g > 0)
        .collect();
    let (Some(&min), Some(&max)) = (gaps.iter().min(), gaps.iter().max()) else {
        return "All occurrences carry the same time, so no interval can be measured.".to_owned();
    };
    let mean = gaps.iter().sum::<i64>() / gaps.len() as i64;
    if max - min <= (mean / 20).max(5) {
        format!(
            "It recurs every {} ({mean}s, between {min}s and {max}s): a steady interval, as a Phase 2 \
             lifetime of about {mean}s would produce. Check that both ends use the same Phase 2 \
             lifetime; if the tunnels work, the message is harmless.",
            human(mean)
        )
    } else {
        format!(
            "The intervals between occurrences vary from {} to {} (mean {}): not a steady Phase 2 \
             lifetime rhythm, so look for SAs being replaced at other times too.",
            human(min),
            human(max),
            human(mean)
        )
    }
}

fn human(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    const SEED: &str = include_str!("../../tests/fixtures/racoon/pfkey-align.log");
    const RECURRING: &str = include_str!("../../tests/fixtures/racoon/pfkey-align-recurring.log");

    #[test]
    fn seed_excerpt_without_times() {
        let report = diagnose("s.log", SEED);
        assert_eq!(ids(&report), ["racoon-pfkey-align"]);
        assert!(report.findings[0].summary.contains("cannot be measured"));
    }

    #[test]
    fn the_interval_between_occurrences_is_stated() {
        let report = diagnose("s.log", RECURRING);
        assert_eq!(ids(&report), ["racoon-pfkey-align"]);
        let s = &report.findings[0].summary;
        assert!(s.contains("every 1h00m (3600s"), "{s}");
        assert_eq!(report.findings[0].evidence.len(), 3);
    }
}
