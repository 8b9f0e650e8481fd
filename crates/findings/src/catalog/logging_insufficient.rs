//! `logging-insufficient`: the logs lack the detail a diagnosis needs.

use crate::diagnoser::HostFacts;
use crate::report::Severity;
use crate::rule::{Detection, Rule, Scope};

pub(crate) static RULE: Rule = Rule {
    id: "logging-insufficient",
    family: "logging-insufficient",
    severity: Severity::Warning,
    title: "Log levels too low to tell the cause",
    explanation: "A negotiation failed and this host's log has no configuration-backend (CFG) detail: no \
        received or configured proposals, no peer or child configuration lookups. Those lines are what \
        name the attribute or identity that differs. The recommended levels are IKE SA, IKE Child SA and \
        Configuration Backend on Diag (level 2), all others on Control (level 1); they can be changed \
        live without disturbing tunnels.",
    fix: &[
        "pfSense 2.2+/OPNsense: VPN > IPsec > Advanced Settings (Log Output): IKE SA, IKE Child SA and \
         Configuration Backend on Diag; all others on Control. Then reproduce and diagnose again.",
        "strongSwan: in strongswan.conf charon.filelog.<name> or charon.syslog.daemon: default = 1, ike = 2, \
         chd = 2, cfg = 2 (or live: swanctl --log / ipsec stroke loglevel cfg 2).",
        "pfSense 2.1 and older (racoon): System > Advanced > Miscellaneous: enable racoon debug mode \
         (restarts racoon and resets all tunnels).",
    ],
    see_also: &["debugging"],
    scope: Scope::Host(detect),
};

fn detect(facts: &HostFacts) -> Option<Detection> {
    if facts.cfg_detail || facts.charon_lines == 0 || facts.generic_findings.is_empty() {
        return None;
    }
    let first = facts.first_charon_line.clone()?;
    let mut generic = facts.generic_findings.clone();
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
    fn cfg_lines_present_means_enough_logging() {
        let log = "charon: 14[CFG] configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024\n\
                   charon: 14[IKE] received NO_PROPOSAL_CHOSEN error notify";
        assert_eq!(ids(&diagnose("i.log", log)), ["p1-proposal-mismatch"]);
    }
}
