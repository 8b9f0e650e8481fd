//! [`Live`]: lines in, tunnel state and the changes out.

use std::collections::BTreeMap;
use std::sync::Arc;

use hashbrown::HashMap;
use serde::Serialize;

use ipsec_doctor_findings::{
    unnamed_tunnel, Diagnoser, Finding, Limits, Outcome, Report, Rule, Severity, TunnelStatus,
    TunnelSummary,
};
use ipsec_doctor_logs::{frame, Daemon};

/// The default of [`LiveConfig::undecided_after_ms`]: longer than charon's
/// longest silence within an exchange. With its default retransmission
/// settings (`retransmit_timeout` 4 s, `retransmit_base` 1.8,
/// `retransmit_tries` 5) the gaps between retransmits grow to 76 s and it
/// gives up (a line that decides) 165 s after the first packet; pluto's
/// retransmits are closer together. A negotiation silent for longer than
/// this has stopped logging, and is judged as its log leaves it.
pub const UNDECIDED_AFTER_MS: u64 = 90_000;

/// The default of [`LiveConfig::max_hosts`]: with about 12 KB a host
/// (docs/performance.md#watch), some 600 MB at most.
pub const MAX_HOSTS: usize = 50_000;

/// How the live state is kept.
#[derive(Debug, Clone, Copy)]
pub struct LiveConfig {
    /// A negotiation whose outcome the log does not show yet is a tunnel
    /// `connecting` until its host has been silent this long; then it is
    /// judged as [`ipsec_doctor_findings::Diagnoser::finish`] judges it.
    pub undecided_after_ms: u64,
    /// The diagnosis engine's bounds (per negotiation, per host).
    pub limits: Limits,
    /// Hosts kept at most: past it, the hundredth that logged least
    /// recently is forgotten (state, tunnels, findings) and counted, so
    /// that a flood of forged host names cannot grow the state without end.
    pub max_hosts: usize,
}

impl Default for LiveConfig {
    fn default() -> LiveConfig {
        LiveConfig {
            undecided_after_ms: UNDECIDED_AFTER_MS,
            limits: Limits::default(),
            max_hosts: MAX_HOSTS,
        }
    }
}

/// What a tunnel is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelState {
    /// Its last decided negotiation established it.
    Up,
    /// Its last decided negotiation failed.
    Down,
    /// A negotiation is under way: its outcome is not in the log yet.
    Connecting,
    /// Its outcomes keep changing (Nagios' percent state change, see
    /// [`ipsec_doctor_findings::status`]).
    Flapping,
    /// No negotiation of it shows how it ended.
    Unknown,
}

impl TunnelState {
    /// Every state, for metrics and documentation.
    pub const ALL: [TunnelState; 5] = [
        TunnelState::Up,
        TunnelState::Down,
        TunnelState::Connecting,
        TunnelState::Flapping,
        TunnelState::Unknown,
    ];

    /// The word used in the API, the metrics and the history.
    pub fn as_str(self) -> &'static str {
        match self {
            TunnelState::Up => "up",
            TunnelState::Down => "down",
            TunnelState::Connecting => "connecting",
            TunnelState::Flapping => "flapping",
            TunnelState::Unknown => "unknown",
        }
    }

    /// The state [`TunnelState::as_str`] names.
    pub fn parse(word: &str) -> Option<TunnelState> {
        TunnelState::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

/// One tunnel of one host, as `watch` keeps it.
#[derive(Debug, Clone)]
pub struct TunnelLive {
    /// The host (syslog host name, or the source where the log names none).
    pub host: String,
    /// The connection name.
    pub tunnel: String,
    /// What it is now.
    pub state: TunnelState,
    /// Since when (unix ms: when `watch` saw it change).
    pub since_ms: i64,
    /// How often its state changed since `watch` started.
    pub state_changes: u64,
    /// When `watch` last saw it establish (unix ms).
    pub last_established_ms: Option<i64>,
    /// The diagnosis of it, of the lines read since `watch` started; `None`
    /// for a tunnel known only from the history of an earlier run or from
    /// charon's loaded connections.
    pub summary: Option<TunnelSummary>,
    /// Its addresses as charon has them loaded (VICI), where it is known
    /// from there.
    pub configured: Option<(String, String)>,
}

impl TunnelLive {
    /// This side's and the peer's address, from the log, else from
    /// charon's configuration.
    pub fn addresses(&self) -> (Option<&str>, Option<&str>) {
        match (&self.summary, &self.configured) {
            (Some(s), _) if s.local.is_some() || s.remote.is_some() => {
                (s.local.as_deref(), s.remote.as_deref())
            }
            (_, Some((local, remote))) => (Some(local.as_str()), Some(remote.as_str())),
            _ => (None, None),
        }
    }
}

/// A connection charon has loaded, as VICI lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredConn {
    /// Its name: the tunnel's.
    pub name: String,
    /// This side's addresses, comma-separated.
    pub local: String,
    /// The peer's addresses, comma-separated.
    pub remote: String,
}

