//! What a catalogue entry is.

use crate::configured::ConfigFile;
use crate::facts::{AcrossHosts, HostFacts, MomentKind, Place, TunnelFacts};
use crate::negotiation::Negotiation;
use crate::pluto::{PlutoConnection, PlutoLog};
use crate::racoon::RacoonLog;
use crate::report::{Evidence, Finding, Severity, TunnelSummary};
use ipsec_doctor_config::Tunnel;
use ipsec_doctor_logs::Daemon;

/// A detection with the tunnel it is about (`None`: the host as a whole).
pub type TunnelDetection = (Option<String>, Detection);

/// Where a rule looks.
#[derive(Clone, Copy)]
pub enum Scope {
    /// At one negotiation (one IKE SA on one host), when it is judged.
    Negotiation(fn(&Negotiation) -> Option<Detection>),
    /// At everything seen of one host, once the input has ended.
    Host(fn(&HostFacts) -> Option<Detection>),
    /// At one tunnel's history on one host (every negotiation of it, DPD
    /// teardowns, the ports its packets used), once the input has ended.
    Tunnel(fn(&TunnelFacts) -> Option<Detection>),
    /// At everything racoon logged on one host, once the input has ended.
    /// racoon seldom names the tunnel, so the matcher returns each detection
    /// with the tunnel it is about, where the lines name one.
    Racoon(fn(&RacoonLog) -> Vec<TunnelDetection>),
    /// At one Libreswan pluto connection (every line of it on one host),
    /// once the input has ended. pluto logs the consequences of a failure as
    /// further failures (a kernel refusal also ends the exchange unfinished),
    /// so a connection gets one verdict: of the matchers that find
    /// something, the one of the lowest rank (ties are exclusive by
    /// construction: the attribute a proposal refusal names, say).
    Pluto(u16, fn(&PlutoConnection<'_>) -> Option<Detection>),
    /// At everything pluto logged on one host (its restarts), once the
    /// input has ended.
    PlutoLog(fn(&PlutoLog) -> Option<Detection>),
    /// At every host and tunnel of the input, once both ends of each tunnel
    /// are paired: for what only a comparison of two hosts' logs shows.
    /// The matcher returns each detection with where it belongs.
    AcrossHosts(fn(&AcrossHosts<'_>) -> Vec<(Place, Detection)>),
    /// At every finding and tunnel of the input, before both ends are
    /// paired: findings of other rules that, with what other negotiations
    /// of the same host show, are this rule's (a refusal for want of a
    /// configuration, where the host's own connection to that peer speaks
    /// the other IKE version). Each becomes this rule's finding, with the
    /// detection's summary, peer summary and further evidence.
    Reinterprets(fn(&[Finding], &[TunnelSummary]) -> Vec<Reinterpretation>),
    /// At one tunnel of one box's configuration (`ipsec-doctor check`),
    /// each check in the order of its rank.
    ConfigTunnel(u16, fn(&ConfigFile<'_>, &Tunnel) -> Vec<Detection>),
    /// At one box's configuration as a whole, after its tunnels, each check
    /// in the order of its rank.
    ConfigBox(u16, fn(&ConfigFile<'_>) -> Vec<Detection>),
}

impl Scope {
    /// Whether the matcher reads logs (not configurations).
    pub fn reads_logs(&self) -> bool {
        !matches!(self, Scope::ConfigTunnel(..) | Scope::ConfigBox(..))
    }
}

/// One catalogue entry: the documentation operators read and the matcher
/// that finds it. Each lives in its own module under `catalog/`.
pub struct Rule {
    /// The stable id scripts depend on, e.g. `p1-encryption-mismatch`.
    pub id: &'static str,
    /// The generic rule of the group (`p1-auth-failed`, `p1-proposal-mismatch`,
    /// `p2-proposal-mismatch`) or the rule itself.
    pub family: &'static Rule,
    /// How bad it is.
    pub severity: Severity,
    /// One line.
    pub title: &'static str,
    /// One paragraph: what the logs show and why it fails.
    pub explanation: &'static str,
    /// The fix as concrete steps: pfSense GUI path, then swanctl.conf /
    /// ipsec.conf option.
    pub fix: &'static [&'static str],
    /// Further reading and related guides (`ipsec-doctor explain ...`).
    pub see_also: &'static [SeeAlso],
    /// The matcher.
    pub scope: Scope,
    /// Further matchers of the same finding in other scopes (racoon's
    /// wording of a pre-shared key mismatch, say): the rule stays the only
    /// producer of its finding for every daemon.
    pub also: &'static [Scope],
    /// The findings in the peer's log that explain this one, where this
    /// side's log alone cannot tell the cause (see [`ExplainedBy`]):
    /// pairing both ends replaces this finding with the explainer.
    pub explained_by: &'static [ExplainedBy],
}

/// A further reading of a rule's documentation.
#[derive(Debug, Clone, Copy)]
pub enum SeeAlso {
    /// Another finding.
    Rule(&'static Rule),
    /// A guide (`ipsec-doctor explain debugging`), by its id.
    Guide(&'static str),
}

impl SeeAlso {
    /// The id `ipsec-doctor explain` takes.
    pub fn id(&self) -> &'static str {
        match self {
            SeeAlso::Rule(rule) => rule.id,
            SeeAlso::Guide(id) => id,
        }
    }
}

/// A finding that a [`Scope::Reinterprets`] matcher reads as its rule's.
#[derive(Debug, Clone)]
pub struct Reinterpretation {
    /// The finding's index in the slice the matcher was given.
    pub finding: usize,
    /// Its new summary, peer summary and further evidence.
    pub detection: Detection,
}

/// A finding of the peer's log that explains a rule's finding on this side.
#[derive(Debug, Clone, Copy)]
pub struct ExplainedBy {
    /// Which findings explain it.
    pub explainer: Explainer,
    /// Only a finding whose first line is of the same moment (within two
    /// minutes, clocks of both ends apart) explains it.
    pub same_moment: bool,
}

/// Which findings of the peer's log explain a finding.
#[derive(Debug, Clone, Copy)]
pub enum Explainer {
    /// The specific members of the rule's own family: a generic rule
    /// (`p1-auth-failed`), which this side's log alone cannot tell apart.
    Specific,
    /// The findings of this rule.
    Rule(&'static Rule),
    /// A cause that made the peer refuse with a notify that names another
    /// cause ([`Detection::explains_peer_refusal`]), where this side saw
    /// only the refusal ([`Detection::cause_in_peer_log`]).
    PeerRefusal,
}

/// A rule is one static: two are the same rule when they are the same
/// entry of the catalogue.
impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Rule {}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rule({})", self.id)
    }
}

impl Rule {
    /// Whether the rule is generic: its finding says that this log alone
    /// cannot tell which member of its family it is.
    pub fn is_generic(&self) -> bool {
        self.explained_by
            .iter()
            .any(|e| matches!(e.explainer, Explainer::Specific))
    }

    /// Whether the rule is a specific member of another rule's family
    /// (`psk-mismatch` of `p1-auth-failed`).
    pub fn is_specific(&self) -> bool {
        self.family != self
    }

    /// Every matcher of the rule.
    pub fn scopes(&self) -> impl Iterator<Item = Scope> + '_ {
        std::iter::once(self.scope).chain(self.also.iter().copied())
    }

    /// The full documentation as `ipsec-doctor explain ID` prints it.
    pub fn doc(&self) -> String {
        let mut out = format!(
            "{id}  ({severity}, family {family})\n{title}\n\n{explanation}\n\nFix:\n",
            id = self.id,
            severity = self.severity,
            family = self.family.id,
            title = self.title,
            explanation = self.explanation,
        );
        for step in self.fix {
            out.push_str("  - ");
            out.push_str(step);
            out.push('\n');
        }
        if !self.see_also.is_empty() {
            out.push_str("\nSee also: ");
            let ids: Vec<&str> = self.see_also.iter().map(SeeAlso::id).collect();
            out.push_str(&ids.join(", "));
            out.push('\n');
        }
        out
    }
}

/// What a matcher found: a summary with the concrete values of this case,
/// the lines that prove it, and fix steps specific to it (shown before the
/// rule's general ones).
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// One paragraph naming the concrete values.
    pub summary: String,
    /// The lines that prove it. Never empty for a reported finding.
    pub evidence: Vec<Evidence>,
    /// Steps specific to this case.
    pub fix: Vec<String>,
    /// The same case told from the other end of the tunnel, for when the
    /// peer's log only shows a generic failure and this detection explains it.
    pub peer_summary: Option<String>,
    /// This side saw only the peer's refusal, which the peer's log may
    /// explain otherwise than the refusal's wording says.
    pub cause_in_peer_log: bool,
    /// A cause that makes this daemon refuse the peer's request with a
    /// misleading notify (Libreswan: TS_UNACCEPTABLE on a kernel failure).
    pub explains_peer_refusal: bool,
    /// The daemon whose log shows it, where one daemon's lines were judged.
    pub daemon: Option<Daemon>,
    /// A moment of the tunnel's history this detection marks (a DPD
    /// teardown), at its last evidence line: tunnel-wide rules read it.
    pub moment: Option<MomentKind>,
}

impl Detection {
    /// A detection with its summary and evidence.
    pub fn new(summary: impl Into<String>, evidence: Vec<Evidence>) -> Detection {
        Detection {
            summary: summary.into(),
            evidence,
            fix: Vec::new(),
            peer_summary: None,
            cause_in_peer_log: false,
            explains_peer_refusal: false,
            daemon: None,
            moment: None,
        }
    }

    /// Marks a moment of the tunnel's history, at the last evidence line.
    pub fn marks(mut self, moment: MomentKind) -> Detection {
        self.moment = Some(moment);
        self
    }

    /// Names the daemon whose log shows it.
    pub fn by(mut self, daemon: Daemon) -> Detection {
        self.daemon = Some(daemon);
        self
    }

    /// Marks a cause that explains the peer's reading of a refusal.
    pub fn explains_peer_refusal(mut self) -> Detection {
        self.explains_peer_refusal = true;
        self
    }

    /// Marks a detection made only from the peer's refusal.
    pub fn cause_in_peer_log(mut self) -> Detection {
        self.cause_in_peer_log = true;
        self
    }

    /// Adds the summary as the other end of the tunnel should read it.
    pub fn for_peer(mut self, summary: impl Into<String>) -> Detection {
        self.peer_summary = Some(summary.into());
        self
    }

    /// Adds a specific fix step.
    pub fn with_fix(mut self, step: impl Into<String>) -> Detection {
        self.fix.push(step.into());
        self
    }
}
