//! Routes lines to negotiations and negotiations to the catalogue.

use std::collections::HashMap;
use std::sync::Arc;

use ipsec_doctor_events::{parse_charon, CharonEvent};
use ipsec_doctor_logs::{frame, Daemon, Framed};

use crate::catalog::CATALOG;
use crate::correlate;
use crate::negotiation::Negotiation;
use crate::report::{Evidence, Finding, Report, Severity, TunnelSummary};
use crate::rule::{Detection, Rule, Scope};

/// The findings that say "this log alone cannot tell".
const GENERIC_IDS: [&str; 3] = [
    "p1-auth-failed",
    "p1-proposal-mismatch",
    "p2-proposal-mismatch",
];

/// Bounds that keep memory independent of the input's size.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries kept per negotiation before bulk lines (packets, retransmits)
    /// are dropped; twice this before any line is.
    pub entries_per_negotiation: usize,
    /// Negotiations open at once per host; the quietest is judged early past it.
    pub open_negotiations_per_host: usize,
    /// A negotiation is judged once its host has logged this many lines
    /// without one for it.
    pub quiet_after_lines: u64,
    /// Evidence lines kept per finding.
    pub evidence_per_finding: usize,
    /// Longest line kept as evidence, in bytes; longer lines are cut.
    pub max_evidence_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            entries_per_negotiation: 400,
            open_negotiations_per_host: 4096,
            quiet_after_lines: 2000,
            evidence_per_finding: 16,
            max_evidence_len: 2048,
        }
    }
}

/// What a host's logs showed overall, for host-wide rules.
#[derive(Debug, Clone, Default)]
pub struct HostFacts {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file of the host's first line.
    pub origin: Arc<str>,
    /// Lines from charon.
    pub charon_lines: u64,
    /// The first charon line, as evidence for host-wide findings.
    pub first_charon_line: Option<Evidence>,
    /// Whether any line shows configuration-backend detail (CFG at level 2).
    pub cfg_detail: bool,
    /// pfSense's xmlreader warning, if logged.
    pub xmlreader_warning: Vec<Evidence>,
    /// Generic findings reported for this host (filled before host rules run).
    pub generic_findings: Vec<&'static str>,
}

/// How lines without an IKE SA tag are attached to a negotiation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SaKey {
    /// charon's `<name|id>` tag, by id: the name appears only once a peer
    /// config is selected (`<1>` becomes `<gw|1>`).
    Tagged(u32),
    /// No tag: the peer's address.
    Peer(String),
    /// No tag and no address yet.
    Unknown,
}

#[derive(Debug, Default)]
struct TunnelState {
    first_up: Option<u64>,
    local: Option<String>,
    remote: Option<String>,
    version: Option<&'static str>,
    negotiations: u64,
    established: u64,
    last_status: &'static str,
    ike_lifetime: Option<(u64, Evidence)>,
}

struct HostState {
    facts: HostFacts,
    open: HashMap<SaKey, Negotiation>,
    thread_key: HashMap<u16, SaKey>,
    current_untagged: Option<SaKey>,
    lines: u64,
    tunnels: HashMap<String, TunnelState>,
    tunnel_order: Vec<String>,
}

/// The diagnosis engine. Feed it lines, then call [`Diagnoser::finish`].
pub struct Diagnoser {
    limits: Limits,
    hosts: HashMap<String, HostState>,
    host_order: Vec<String>,
    paths: HashMap<String, Arc<str>>,
    findings: Vec<Finding>,
    finding_index: HashMap<(String, Option<String>, &'static str), usize>,
    sequence: u64,
}

impl Default for Diagnoser {
    fn default() -> Self {
        Diagnoser::new()
    }
}

impl Diagnoser {
    /// A diagnoser with the default [`Limits`].
    pub fn new() -> Diagnoser {
        Diagnoser::with_limits(Limits::default())
    }

