//! racoon's lines on one host. racoon (ipsec-tools, pfSense 2.1 and older)
//! rarely names the tunnel a message is about and runs one process for all
//! of them, so its lines are kept per host, each with the peer it names
//! where it names one, and judged once the input has ended.

use std::collections::HashMap;
use std::mem::Discriminant;
use std::sync::Arc;

use ipsec_doctor_events::{RacoonEvent, RacoonLevel, RacoonLine};

use crate::report::Evidence;

/// Entries kept per host, and per kind of event, so that a log of months
/// keeps its first occurrences of everything.
const MAX_ENTRIES: usize = 4096;
const MAX_PER_KIND: usize = 256;

/// One racoon line, typed.
#[derive(Debug, Clone)]
pub struct RacoonEntry {
    /// What the message means.
    pub event: RacoonEvent,
    /// racoon's level word.
    pub level: Option<RacoonLevel>,
    /// The tunnel the line is about, for reports: `peer 203.0.113.5`, or
    /// pfSense's Phase 1 description; `None` when the line names neither.
    pub tunnel: Option<String>,
    /// Seconds on the log's clock ([`ipsec_doctor_logs::Timestamp::sort_key`]), where the line has a time.
    pub at: Option<i64>,
    /// The line.
    pub evidence: Evidence,
}

/// Everything racoon logged on one host.
#[derive(Debug, Clone, Default)]
pub struct RacoonLog {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file of the host's first racoon line.
    pub origin: Arc<str>,
    /// racoon lines seen.
    pub lines: u64,
    /// `DEBUG:` lines seen (racoon's debug mode is on).
    pub debug_lines: u64,
    /// Recognised events and every error line, in log order (capped).
    pub entries: Vec<RacoonEntry>,
    /// Entries dropped by the caps.
    pub dropped: u64,
    last_tunnel: Option<(i64, String)>,
    kind_counts: HashMap<Discriminant<RacoonEvent>, usize>,
}

impl RacoonLog {
    pub(crate) fn new(host: Option<String>, origin: Arc<str>) -> RacoonLog {
        RacoonLog {
            host,
            origin,
            ..RacoonLog::default()
        }
    }

    /// Keeps one line. Returns the tunnel it was attributed to.
    pub(crate) fn record(
        &mut self,
        line: RacoonLine,
        at: Option<i64>,
        evidence: Evidence,
    ) -> Option<String> {
        self.lines += 1;
        if line.level == Some(RacoonLevel::Debug) {
            self.debug_lines += 1;
        }
        // pfSense's Phase 1 description is the operator's name for the
        // tunnel, as charon's connection name is; else the peer's address.
        let named = line
            .description()
            .map(str::to_owned)
            .or_else(|| line.peer().map(crate::negotiation::unnamed_tunnel));
        // racoon handles one exchange at a time: a line in the same second as
        // one that named the peer is about that peer.
        let tunnel = match (&named, at, &self.last_tunnel) {
            (Some(_), _, _) => named.clone(),
            (None, Some(now), Some((then, t))) if *then == now => Some(t.clone()),
            _ => None,
        };
        if let (Some(t), Some(now)) = (&named, at) {
            self.last_tunnel = Some((now, t.clone()));
        }
        let keep =
            line.event != RacoonEvent::Unrecognized || line.level == Some(RacoonLevel::Error);
        if !keep {
            return tunnel;
        }
        let kind = std::mem::discriminant(&line.event);
        let same_kind = self.kind_counts.entry(kind).or_insert(0);
        if self.entries.len() >= MAX_ENTRIES || *same_kind >= MAX_PER_KIND {
            self.dropped += 1;
            return tunnel;
        }
        *same_kind += 1;
        self.entries.push(RacoonEntry {
            event: line.event,
            level: line.level,
            tunnel: tunnel.clone(),
            at,
            evidence,
        });
        tunnel
    }

    /// Every entry matching `pred`.
    pub fn all<'a>(
        &'a self,
        pred: impl Fn(&RacoonEvent) -> bool + 'a,
    ) -> impl Iterator<Item = &'a RacoonEntry> + 'a {
        self.entries.iter().filter(move |e| pred(&e.event))
    }

    /// Whether any entry matches `pred`.
    pub fn any(&self, pred: impl Fn(&RacoonEvent) -> bool) -> bool {
        self.entries.iter().any(|e| pred(&e.event))
    }

    /// The entries matching `pred`, grouped by the tunnel they name, in order
    /// of first appearance.
    pub fn by_tunnel(
        &self,
        pred: impl Fn(&RacoonEvent) -> bool,
    ) -> Vec<(Option<String>, Vec<&RacoonEntry>)> {
        let mut groups: Vec<(Option<String>, Vec<&RacoonEntry>)> = Vec::new();
        for entry in self.entries.iter().filter(|e| pred(&e.event)) {
            match groups.iter_mut().find(|(t, _)| *t == entry.tunnel) {
                Some((_, list)) => list.push(entry),
                None => groups.push((entry.tunnel.clone(), vec![entry])),
            }
        }
        groups
    }

    /// The first entry matching `pred` about `tunnel`, or about no tunnel in
    /// particular.
    pub fn companion(
        &self,
        tunnel: &Option<String>,
        pred: impl Fn(&RacoonEvent) -> bool,
    ) -> Option<&RacoonEntry> {
        self.entries
            .iter()
            .filter(|e| pred(&e.event))
            .find(|e| e.tunnel == *tunnel)
            .or_else(|| {
                self.entries
                    .iter()
                    .filter(|e| pred(&e.event))
                    .find(|e| e.tunnel.is_none())
            })
    }

    /// Error lines whose message names no cause this catalogue knows.
    pub fn unexplained_failures(&self) -> impl Iterator<Item = &RacoonEntry> {
        self.entries.iter().filter(|e| {
            matches!(
                e.event,
                RacoonEvent::Unrecognized | RacoonEvent::NegotiationFailed
            ) && (e.level == Some(RacoonLevel::Error) || e.event == RacoonEvent::NegotiationFailed)
        })
    }
}

/// Evidence of racoon entries, in log order, without repeats.
pub(crate) fn evidence<'a>(entries: impl IntoIterator<Item = &'a RacoonEntry>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = entries.into_iter().map(|e| e.evidence.clone()).collect();
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    out.dedup();
    out
}

/// `" (peer 203.0.113.5)"` or nothing.
pub(crate) fn about(tunnel: &Option<String>) -> String {
    tunnel
        .as_ref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default()
}
