//! `negotiation-cap-reached`: more negotiations were open at once than the
//! diagnoser tracks, so some were judged before their end.

use crate::facts::HostFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "negotiation-cap-reached",
    family: &RULE,
    severity: Severity::Warning,
    title: "Too many negotiations at once: some were judged early",
    explanation: "To keep memory bounded whatever the input, ipsec-doctor follows a fixed number of \
        negotiations (IKE SAs) per host at once. This host's log had more open at the same time, so \
        the quietest ones were judged before their last line was read: a finding about them may lack \
        its cause, or a failure that showed only later may be missing. Such a log usually comes from \
        a scan or a flood of IKE packets (one negotiation per packet), from hundreds of road-warrior \
        clients, or from several hosts logging without a host name into one file.",
    fix: &[
        "Diagnose a shorter stretch of the log (the minutes around the failure), or only the lines of \
         the tunnel in question (grep its connection name or peer address).",
        "If several hosts log into one file without a host name, split it per host first.",
        "A flood of IKE_SA_INIT from unknown addresses is an attack or a scan, not a tunnel fault: \
         limit it at the firewall (allow UDP 500/4500 only from the peers' addresses).",
    ],
    see_also: &[],
    scope: Scope::Host(detect),
    also: &[],
    explained_by: &[],
};

fn detect(facts: &HostFacts) -> Option<Detection> {
    if facts.negotiations_evicted == 0 {
        return None;
    }
    let first = facts.first_eviction.clone()?;
    Some(Detection::new(
        format!(
            "More than {} negotiations were open at once on this host; {} were judged before their end \
             to keep memory bounded (the first at this line). Findings about them may be incomplete.",
            facts.open_negotiations_cap, facts.negotiations_evicted
        ),
        vec![first],
    ))
}

#[cfg(test)]
mod tests {
    use crate::{Diagnoser, Limits};

    fn diagnose(limit: usize, negotiations: u32) -> crate::Report {
        let mut d = Diagnoser::with_limits(Limits {
            open_negotiations_per_host: limit,
            ..Limits::default()
        });
        let mut n = 0;
        for id in 1..=negotiations {
            n += 1;
            d.push_line(
                "flood.log",
                n,
                &format!(
                    "Nov 27 10:00:00 05[IKE] <{id}> 192.0.2.{} is initiating an IKE_SA",
                    id % 250
                ),
            );
        }
        d.finish()
    }

    #[test]
    fn reported_once_per_host_when_the_cap_is_hit() {
        let report = diagnose(8, 20);
        let found: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.id == "negotiation-cap-reached")
            .collect();
        assert_eq!(found.len(), 1);
        assert!(
            found[0].summary.contains("More than 8"),
            "{}",
            found[0].summary
        );
        assert!(
            found[0].summary.contains("12 were judged"),
            "{}",
            found[0].summary
        );
        assert_eq!(found[0].evidence[0].line, 9);
    }

    #[test]
    fn silent_below_the_cap() {
        let report = diagnose(8, 8);
        assert!(report
            .findings
            .iter()
            .all(|f| f.id != "negotiation-cap-reached"));
    }
}
