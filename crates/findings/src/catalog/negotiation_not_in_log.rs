//! `negotiation-not-in-log`: the IKE daemon's lines are there, but none of
//! them is part of a negotiation.

use crate::facts::HostFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "negotiation-not-in-log",
    family: &super::negotiation_incomplete::RULE,
    severity: Severity::Warning,
    title: "Daemon lines, but no negotiation in the log",
    explanation: "The log has lines of an IKE daemon (charon, pluto or racoon), but none that belongs \
        to a negotiation: only start-up, configuration, plugin or crash output, or a paste that stops \
        before the tunnel is tried. Nothing here says whether the tunnel works. (Exit code 3, as for \
        an input with no IPsec negotiation: no all-clear.)",
    fix: &[
        "Give the lines from \"initiating IKE_SA\" / \"is initiating an IKE_SA\" (charon), \"initiating \
         ...\" / \"responding to ...\" (pluto) or \"initiate new phase 1 negotiation\" (racoon) until a \
         minute later; start the tunnel (swanctl --initiate --child NAME, ipsec up NAME, ipsec auto --up \
         NAME) while the log is captured.",
        "If the daemon stops or crashes at start-up, its first lines (and the system journal of the \
         same minutes) say why; `swanctl --list-conns` / `ipsec auto --status` shows what it loaded.",
    ],
    see_also: &[SeeAlso::Guide("debugging"), SeeAlso::Rule(&super::negotiation_incomplete::RULE)],
    scope: Scope::Host(detect),
    also: &[],
    explained_by: &[],
};

fn detect(facts: &HostFacts) -> Option<Detection> {
    // Said only when the whole input holds no negotiation: in a central
    // syslog, a host that merely started is no news.
    if facts.input_negotiations > 0 || facts.input_findings > 0 {
        return None;
    }
    let first = facts.first_daemon_line.clone()?;
    Some(Detection::new(
        format!(
            "This host's log has {} line(s) of {} but none of an IKE negotiation.",
            facts.daemon_lines,
            facts.daemon_name.unwrap_or("an IKE daemon")
        ),
        vec![first],
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn start_up_lines_only() {
        // pluto's algorithm table at start-up, then an abort (real-logs libreswan-11).
        let log = "May 20 18:08:43 miniattic pluto[3087]:   HMAC_SHA1_96            IKEv1: IKE ESP AH  IKEv2: IKE ESP AH  FIPS  sha, sha1\n\
                   May 20 18:08:43 miniattic pluto[3087]: DH algorithms:";
        let report = diagnose("l.log", log);
        assert_eq!(ids(&report), ["negotiation-not-in-log"]);
        assert!(report.has_problems());
    }
}
