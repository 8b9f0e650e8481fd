//! `logging-insufficient`: the logs lack the detail a diagnosis needs.

use crate::facts::HostFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope, SeeAlso};

pub(crate) static RULE: Rule = Rule {
    id: "logging-insufficient",
    family: &RULE,
    severity: Severity::Warning,
    title: "Log levels too low to tell the cause",
    explanation: "A negotiation failed and this host's log has no configuration-backend (CFG) detail: no \
        received or configured proposals, no peer or child configuration lookups. Those lines are what \
        name the attribute or identity that differs. The recommended levels are IKE SA, IKE Child SA and \
        Configuration Backend on Diag (level 2), all others on Control (level 1); they can be changed \
        live without disturbing tunnels. For racoon (pfSense 2.1 and older) the same holds when racoon \
        logs failures that name no cause (\"phase1 negotiation failed due to time up\", \"phase2 \
        negotiation failed\") and no DEBUG line: its debug mode is off.",
    fix: &[
        "pfSense 2.2+/OPNsense: VPN > IPsec > Advanced Settings (Log Output): IKE SA, IKE Child SA and \
         Configuration Backend on Diag; all others on Control. Then reproduce and diagnose again.",
        "strongSwan: in strongswan.conf charon.filelog.<name> or charon.syslog.daemon: default = 1, ike = 2, \
         chd = 2, cfg = 2 (or live: swanctl --log / ipsec stroke loglevel cfg 2).",
        "pfSense 2.1 and older (racoon): System > Advanced > Miscellaneous: enable racoon debug mode \
         (restarts racoon and resets all tunnels).",
    ],
    see_also: &[SeeAlso::Guide("debugging")],
    scope: Scope::Host(detect),
    also: &[],
    explained_by: &[],
};

fn detect(facts: &HostFacts) -> Option<Detection> {
    charon(facts).or_else(|| racoon(facts))
}

fn charon(facts: &HostFacts) -> Option<Detection> {
    if facts.cfg_detail || facts.charon_lines == 0 || facts.generic_findings.is_empty() {
        return None;
    }
    let first = facts.first_charon_line.clone()?;
    let mut generic: Vec<&str> = facts.generic_findings.iter().map(|r| r.id).collect();
    generic.dedup();
    Some(Detection::new(
        format!(
            "This host's log has {} charon line(s) but none from the configuration backend, so {} cannot be \
             narrowed down from it.",
            facts.charon_lines,
            generic.join(", ")
        ),
        vec![first],
    ))
}

/// racoon (pfSense 2.1 and older): failures whose messages name no cause,
/// no specific racoon finding, and no `DEBUG:` line, so debug mode is off.
fn racoon(facts: &HostFacts) -> Option<Detection> {
    if facts.racoon_debug_lines > 0 || !facts.racoon_findings.is_empty() {
        return None;
    }
    facts.racoon_unexplained.first()?;
    Some(Detection::new(
        format!(
            "racoon logged {} failure(s) without naming a cause, and none of this host's {} racoon line(s) \
             is a DEBUG line: racoon's debug mode is off, and its normal messages do not show what \
             differs. Enable racoon debug mode and reproduce.",
            facts.racoon_unexplained.len(),
            facts.racoon_lines
        ),
        facts.racoon_unexplained.iter().take(3).cloned().collect(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn generic_failure_without_cfg_lines() {
        let log = "charon: 14[ENC] parsed INFORMATIONAL_V1 request 3851683074 [ N(NO_PROP) ]\n\
                   charon: 14[IKE] received NO_PROPOSAL_CHOSEN error notify";
        assert_eq!(
            ids(&diagnose("i.log", log)),
            ["p1-proposal-mismatch", "logging-insufficient"]
        );
    }

    #[test]
    fn racoon_failures_without_debug_lines() {
        let log = "\
Apr  9 17:20:01 fw21 racoon: [Branch]: INFO: initiate new phase 1 negotiation: 192.0.2.8[500]<=>198.51.100.44[500]
Apr  9 17:20:01 fw21 racoon: INFO: begin Identity Protection mode.
Apr  9 17:21:01 fw21 racoon: ERROR: phase1 negotiation failed due to time up. 0a1b2c3d4e5f6071:0000000000000000
Apr  9 17:21:01 fw21 racoon: [Self]: INFO: unsupported PF_KEY message REGISTER";
        let report = diagnose("system.log", log);
        assert_eq!(ids(&report), ["logging-insufficient"]);
        assert!(report.findings[0].evidence[0].text.contains("time up"));
        let with_debug =
            format!("{log}\nApr  9 17:21:02 fw21 racoon: DEBUG: compared: 0a1b2c3d4e5f6071");
        assert!(diagnose("system.log", &with_debug).findings.is_empty());
    }

    #[test]
    fn a_specific_racoon_finding_needs_no_debug() {
        let log = include_str!("../../tests/fixtures/racoon/send-error.log");
        assert_eq!(ids(&diagnose("s.log", log)), ["racoon-send-error"]);
    }

    #[test]
    fn cfg_lines_present_means_enough_logging() {
        let log = "charon: 14[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024\n\
                   charon: 14[IKE] received NO_PROPOSAL_CHOSEN error notify";
        assert_eq!(ids(&diagnose("i.log", log)), ["p1-proposal-mismatch"]);
    }
}
