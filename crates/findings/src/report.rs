//! Findings as the renderers and scripts see them.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::rule::{Detection, Rule};
use crate::status::{Outcome, TunnelStatus};

/// How bad a finding is. Ordered worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The tunnel does not work.
    Error,
    /// Something to look at.
    Warning,
    /// For information.
    Info,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        })
    }
}

/// One line that proves a finding. `text` is the raw line: untrusted, and
/// escaped by every renderer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Evidence {
    /// The file the line came from (`-` for standard input).
    #[serde(serialize_with = "serialize_arc_str")]
    pub path: Arc<str>,
    /// 1-based line number in that file.
    pub line: u64,
    /// The line as read.
    pub text: String,
}

impl Evidence {
    /// When the line was written, where it says.
    pub fn timestamp(&self) -> Option<ipsec_doctor_logs::Timestamp> {
        ipsec_doctor_logs::frame(&self.text)?.timestamp
    }
}

fn serialize_arc_str<S: serde::Serializer>(value: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

/// One diagnosis for one host and tunnel.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule that made it: compare with `rules::...`, not by id.
    #[serde(skip)]
    pub rule: &'static Rule,
    /// Catalogue id.
    pub id: &'static str,
    /// Generic id of the group.
    pub family: &'static str,
    /// How bad.
    pub severity: Severity,
    /// Syslog host name, or `None` when the lines carry none.
    pub host: Option<String>,
    /// Connection name, or the peer address where the name is unknown.
    pub tunnel: Option<String>,
    /// Catalogue title.
    pub title: &'static str,
    /// This case, with its concrete values.
    pub summary: String,
    /// What to change: the case's own steps, then the rule's (borrowed from
    /// the catalogue, not copied into every finding).
    pub fix: Vec<Cow<'static, str>>,
    /// The lines that prove it.
    pub evidence: Vec<Evidence>,
    /// How many negotiations showed it.
    pub occurrences: u64,
    /// The file the finding was read from, for grouping when `host` is `None`.
    #[serde(skip)]
    pub origin: Arc<str>,
    /// The summary as the other end of the tunnel should read it.
    #[serde(skip)]
    pub peer_summary: Option<String>,
    /// This side saw only the peer's refusal: correlation may replace the
    /// finding with the cause the peer's log shows.
    #[serde(skip)]
    pub cause_in_peer_log: bool,
    /// A cause that made this host refuse the peer's request with a notify
    /// that names another cause (see [`crate::Detection`]).
    #[serde(skip)]
    pub explains_peer_refusal: bool,
    /// The daemon whose log shows it (charon, pluto), where known.
    #[serde(skip)]
    pub daemon: Option<ipsec_doctor_logs::Daemon>,
}

impl Finding {
    /// The finding of `rule` for one host and tunnel, as the detection
    /// tells it: the only constructor, for diagnosis and prediction alike.
    /// The fix is the case's own steps, then the rule's; for a finding read
    /// from Libreswan's pluto, Libreswan's step and none of the rule's
    /// strongSwan-only ones.
    pub fn new(
        rule: &'static Rule,
        host: Option<String>,
        tunnel: Option<String>,
        origin: Arc<str>,
        detection: Detection,
    ) -> Finding {
        let mut fix: Vec<Cow<'static, str>> = detection.fix.into_iter().map(Cow::Owned).collect();
        if detection.daemon == Some(ipsec_doctor_logs::Daemon::Pluto) {
            let libreswan = crate::pluto::libreswan_fix(rule);
            if !fix.iter().any(|step| step.starts_with("Libreswan")) {
                fix.push(Cow::Borrowed(libreswan));
            }
            fix.extend(
                rule.fix
                    .iter()
                    .filter(|step| !crate::pluto::is_strongswan_step(step))
                    .map(|s| Cow::Borrowed(*s)),
            );
        } else {
            fix.extend(rule.fix.iter().map(|s| Cow::Borrowed(*s)));
        }
        Finding {
            rule,
            id: rule.id,
            family: rule.family.id,
            severity: rule.severity,
            host,
            tunnel,
            title: rule.title,
            summary: detection.summary,
            fix,
            evidence: detection.evidence,
            occurrences: 1,
            origin,
            peer_summary: detection.peer_summary,
            cause_in_peer_log: detection.cause_in_peer_log,
            explains_peer_refusal: detection.explains_peer_refusal,
            daemon: detection.daemon,
        }
    }

    /// Makes this the finding of another rule (the cause the peer's log
    /// shows): the rule's id, family, title, severity and fix; the summary
    /// and evidence are the caller's to tell. The cause is then named, so
    /// the finding no longer waits for the peer's log, nor explains a
    /// refusal of this side; `daemon` stays this side's.
    pub(crate) fn retarget(&mut self, rule: &'static Rule) {
        self.rule = rule;
        self.cause_in_peer_log = false;
        self.explains_peer_refusal = false;
        self.id = rule.id;
        self.family = rule.family.id;
        self.title = rule.title;
        self.severity = rule.severity;
        self.fix = rule.fix.iter().map(|s| Cow::Borrowed(*s)).collect();
    }

    /// The finding says the outcome is not in the log (a negotiation cut
    /// off, no negotiation at all): not a failure, and not health either.
    /// Told by its rule, so that it holds after a retarget too.
    pub fn undecided(&self) -> bool {
        crate::catalog::is_undecided(self.rule)
    }

    /// Whether the finding is `rule`'s.
    pub fn is(&self, rule: &Rule) -> bool {
        self.rule == rule
    }
}