#[derive(Debug, Clone, Default)]
struct Configured {
    conns: Vec<ConfiguredConn>,
    /// The connections with an established IKE SA and an installed CHILD SA.
    up: hashbrown::HashSet<String>,
}

fn tunnel_entry<'t>(
    tunnels: &'t mut BTreeMap<(String, String), TunnelLive>,
    host: &str,
    tunnel: &str,
    now_ms: i64,
) -> &'t mut TunnelLive {
    tunnels
        .entry((host.to_owned(), tunnel.to_owned()))
        .or_insert_with(|| TunnelLive {
            host: host.to_owned(),
            tunnel: tunnel.to_owned(),
            state: TunnelState::Unknown,
            since_ms: now_ms,
            state_changes: 0,
            last_established_ms: None,
            summary: None,
            configured: None,
        })
}

fn set_state(entry: &mut TunnelLive, state: TunnelState, now_ms: i64, changes: &mut Vec<Change>) {
    if entry.state != state {
        changes.push(Change {
            at_ms: now_ms,
            host: entry.host.clone(),
            tunnel: Some(entry.tunnel.clone()),
            kind: ChangeKind::State {
                from: entry.state,
                to: state,
            },
        });
        entry.state = state;
        entry.since_ms = now_ms;
        entry.state_changes += 1;
    }
}

/// A finding that stands: raised and not resolved since.
#[derive(Debug, Clone)]
pub struct ActiveFinding {
    /// The finding, as `diagnose` reports it.
    pub finding: Finding,
    /// When it was raised (unix ms).
    pub since_ms: i64,
    /// `false` for a finding restored from an earlier run's history whose
    /// text is all that is known of it.
    pub seen_this_run: bool,
}

/// What changed at an [`Live::update`].
#[derive(Debug, Clone)]
pub struct Change {
    /// When (unix ms).
    pub at_ms: i64,
    /// The host.
    pub host: String,
    /// The tunnel, `None` for a host-wide finding.
    pub tunnel: Option<String>,
    /// What happened.
    pub kind: ChangeKind,
}

/// What happened to a tunnel or a finding.
#[derive(Debug, Clone)]
pub enum ChangeKind {
    /// The tunnel's state changed (a tunnel seen the first time changes
    /// from `unknown`).
    State {
        /// Before.
        from: TunnelState,
        /// Now.
        to: TunnelState,
    },
    /// A finding was raised.
    Raised(Box<Finding>),
    /// A finding was resolved: its tunnel established again, or the
    /// negotiation it stood for turned out otherwise.
    Resolved {
        /// The finding's rule.
        rule: &'static Rule,
    },
}

/// Lines counted per source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceCounts {
    /// Lines read.
    pub lines: u64,
    /// Lines with no IKE daemon's message in them (charon, pluto, racoon).
    pub unrecognised: u64,
}

/// The engine's state, copied at [`Live::start_update`], to be diagnosed
/// without holding the live state.
pub struct PendingUpdate {
    diagnoser: Diagnoser,
    /// [`Live::evicted_hosts`] when the copy was taken.
    evicted_before: u64,
}

impl PendingUpdate {
    /// `diagnose`'s report of the lines read up to the copy.
    pub fn diagnose(self) -> Diagnosed {
        Diagnosed {
            report: self.diagnoser.finish(),
            evicted_before: self.evicted_before,
        }
    }
}

/// A [`PendingUpdate`] diagnosed, for [`Live::apply`].
pub struct Diagnosed {
    report: Report,
    evicted_before: u64,
}

