//! Host-wide rules, once everything else has been judged, and the note on
//! findings read from a fragment.

use hashbrown::HashMap;

use super::{state::host_key_of, Diagnoser};
use crate::catalog::matchers;
use crate::report::Severity;
use crate::rule::{Rule, Scope};

/// A finding of racoon's own: of the logs, its rule reads only racoon's.
fn is_racoon_only(rule: &Rule) -> bool {
    let mut of_logs = rule.scopes().filter(Scope::reads_logs).peekable();
    of_logs.peek().is_some() && of_logs.all(|scope| matches!(scope, Scope::Racoon(_)))
}

/// A host with at most this many daemon lines was diagnosed from a
/// fragment (a few lines pasted).
const FRAGMENT_LINES: u64 = 5;

impl Diagnoser {
    /// Runs the host matchers of every rule, host by host.
    pub(super) fn judge_hosts(&mut self, hosts: &[String]) {
        // Host rules add findings only for their own host, so the rules
        // of the findings each host had before them can be indexed once.
        let mut ids_by_host: HashMap<String, Vec<&'static Rule>> = HashMap::default();
        for f in &self.findings {
            ids_by_host
                .entry(host_key_of(f.host.as_deref(), &f.origin))
                .or_default()
                .push(f.rule);
        }
        let input_negotiations: u64 = self.hosts.values().map(|h| h.facts.negotiations).sum();
        let input_findings = self.findings.len();
        for key in hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            let host_key = key.clone();
            let mut facts = host.facts.clone();
            facts.input_negotiations = input_negotiations;
            facts.input_findings = input_findings;
            if let Some(log) = &host.racoon {
                facts.racoon_unexplained = log
                    .unexplained_failures()
                    .take(16)
                    .map(|e| e.evidence.clone())
                    .collect();
            }
            // From an index built once: a scan of every finding per host
            // is quadratic with thousands of hosts.
            let of_host = ids_by_host.get(&host_key).map_or(&[][..], Vec::as_slice);
            facts.racoon_findings = of_host
                .iter()
                .copied()
                .filter(|rule| is_racoon_only(rule))
                .collect();
            facts.generic_findings = of_host
                .iter()
                .copied()
                .filter(|rule| rule.is_generic())
                .collect();
            facts.findings = of_host.len();
            for &(rule, detect) in &matchers().host {
                if let Some(detection) = detect(&facts) {
                    self.add(
                        rule,
                        facts.host.clone(),
                        None,
                        facts.origin.clone(),
                        detection,
                    );
                }
            }
        }
    }

    /// A diagnosis from a fragment (a few bare lines pasted) says what it
    /// could not see and what to give next.
    pub(super) fn note_fragments(&mut self) {
        for f in &mut self.findings {
            if f.undecided() || f.severity == Severity::Info {
                continue;
            }
            let key = host_key_of(f.host.as_deref(), &f.origin);
            let Some(lines) = self.hosts.get(&key).map(|h| h.facts.daemon_lines) else {
                continue;
            };
            if (1..=FRAGMENT_LINES).contains(&lines) {
                f.summary.push_str(&format!(
                    " (Read from {lines} line(s) only: the lines before and after them, and the other \
                     side's, are not in this log.)"
                ));
                f.fix.push(
                    "To confirm it, give more: the other side's log of the same minutes, this side's \
                     log from the start of the negotiation with IKE and configuration logging at level \
                     2 (ipsec-doctor explain debugging), or the SAs as they are now (swanctl \
                     --list-sas, ipsec statusall; Libreswan: ipsec trafficstatus)."
                        .into(),
                );
            }
        }
    }
}