/// One tunnel as seen from one host.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelSummary {
    /// Syslog host name.
    pub host: Option<String>,
    /// Connection name or peer address.
    pub tunnel: Option<String>,
    /// This side's address, where logged.
    pub local: Option<String>,
    /// The peer's address, where logged.
    pub remote: Option<String>,
    /// `ikev1`, `ikev2` or `None`.
    pub ike_version: Option<&'static str>,
    /// `up` or `down` by the last negotiation whose end the log shows,
    /// `flapping` while they keep changing, `unknown` while none shows how
    /// it ended ([`crate::status`]).
    pub status: TunnelStatus,
    /// How many negotiations were seen.
    pub negotiations: u64,
    /// How many of them established the tunnel: its CHILD SA came up (a
    /// negotiation that later failed, a DPD timeout, counts here and in
    /// `failed`).
    pub established: u64,
    /// How many of them failed (an error finding, as the report names it).
    pub failed: u64,
    /// The algorithms the last established negotiation selected (IKE, then
    /// ESP/AH), as the daemon logs them.
    pub negotiated: Vec<String>,
    /// The tunnel's last negotiations, oldest first (at most
    /// [`crate::status::FLAP_WINDOW`]).
    pub timeline: Vec<Beat>,
    /// The findings for this tunnel, worst first (serialised as their ids).
    #[serde(serialize_with = "rule_ids")]
    pub findings: Vec<&'static Rule>,
    /// The file, for grouping when `host` is `None`.
    #[serde(skip)]
    pub origin: Arc<str>,
    /// The IKE SA's maximum lifetime as logged, for comparing both ends.
    #[serde(skip)]
    pub ike_lifetime: Option<(u64, Evidence)>,
}

/// One negotiation in a tunnel's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Beat {
    /// When it ended (its deciding line's timestamp), where the line has one.
    #[serde(serialize_with = "display_opt")]
    pub at: Option<ipsec_doctor_logs::Timestamp>,
    /// How it ended.
    pub outcome: Outcome,
    /// The worst finding it gave, if any (serialised as its id), as the
    /// report names it once both ends are paired.
    #[serde(rename = "finding", serialize_with = "rule_id")]
    pub rule: Option<&'static Rule>,
    /// The file of its deciding line.
    #[serde(serialize_with = "serialize_arc_str")]
    pub path: Arc<str>,
    /// The deciding line's number.
    pub line: u64,
}

fn rule_id<S: serde::Serializer>(rule: &Option<&'static Rule>, s: S) -> Result<S::Ok, S::Error> {
    match rule {
        Some(r) => s.serialize_str(r.id),
        None => s.serialize_none(),
    }
}

fn rule_ids<S: serde::Serializer>(rules: &[&'static Rule], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(rules.iter().map(|r| r.id))
}

fn display_opt<T: std::fmt::Display, S: serde::Serializer>(
    value: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// Everything a diagnosis found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Findings, worst first, grouped by host and tunnel.
    pub findings: Vec<Finding>,
    /// Every tunnel seen.
    pub tunnels: Vec<TunnelSummary>,
    /// What the input held, for saying why nothing could be diagnosed.
    #[serde(skip)]
    pub reading: Reading,
}

/// How much of the input was an IPsec daemon's.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// Lines read as charon's, pluto's or racoon's.
    pub daemon_lines: u64,
    /// charon's lines that diagnosis does not read (start-up, plugins,
    /// chatter), where they reached the engine.
    pub ignored_daemon_lines: u64,
    /// Negotiations (charon IKE SAs, pluto connections) judged.
    pub negotiations: u64,
    /// Lines of the inputs, where the caller that read them says
    /// ([`Report::reading`] is the engine's but for this count: a sieve may
    /// have kept the engine from seeing most lines).
    pub lines: u64,
    /// Lines that mention an IPsec daemon or IKE but could not be read as a
    /// daemon's message.
    pub unread_lines: u64,
    /// The first few of them.
    pub unread_samples: Vec<Evidence>,
}

/// Unread lines kept as samples in [`Reading::unread_samples`].
pub const UNREAD_SAMPLES: usize = 5;

impl Report {
    /// Whether any finding is an error (exit code 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Whether the report shows a problem, or fails to show health: an error,
    /// or a finding that says the outcome is not in the log
    /// ([`Finding::undecided`]). Exit code 1.
    pub fn has_problems(&self) -> bool {
        self.has_errors() || self.findings.iter().any(Finding::undecided)
    }

    /// Whether no IPsec negotiation could be read at all (`diagnose`'s exit
    /// code 3): no negotiation judged, and no finding but those that say
    /// the outcome is not in the log.
    pub fn read_nothing(&self) -> bool {
        self.reading.negotiations == 0 && self.findings.iter().all(Finding::undecided)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::rules;

    #[test]
    fn a_retargeted_finding_is_wholly_the_new_rule_s() {
        let detection = Detection::new("cut off", Vec::new()).cause_in_peer_log();
        let mut f = Finding::new(
            rules::NEGOTIATION_INCOMPLETE,
            Some("gw".to_owned()),
            None,
            Arc::from("a.log"),
            detection,
        );
        assert!(f.undecided() && f.cause_in_peer_log);
        f.retarget(rules::KERNEL_SA_INSTALL_FAILURE);
        assert!(f.is(rules::KERNEL_SA_INSTALL_FAILURE));
        assert_eq!(
            (f.id, f.family, f.severity, f.title),
            (
                "kernel-sa-install-failure",
                "kernel-sa-install-failure",
                Severity::Error,
                rules::KERNEL_SA_INSTALL_FAILURE.title
            )
        );
        assert!(!f.undecided() && !f.cause_in_peer_log && !f.explains_peer_refusal);
        assert_eq!(f.fix.len(), rules::KERNEL_SA_INSTALL_FAILURE.fix.len());
    }
}