    /// A diagnoser with explicit limits.
    pub fn with_limits(limits: Limits) -> Diagnoser {
        Diagnoser {
            limits,
            hosts: HashMap::new(),
            host_order: Vec::new(),
            paths: HashMap::new(),
            findings: Vec::new(),
            finding_index: HashMap::new(),
            sequence: 0,
        }
    }

    /// Takes one line of `path` (1-based `line_no`). Lines of several files
    /// may be interleaved; lines of one host must come in log order.
    pub fn push_line(&mut self, path: &str, line_no: u64, raw: &str) {
        let Some(framed) = frame(raw) else { return };
        let interesting = match framed.daemon {
            Daemon::Charon | Daemon::CharonSystemd | Daemon::Unknown => true,
            Daemon::Php | Daemon::Other => raw.contains("xmlreader.inc"),
            _ => false,
        };
        if !interesting {
            return;
        }
        let path = self.intern(path);
        let evidence = || Evidence {
            path: path.clone(),
            line: line_no,
            text: clip(
                raw.trim_end_matches(['\r', '\n']),
                self.limits.max_evidence_len,
            ),
        };
        if raw.contains("xmlreader.inc") && raw.contains("Illegal string offset") {
            let ev = evidence();
            let host = self.host_state(&framed, &path);
            host.facts.xmlreader_warning.push(ev);
            return;
        }
        let event = parse_charon(&framed.message);
        let known_charon = framed.daemon.is_charon();
        let recognised = match &event {
            CharonEvent::Unrecognized => false,
            // A bare address/prefix means something only inside charon's
            // traffic selector lists.
            CharonEvent::TsListItem(_) => known_charon,
            _ => true,
        };
        if !known_charon && !recognised {
            return;
        }
        let ev = evidence();
        let limits = self.limits;
        self.sequence += 1;
        let sequence = self.sequence;
        let host = self.host_state(&framed, &path);
        host.lines += 1;
        host.facts.charon_lines += 1;
        if host.facts.first_charon_line.is_none() {
            host.facts.first_charon_line = Some(ev.clone());
        }
        if framed.group.as_deref() == Some("CFG") || shows_cfg_detail(&event) {
            host.facts.cfg_detail = true;
        }
        if !recognised {
            return;
        }
        if matches!(event, CharonEvent::DaemonStarting) {
            // Unique ids start again at 1: nothing open can continue.
            let open: Vec<Negotiation> = host.open.drain().map(|(_, n)| n).collect();
            host.thread_key.clear();
            host.current_untagged = None;
            for neg in open {
                self.judge(neg);
            }
            return;
        }
        let key = host.route(&framed, &event);
        if !host.open.contains_key(&key) {
            if host.open.len() >= limits.open_negotiations_per_host {
                if let Some(quietest) = host
                    .open
                    .iter()
                    .min_by_key(|(_, n)| n.last_activity)
                    .map(|(k, _)| k.clone())
                {
                    if let Some(neg) = host.open.remove(&quietest) {
                        self.judge(neg);
                    }
                }
            }
            let host = self.host_mut(&framed, &path);
            host.open.insert(
                key.clone(),
                Negotiation::new(host.facts.host.clone(), path.clone(), sequence),
            );
        }
        let host = self.host_mut(&framed, &path);
        let now = host.lines;
        let established = matches!(event, CharonEvent::IkeSaEstablished { .. });
        let Some(neg) = host.open.get_mut(&key) else {
            return;
        };
        neg.last_activity = now;
        neg.record(event, ev, limits.entries_per_negotiation);
        if established {
            if let Some(name) = neg.tunnel_name() {
                let started = neg.started;
                host.tunnel(&name).first_up.get_or_insert(started);
            }
        }
        if now.is_multiple_of(1024) {
            let quiet: Vec<SaKey> = host
                .open
                .iter()
                .filter(|(_, n)| now.saturating_sub(n.last_activity) >= limits.quiet_after_lines)
                .map(|(k, _)| k.clone())
                .collect();
            let judged: Vec<Negotiation> =
                quiet.iter().filter_map(|k| host.open.remove(k)).collect();
            for neg in judged {
                self.judge(neg);
            }
        }
    }