/// A finding's key: host, tunnel, rule.
pub type FindingKey = (String, Option<String>, &'static str);

/// The live state: feed it lines with [`Live::push`], then call
/// [`Live::update`] when [`Live::needs_update`] says so.
///
/// What it shows is what `diagnose` would say of the same lines: one
/// [`Diagnoser`] reads them all, and each update finishes a copy of it
/// ([`Live::start_update`], [`PendingUpdate::diagnose`]). On top of it, a negotiation still under way is a
/// tunnel `connecting` (its fallback finding held back) until its host has
/// been silent for [`LiveConfig::undecided_after_ms`]; a tunnel's findings
/// stand from the negotiation that raised them until it establishes again.
pub struct Live {
    config: LiveConfig,
    diagnoser: Diagnoser,
    sources: HashMap<Arc<str>, SourceState>,
    /// When each host last logged (unix ms), by the engine's host key.
    host_last_ms: HashMap<String, i64>,
    tunnels: BTreeMap<(String, String), TunnelLive>,
    active: BTreeMap<FindingKey, ActiveFinding>,
    raised: BTreeMap<(String, Option<String>, &'static str, Severity), u64>,
    report: Report,
    dirty: bool,
    /// The earliest time a connecting tunnel's wait runs out.
    deadline: Option<i64>,
    updates: u64,
    evicted: u64,
    /// The findings of hosts forgotten since the last update, resolved.
    evicted_changes: Vec<Change>,
    /// When the last line was pushed.
    last_push_ms: i64,
    /// What charon has loaded and up, per host (VICI).
    configured: BTreeMap<String, Configured>,
}

#[derive(Debug, Default)]
struct SourceState {
    counts: SourceCounts,
    line_no: u64,
}

impl Default for Live {
    fn default() -> Live {
        Live::new(LiveConfig::default())
    }
}

impl Live {
    /// An empty state.
    pub fn new(config: LiveConfig) -> Live {
        Live {
            config,
            diagnoser: Diagnoser::with_limits(config.limits),
            sources: HashMap::default(),
            host_last_ms: HashMap::default(),
            tunnels: BTreeMap::new(),
            active: BTreeMap::new(),
            raised: BTreeMap::new(),
            report: Report::default(),
            dirty: false,
            deadline: None,
            updates: 0,
            evicted: 0,
            evicted_changes: Vec::new(),
            last_push_ms: 0,
            configured: BTreeMap::new(),
        }
    }

    /// Takes one line of `source` (a followed file's path, a syslog
    /// listener, `-`), received at `now_ms`. Its evidence is numbered as
    /// the source's n-th line.
    pub fn push(&mut self, source: &str, line: &str, now_ms: i64) {
        let state = match self.sources.get_mut(source) {
            Some(state) => state,
            None => self.sources.entry(Arc::from(source)).or_default(),
        };
        state.counts.lines += 1;
        state.line_no += 1;
        self.last_push_ms = now_ms;
        let line_no = state.line_no;
        let Some(framed) = frame(line) else {
            state.counts.unrecognised += 1;
            return;
        };
        if !matches!(
            framed.daemon,
            Daemon::Charon | Daemon::CharonSystemd | Daemon::Pluto | Daemon::Racoon
        ) {
            state.counts.unrecognised += 1;
        }
        let host = framed.host.as_deref().unwrap_or(source);
        let new_host = match self.host_last_ms.get_mut(host) {
            Some(at) => {
                *at = now_ms;
                false
            }
            None => {
                self.host_last_ms.insert(host.to_owned(), now_ms);
                true
            }
        };
        self.diagnoser.push_line(source, line_no, line);
        self.dirty = true;
        if new_host && self.host_last_ms.len() > self.config.max_hosts.max(1) {
            self.evict_idlest();
        }
    }

    /// Forgets the hundredth of the hosts that logged least recently (at
    /// least one): the cost of finding them is spread over the hosts added
    /// until the next time.
    fn evict_idlest(&mut self) {
        let n = (self.config.max_hosts / 100).max(1);
        let mut by_age: Vec<(i64, &String)> =
            self.host_last_ms.iter().map(|(h, at)| (*at, h)).collect();
        let n = n.min(by_age.len());
        if n == 0 {
            return;
        }
        by_age.select_nth_unstable(n - 1);
        let gone: hashbrown::HashSet<String> =
            by_age[..n].iter().map(|(_, h)| (*h).clone()).collect();
        self.host_last_ms.retain(|h, _| !gone.contains(h));
        self.tunnels.retain(|(h, _), _| !gone.contains(h));
        // What stood for them is resolved, so that the history, the alerts
        // and a restart forget it too.
        let now = self.last_push_ms;
        let forgotten: Vec<FindingKey> = self
            .active
            .keys()
            .filter(|(h, _, _)| gone.contains(h))
            .cloned()
            .collect();
        for key in forgotten {
            if let Some(was) = self.active.remove(&key) {
                self.evicted_changes.push(Change {
                    at_ms: now,
                    host: key.0,
                    tunnel: key.1,
                    kind: ChangeKind::Resolved {
                        rule: was.finding.rule,
                    },
                });
            }
        }
        self.raised.retain(|(h, _, _, _), _| !gone.contains(h));
        self.diagnoser
            .forget_hosts(|host, origin| gone.contains(host.unwrap_or(origin)));
        self.evicted += gone.len() as u64;
    }

    /// How many hosts were forgotten to keep within
    /// [`LiveConfig::max_hosts`].
    pub fn evicted_hosts(&self) -> u64 {
        self.evicted
    }

    /// How many hosts are kept.
    pub fn hosts(&self) -> usize {
        self.host_last_ms.len()
    }

    /// Asks for another update (one that failed is run again).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// Whether an [`Live::update`] would show something new: lines came,
    /// or a connecting tunnel's wait ran out.
    pub fn needs_update(&self, now_ms: i64) -> bool {
        self.dirty || self.deadline.is_some_and(|d| now_ms >= d)
    }

    /// Diagnoses what was read so far and returns what changed since the
    /// last update, in order: state changes, then findings raised, then
    /// resolved.
    pub fn update(&mut self, now_ms: i64) -> Vec<Change> {
        let pending = self.start_update();
        self.apply(pending.diagnose(), now_ms)
    }

    /// The first part of [`Live::update`]: a copy of the engine's state
    /// (what it costs: about 15 µs per host). The caller may push lines
    /// while the copy is diagnosed ([`PendingUpdate::diagnose`], the
    /// expensive part), then [`Live::apply`] it.
    pub fn start_update(&mut self) -> PendingUpdate {
        self.dirty = false;
        PendingUpdate {
            diagnoser: self.diagnoser.clone(),
            evicted_before: self.evicted,
        }
    }

    /// The last part of [`Live::update`]: takes the diagnosis in and returns
    /// what changed since the last one. Lines pushed since its
    /// [`Live::start_update`] are in the next one.
    pub fn apply(&mut self, diagnosed: Diagnosed, now_ms: i64) -> Vec<Change> {
        self.updates += 1;
        self.report = diagnosed.report;
        // Hosts forgotten while this diagnosis ran are not brought back.
        if self.evicted > diagnosed.evicted_before {
            let kept = &self.host_last_ms;
            self.report
                .tunnels
                .retain(|s| kept.contains_key(&host_of(s.host.as_deref(), &s.origin)));
            self.report
                .findings
                .retain(|f| kept.contains_key(&host_of(f.host.as_deref(), &f.origin)));
        }
        let mut changes = Vec::new();
        let mut deadline: Option<i64> = None;
        let mut standing: BTreeMap<FindingKey, Finding> = BTreeMap::new();
        let wait = i64::try_from(self.config.undecided_after_ms).unwrap_or(i64::MAX);

        // Tunnels: state from the diagnosis, connecting while undecided and recent.
        for summary in &self.report.tunnels {
            let host = host_of(summary.host.as_deref(), &summary.origin);
            let tunnel = summary.tunnel.clone().unwrap_or_default();
            let last_ms = self.host_last_ms.get(&host).copied().unwrap_or(now_ms);
            let undecided = summary
                .timeline
                .last()
                .is_some_and(|b| b.outcome == Outcome::Undecided);
            let waiting = undecided && now_ms.saturating_sub(last_ms) < wait;
            if waiting {
                let due = last_ms.saturating_add(wait);
                deadline = Some(deadline.map_or(due, |d| d.min(due)));
            }
            let superseded = superseded(summary, &self.report.tunnels);
            let charon_has_it_up = self
                .configured
                .get(&host)
                .is_some_and(|c| c.up.contains(&tunnel));
            let state = match summary.status {
                // What charon says of an SA the log has not told the end of.
                TunnelStatus::Unknown if charon_has_it_up => TunnelState::Up,
                _ if waiting && charon_has_it_up => TunnelState::Up,
                _ if superseded => TunnelState::Up,
                TunnelStatus::Flapping => TunnelState::Flapping,
                _ if waiting => TunnelState::Connecting,
                TunnelStatus::Up => TunnelState::Up,
                TunnelStatus::Down => TunnelState::Down,
                TunnelStatus::Unknown => TunnelState::Unknown,
            };
            if !superseded {
                for f in standing_findings(summary, &self.report.findings, waiting) {
                    standing.insert((host.clone(), Some(tunnel.clone()), f.id), f.clone());
                }
            }
            let entry = tunnel_entry(&mut self.tunnels, &host, &tunnel, now_ms);
            let newly_up = summary.established
                > entry.summary.as_ref().map_or(0, |s| s.established)
                || (state == TunnelState::Up && entry.last_established_ms.is_none());
            if newly_up && (summary.established > 0 || state == TunnelState::Up) {
                entry.last_established_ms = Some(now_ms);
            }
            set_state(entry, state, now_ms, &mut changes);
            entry.summary = Some(summary.clone());
        }

        // A tunnel an earlier diagnosis named that this one does not is a
        // name given before the log told more (a responder's `peer ADDRESS`
        // before it chose a configuration): the report is of every line
        // read, so it is gone, not down.
        let named: hashbrown::HashSet<(String, String)> = self
            .report
            .tunnels
            .iter()
            .map(|s| {
                (
                    host_of(s.host.as_deref(), &s.origin),
                    s.tunnel.clone().unwrap_or_default(),
                )
            })
            .collect();
        self.tunnels
            .retain(|key, t| t.summary.is_none() || named.contains(key));

        // Connections charon has loaded (VICI) that no line told of: a
        // tunnel that is configured and down is a tunnel, not a missing row.
        for (host, configured) in &self.configured {
            for conn in &configured.conns {
                let entry = tunnel_entry(&mut self.tunnels, host, &conn.name, now_ms);
                entry.configured = Some((conn.local.clone(), conn.remote.clone()));
                if entry.summary.is_some() {
                    continue;
                }
                let state = if configured.up.contains(&conn.name) {
                    TunnelState::Up
                } else {
                    TunnelState::Down
                };
                if state == TunnelState::Up && entry.state != TunnelState::Up {
                    entry.last_established_ms = Some(now_ms);
                }
                set_state(entry, state, now_ms, &mut changes);
            }
        }

        // Findings no tunnel's timeline decides: host-wide ones, and tunnel
        // rules of the whole history (both ends' lifetimes, rekeying).
        for f in &self.report.findings {
            if f.severity == Severity::Info {
                continue;
            }
            let host = host_of(f.host.as_deref(), &f.origin);
            let key = (host, f.tunnel.clone(), f.id);
            if standing.contains_key(&key) {
                continue;
            }
            let summary = f.tunnel.as_ref().and_then(|t| {
                self.report
                    .tunnels
                    .iter()
                    .find(|s| s.tunnel.as_ref() == Some(t) && same_host(s, f))
            });
            let on_timeline = summary.is_some_and(|s| {
                s.timeline
                    .iter()
                    .any(|b| b.rule.is_some_and(|r| r.id == f.id))
            });
            if on_timeline {
                continue;
            }
            // A host that has just started logging has not negotiated yet:
            // "no negotiation in the log" waits as a negotiation does.
            if f.undecided() {
                let last_ms = self.host_last_ms.get(&key.0).copied().unwrap_or(now_ms);
                if now_ms.saturating_sub(last_ms) < wait {
                    let due = last_ms.saturating_add(wait);
                    deadline = Some(deadline.map_or(due, |d| d.min(due)));
                    continue;
                }
            }
            if !resolved_by_later_up(f, &self.report.tunnels) {
                standing.insert(key, f.clone());
            }
        }

        // Findings restored from an earlier run stand until their tunnel
        // establishes in this one.
        for (key, active) in &self.active {
            if active.seen_this_run || standing.contains_key(key) {
                continue;
            }
            let up = match &key.1 {
                Some(t) => self
                    .tunnels
                    .get(&(key.0.clone(), t.clone()))
                    .is_some_and(|t| t.last_established_ms.is_some()),
                // Host-wide: once any tunnel of the host establishes.
                None => self
                    .tunnels
                    .values()
                    .any(|t| t.host == key.0 && t.last_established_ms.is_some()),
            };
            if !up {
                standing.insert(key.clone(), active.finding.clone());
            }
        }

        let mut raised = Vec::new();
        let mut resolved = Vec::new();
        let before = std::mem::take(&mut self.active);
        for (key, finding) in standing {
            match before.get(&key) {
                Some(was) => {
                    let seen_this_run = was.seen_this_run || self.report_has(&key);
                    self.active.insert(
                        key,
                        ActiveFinding {
                            finding,
                            since_ms: was.since_ms,
                            seen_this_run,
                        },
                    );
                }
                None => {
                    *self
                        .raised
                        .entry((key.0.clone(), key.1.clone(), key.2, finding.severity))
                        .or_default() += 1;
                    raised.push(Change {
                        at_ms: now_ms,
                        host: key.0.clone(),
                        tunnel: key.1.clone(),
                        kind: ChangeKind::Raised(Box::new(finding.clone())),
                    });
                    self.active.insert(
                        key,
                        ActiveFinding {
                            finding,
                            since_ms: now_ms,
                            seen_this_run: true,
                        },
                    );
                }
            }
        }
        for (key, was) in before {
            if !self.active.contains_key(&key) {
                resolved.push(Change {
                    at_ms: now_ms,
                    host: key.0,
                    tunnel: key.1,
                    kind: ChangeKind::Resolved {
                        rule: was.finding.rule,
                    },
                });
            }
        }
        changes.extend(raised);
        changes.extend(resolved);
        changes.append(&mut self.evicted_changes);
        self.deadline = deadline;
        changes
    }

    fn report_has(&self, key: &FindingKey) -> bool {
        self.report.findings.iter().any(|f| {
            f.id == key.2 && f.tunnel == key.1 && host_of(f.host.as_deref(), &f.origin) == key.0
        })
    }

    /// What charon on `host` has loaded (`conns`) and up (`up`: connection
    /// names with an established IKE SA and an installed CHILD SA), as VICI
    /// lists them: loaded connections no line told of become tunnels, and
    /// charon's word decides a tunnel whose log does not show how its
    /// negotiation ended. Connections no longer loaded are dropped.
    pub fn configured(&mut self, host: &str, conns: Vec<ConfiguredConn>, up: Vec<String>) {
        {
            let names: hashbrown::HashSet<&str> = conns.iter().map(|c| c.name.as_str()).collect();
            self.tunnels.retain(|(h, t), live| {
                h != host
                    || live.summary.is_some()
                    || live.configured.is_none()
                    || names.contains(t.as_str())
            });
        }
        self.configured.insert(
            host.to_owned(),
            Configured {
                up: up.into_iter().collect(),
                conns,
            },
        );
        self.dirty = true;
    }

    /// Restores a tunnel's state from an earlier run's history (before any
    /// line is pushed): shown until the lines say otherwise.
    pub fn restore_tunnel(&mut self, host: &str, tunnel: &str, state: TunnelState, since_ms: i64) {
        self.tunnels.insert(
            (host.to_owned(), tunnel.to_owned()),
            TunnelLive {
                host: host.to_owned(),
                tunnel: tunnel.to_owned(),
                state,
                since_ms,
                state_changes: 0,
                last_established_ms: None,
                summary: None,
                configured: None,
            },
        );
    }

    /// Restores a finding that stood when an earlier run stopped: it is not
    /// raised again, and it is resolved when its tunnel establishes.
    pub fn restore_finding(&mut self, finding: Finding, since_ms: i64) {
        let host = host_of(finding.host.as_deref(), &finding.origin);
        self.active.insert(
            (host, finding.tunnel.clone(), finding.id),
            ActiveFinding {
                finding,
                since_ms,
                seen_this_run: false,
            },
        );
    }

    /// Every tunnel, by host and name.
    pub fn tunnels(&self) -> impl Iterator<Item = &TunnelLive> {
        self.tunnels.values()
    }

    /// The findings that stand, by host, tunnel and id.
    pub fn active(&self) -> impl Iterator<Item = (&FindingKey, &ActiveFinding)> {
        self.active.iter()
    }

    /// How often each finding was raised since `watch` started.
    pub fn raised_totals(
        &self,
    ) -> impl Iterator<Item = (&(String, Option<String>, &'static str, Severity), u64)> {
        self.raised.iter().map(|(k, v)| (k, *v))
    }

    /// Lines counted per source.
    pub fn sources(&self) -> impl Iterator<Item = (&str, SourceCounts)> {
        self.sources.iter().map(|(k, v)| (&**k, v.counts))
    }

    /// The diagnosis of the last update: `diagnose`'s report of every line
    /// read so far.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// How many updates ran.
    pub fn updates(&self) -> u64 {
        self.updates
    }
}

/// The host as the live state names it: the syslog host, else the source.
pub fn host_of(host: Option<&str>, origin: &str) -> String {
    host.unwrap_or(origin).to_owned()
}

fn same_host(s: &TunnelSummary, f: &impl HostOf) -> bool {
    let (host, origin) = f.host_and_origin();
    s.host.as_deref() == host && (s.host.is_some() || *s.origin == *origin)
}

/// What names the host of a finding or a tunnel.
trait HostOf {
    fn host_and_origin(&self) -> (Option<&str>, &str);
}

impl HostOf for Finding {
    fn host_and_origin(&self) -> (Option<&str>, &str) {
        (self.host.as_deref(), &self.origin)
    }
}

impl HostOf for TunnelSummary {
    fn host_and_origin(&self) -> (Option<&str>, &str) {
        (self.host.as_deref(), &self.origin)
    }
}

/// A tunnel's findings that stand: those of its negotiations from the last
/// one that established it on (a warning of an established tunnel stands
/// with it; the failures before it are resolved), the fallbacks held back
/// while it is still negotiating.
fn standing_findings<'r>(
    summary: &'r TunnelSummary,
    findings: &'r [Finding],
    waiting: bool,
) -> impl Iterator<Item = &'r Finding> {
    let from = summary
        .timeline
        .iter()
        .rposition(|b| b.outcome == Outcome::Up)
        .unwrap_or(0);
    let last = summary.timeline.len().saturating_sub(1);
    let mut rules: Vec<&'static Rule> = Vec::new();
    for (i, beat) in summary.timeline.iter().enumerate().skip(from) {
        let Some(rule) = beat.rule else { continue };
        if waiting && i == last && ipsec_doctor_findings::catalog::is_undecided(rule) {
            continue;
        }
        if !rules.iter().any(|r| std::ptr::eq(*r, rule)) {
            rules.push(rule);
        }
    }
    findings.iter().filter(move |f| {
        f.severity != Severity::Info
            && f.tunnel == summary.tunnel
            && same_host(summary, *f)
            && rules.iter().any(|r| f.is(r))
    })
}

/// Whether a tunnel known only by its peer's address (its negotiations
/// failed before a configuration was chosen) has since established under
/// its connection's name: the same host, the same peer, later in the same
/// source. It is that tunnel, and its failures are over.
fn superseded(summary: &TunnelSummary, tunnels: &[TunnelSummary]) -> bool {
    let (Some(name), Some(remote)) = (&summary.tunnel, &summary.remote) else {
        return false;
    };
    if *name != unnamed_tunnel(remote) {
        return false;
    }
    let Some(last) = summary.timeline.last() else {
        return false;
    };
    tunnels.iter().any(|s| {
        s.tunnel != summary.tunnel
            && s.remote == summary.remote
            && same_host(s, summary)
            && s.timeline
                .iter()
                .any(|b| b.outcome == Outcome::Up && b.path == last.path && b.line > last.line)
    })
}

/// Whether a finding no timeline decides was followed by an establishment
/// of its tunnel (or, host-wide, of any of its host's tunnels) in the same
/// source.
fn resolved_by_later_up(f: &Finding, tunnels: &[TunnelSummary]) -> bool {
    let Some(last) = f.evidence.last() else {
        return false;
    };
    tunnels
        .iter()
        .filter(|s| same_host(s, f) && (f.tunnel.is_none() || s.tunnel == f.tunnel))
        .flat_map(|s| s.timeline.iter())
        .any(|b| b.outcome == Outcome::Up && b.path == last.path && b.line > last.line)
}