    /// How many negotiations are open (not yet judged) across all hosts.
    pub fn open_negotiations(&self) -> usize {
        self.hosts.values().map(|h| h.open.len()).sum()
    }

    /// Judges every open negotiation, runs host-wide rules, pairs both ends
    /// of tunnels and returns the report, worst first.
    pub fn finish(mut self) -> Report {
        let hosts: Vec<String> = self.host_order.clone();
        for key in &hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            let mut open: Vec<Negotiation> = host.open.drain().map(|(_, n)| n).collect();
            open.sort_by_key(|n| n.started);
            for neg in open {
                self.judge(neg);
            }
        }
        let mut tunnels = Vec::new();
        for key in &hosts {
            let Some(host) = self.hosts.get(key) else {
                continue;
            };
            for name in &host.tunnel_order {
                let Some(state) = host.tunnels.get(name) else {
                    continue;
                };
                tunnels.push(TunnelSummary {
                    host: host.facts.host.clone(),
                    tunnel: Some(name.clone()),
                    local: state.local.clone(),
                    remote: state.remote.clone(),
                    ike_version: state.version,
                    status: state.last_status,
                    negotiations: state.negotiations,
                    established: state.established,
                    findings: Vec::new(),
                    origin: host.facts.origin.clone(),
                    ike_lifetime: state.ike_lifetime.clone(),
                });
            }
        }
        correlate::pair_both_ends(&mut self.findings, &tunnels);
        if let Some(rule) = crate::catalog::rule_by_id("lifetime-mismatch") {
            for (tunnel, detection) in correlate::compare_lifetimes(&tunnels) {
                self.add(
                    rule,
                    tunnel.host.clone(),
                    tunnel.tunnel.clone(),
                    tunnel.origin.clone(),
                    detection,
                );
            }
        }
        dedupe_after_correlation(&mut self.findings);
        for key in &hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            let host_key = key.clone();
            let mut facts = host.facts.clone();
            facts.generic_findings = self
                .findings
                .iter()
                .filter(|f| host_key_of(f.host.as_deref(), &f.origin) == host_key)
                .filter(|f| GENERIC_IDS.contains(&f.id))
                .map(|f| f.id)
                .collect();
            for rule in CATALOG {
                if let Scope::Host(detect) = rule.scope {
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
        let findings = self.findings;
        // Worst first, grouped by host and tunnel in the order they appeared.
        let host_rank: HashMap<String, usize> = hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let group_rank = |f: &Finding| {
            host_rank
                .get(&host_key_of(f.host.as_deref(), &f.origin))
                .copied()
                .unwrap_or(usize::MAX)
        };
        let worst = |pred: &dyn Fn(&Finding) -> bool| {
            findings
                .iter()
                .filter(|g| pred(g))
                .map(|g| g.severity)
                .min()
                .unwrap_or(Severity::Info)
        };
        let keyed: Vec<_> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let same_host = |g: &Finding| g.host == f.host && g.origin == f.origin;
                let same_tunnel = |g: &Finding| same_host(g) && g.tunnel == f.tunnel;
                (
                    worst(&same_host),
                    group_rank(f),
                    worst(&same_tunnel),
                    f.tunnel.clone(),
                    f.severity,
                    i,
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&a, &b| keyed[a].cmp(&keyed[b]));
        let findings: Vec<Finding> = order.into_iter().map(|i| findings[i].clone()).collect();
        for tunnel in &mut tunnels {
            tunnel.findings = findings
                .iter()
                .filter(|f| {
                    f.host == tunnel.host && f.origin == tunnel.origin && f.tunnel == tunnel.tunnel
                })
                .map(|f| f.id)
                .collect();
        }
        Report { findings, tunnels }
    }

    fn judge(&mut self, neg: Negotiation) {
        let host_key = host_key_of(neg.host.as_deref(), &neg.origin);
        let mut neg = neg;
        let tunnel = neg.tunnel_name();
        if let Some(host) = self.hosts.get_mut(&host_key) {
            if let Some(name) = &tunnel {
                let state = host.tunnel(name);
                neg.was_up_before = state.first_up.is_some_and(|up| up < neg.started);
                state.negotiations += 1;
                if neg.ike_established_at().is_some() {
                    state.established += 1;
                }
                if state.local.is_none() {
                    state.local.clone_from(&neg.local);
                }
                if state.remote.is_none() {
                    state.remote.clone_from(&neg.remote);
                }
                if state.version.is_none() {
                    state.version = neg.version.map(|v| v.as_str());
                }
                if state.ike_lifetime.is_none() {
                    state.ike_lifetime = neg.entries.iter().find_map(|e| match e.event {
                        CharonEvent::MaxLifetime { seconds } => Some((seconds, e.evidence.clone())),
                        _ => None,
                    });
                }
            }
        }
        let mut detections: Vec<(&'static Rule, Detection)> = Vec::new();
        for rule in CATALOG {
            if let Scope::Negotiation(detect) = rule.scope {
                if let Some(detection) = detect(&neg) {
                    if !detection.evidence.is_empty() {
                        detections.push((rule, detection));
                    }
                }
            }
        }
        // A specific finding makes its generic family member redundant.
        let specific_families: Vec<&str> = detections
            .iter()
            .filter(|(r, _)| r.id != r.family)
            .map(|(r, _)| r.family)
            .collect();
        detections.retain(|(r, _)| r.id != r.family || !specific_families.contains(&r.id));
        let status = if detections
            .iter()
            .any(|(r, _)| r.severity == Severity::Error)
        {
            "down"
        } else if neg.child_established() || neg.ike_established_at().is_some() {
            "up"
        } else {
            ""
        };
        if let (Some(name), Some(host)) = (&tunnel, self.hosts.get_mut(&host_key)) {
            if let Some(state) = host.tunnels.get_mut(name) {
                if !status.is_empty() {
                    state.last_status = status;
                } else if state.last_status.is_empty() {
                    state.last_status = "unknown";
                }
            }
        }
        for (rule, detection) in detections {
            self.add(
                rule,
                neg.host.clone(),
                tunnel.clone(),
                neg.origin.clone(),
                detection,
            );
        }
    }

    fn add(
        &mut self,
        rule: &'static Rule,
        host: Option<String>,
        tunnel: Option<String>,
        origin: Arc<str>,
        detection: Detection,
    ) {
        let key = (
            host_key_of(host.as_deref(), &origin),
            tunnel.clone(),
            rule.id,
        );
        if let Some(&i) = self.finding_index.get(&key) {
            self.findings[i].occurrences += 1;
            return;
        }
        let mut fix = detection.fix;
        fix.extend(rule.fix.iter().map(|s| (*s).to_owned()));
        let mut evidence = detection.evidence;
        evidence.truncate(self.limits.evidence_per_finding);
        self.finding_index.insert(key, self.findings.len());
        self.findings.push(Finding {
            id: rule.id,
            family: rule.family,
            severity: rule.severity,
            host,
            tunnel,
            title: rule.title,
            summary: detection.summary,
            fix,
            evidence,
            occurrences: 1,
            origin,
            peer_summary: detection.peer_summary,
        });
    }

    fn intern(&mut self, path: &str) -> Arc<str> {
        if let Some(p) = self.paths.get(path) {
            return p.clone();
        }
        let p: Arc<str> = Arc::from(path);
        self.paths.insert(path.to_owned(), p.clone());
        p
    }

    fn host_state(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        self.host_mut(framed, path)
    }

    fn host_mut(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        let host_name = framed.host.as_deref().map(str::to_owned);
        let key = host_key_of(host_name.as_deref(), path);
        if !self.hosts.contains_key(&key) {
            self.host_order.push(key.clone());
        }
        self.hosts.entry(key).or_insert_with(|| HostState {
            facts: HostFacts {
                host: host_name,
                origin: path.clone(),
                ..HostFacts::default()
            },
            open: HashMap::new(),
            thread_key: HashMap::new(),
            current_untagged: None,
            lines: 0,
            tunnels: HashMap::new(),
            tunnel_order: Vec::new(),
        })
    }
}

impl HostState {
    /// The tunnel's state, registered in order of first appearance.
    fn tunnel(&mut self, name: &str) -> &mut TunnelState {
        if !self.tunnels.contains_key(name) {
            self.tunnel_order.push(name.to_owned());
        }
        self.tunnels.entry(name.to_owned()).or_default()
    }

    /// Which negotiation a line belongs to.
    fn route(&mut self, framed: &Framed<'_>, event: &CharonEvent) -> SaKey {
        if let Some(tag) = &framed.ike_sa {
            if let Some(id) = tag.unique_id {
                let key = SaKey::Tagged(id);
                if let Some(thread) = framed.thread {
                    self.thread_key.insert(thread, key.clone());
                }
                return key;
            }
        }
        if let Some(peer) = peer_of(event) {
            let key = SaKey::Peer(peer);
            // Lines seen before the first address belong to the same exchange.
            if self.current_untagged == Some(SaKey::Unknown) {
                if let Some(neg) = self.open.remove(&SaKey::Unknown) {
                    if !self.open.contains_key(&key) {
                        self.open.insert(key.clone(), neg);
                    }
                }
            }
            if let Some(thread) = framed.thread {
                self.thread_key.insert(thread, key.clone());
            }
            self.current_untagged = Some(key.clone());
            return key;
        }
        if let Some(key) = framed.thread.and_then(|t| self.thread_key.get(&t)) {
            return key.clone();
        }
        let key = self.current_untagged.clone().unwrap_or(SaKey::Unknown);
        if let Some(thread) = framed.thread {
            self.thread_key.insert(thread, key.clone());
        }
        self.current_untagged = Some(key.clone());
        key
    }
}

/// The peer address an event reveals, for logs without IKE SA tags.
fn peer_of(event: &CharonEvent) -> Option<String> {
    use ipsec_doctor_events::Direction;
    match event {
        CharonEvent::InitiatingIkeSa { remote, .. }
        | CharonEvent::PeerInitiating { remote, .. } => Some(remote.clone()),
        CharonEvent::IkeSaEstablished { remote, .. } => Some(remote.addr.clone()),
        CharonEvent::LookingForPeerConfigs { remote, .. } => Some(remote.clone()),
        CharonEvent::Packet {
            direction: Direction::Received,
            from,
            ..
        } => Some(from.addr.clone()),
        CharonEvent::Packet {
            direction: Direction::Sent,
            to,
            ..
        } => Some(to.addr.clone()),
        _ => None,
    }
}

fn shows_cfg_detail(event: &CharonEvent) -> bool {
    matches!(
        event,
        CharonEvent::Proposals { .. }
            | CharonEvent::LookingForPeerConfigs { .. }
            | CharonEvent::LookingForChildConfig { .. }
            | CharonEvent::TsListHeader { .. }
            | CharonEvent::SelectedPeerConfig(_)
            | CharonEvent::MatchedIkeConfig { .. }
    )
}

/// Hosts are named by syslog; lines without a host name belong to their file.
pub(crate) fn host_key_of(host: Option<&str>, origin: &str) -> String {
    match host {
        Some(h) => format!("host:{h}"),
        None => format!("file:{origin}"),
    }
}

/// After correlation two findings of one tunnel may carry the same id.
fn dedupe_after_correlation(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.host.clone(), f.origin.clone(), f.tunnel.clone(), f.id)));
}

fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
