//! The diagnosis engine: the [`Diagnoser`] and the passes it runs, in order.
//!
//! While reading, each line goes through `ingest` (per daemon: charon,
//! pluto, racoon, kernel output) to its host's state; a charon negotiation
//! is judged (`judge`) when it goes quiet, when the input leaves it behind
//! (`quiet`), or when the input ends. [`Diagnoser::finish`] then runs the
//! end-of-input passes: `judge` (what is still open, pluto's connections),
//! `pair` (both ends of a tunnel and other cross-host checks), `tunnel`
//! (each tunnel's history, racoon's log), `host` (host-wide rules) and
//! `order` (the report, worst first). `merge` combines diagnosers that
//! read disjoint hosts on several threads.

/// hashbrown's map: seeded like std's (host and tunnel names come from the
/// logs) but with a faster hash (foldhash), and `entry_ref` looks a host up
/// without allocating its key.
use hashbrown::HashMap;
use std::sync::Arc;

use ipsec_doctor_logs::frame;

use crate::expiry::{ExpiryQueue, InputClock};
use crate::report::{Evidence, Finding, Report};
use crate::rule::{Detection, Rule};
use crate::sieve::Literal;

mod host;
mod ingest;
mod judge;
mod merge;
mod order;
mod pair;
mod quiet;
mod state;
#[cfg(test)]
mod tests;
mod tunnel;

pub(crate) use state::host_key_of;
use state::{HostState, SaKey};

/// A finding waiting to be added: rule, host, tunnel, file, detection.
type Pending = (
    &'static Rule,
    Option<String>,
    Option<String>,
    Arc<str>,
    Detection,
);

/// The default of [`Limits::quiet_after_input_lines`]: about 30 MB of a
/// central syslog; on one that takes 30 million lines a day, 12 minutes,
/// four times charon's longest silence within an exchange (its
/// retransmissions give up after 165 s by default). A tunnel up for longer
/// goes on in a new negotiation of the same IKE SA, which rules read as
/// one that was up before (as they do past `quiet_after_lines`).
pub const QUIET_AFTER_INPUT_LINES: u64 = 250_000;

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
    /// ... or once the input has moved this many lines (of a file) past
    /// its last line, whatever its host logged (see `expiry.rs`): what is
    /// open is then bounded by the recent input, not by the number of hosts.
    pub quiet_after_input_lines: u64,
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
            quiet_after_input_lines: QUIET_AFTER_INPUT_LINES,
            evidence_per_finding: 16,
            max_evidence_len: 2048,
        }
    }
}

/// The diagnosis engine. Feed it lines, then call [`Diagnoser::finish`]
/// (on a clone, to read on: what `watch` does at each update).
#[derive(Clone)]
pub struct Diagnoser {
    limits: Limits,
    hosts: HashMap<String, Box<HostState>>,
    host_order: Vec<String>,
    paths: HashMap<String, Arc<str>>,
    findings: Vec<Finding>,
    finding_index: HashMap<(String, Option<String>, &'static str), usize>,
    sequence: u64,
    /// The line being read, for ordering findings when diagnosers that read
    /// disjoint sets of hosts are merged.
    at: Option<(Arc<str>, u64)>,
    /// Where each finding was first added (parallel to `findings`).
    added_at: Vec<Option<(Arc<str>, u64)>>,
    last_path: Option<Arc<str>>,
    key_buf: String,
    line_no: u64,
    /// Lines that mention IPsec but could not be read (see [`crate::Reading`]).
    unread_lines: u64,
    /// charon lines that mean nothing to diagnosis (see [`crate::Reading`]).
    ignored_daemon_lines: u64,
    unread_samples: Vec<Evidence>,
    /// Where the reading is, for judging what the input has left behind.
    clock: InputClock,
    expiry: ExpiryQueue<SaKey>,
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
            hosts: HashMap::default(),
            host_order: Vec::new(),
            paths: HashMap::default(),
            findings: Vec::new(),
            finding_index: HashMap::default(),
            sequence: 0,
            at: None,
            added_at: Vec::new(),
            last_path: None,
            key_buf: String::new(),
            line_no: 0,
            unread_lines: 0,
            unread_samples: Vec::new(),
            ignored_daemon_lines: 0,
            clock: InputClock::new(limits.quiet_after_input_lines),
            expiry: ExpiryQueue::default(),
        }
    }

    /// Takes one line of `path` (1-based `line_no`). Lines of several files
    /// may be interleaved; lines of one host must come in log order.
    pub fn push_line(&mut self, path: &str, line_no: u64, raw: &str) {
        self.push_kept_line(path, line_no, raw, None);
    }

    /// [`Diagnoser::push_line`] for a line the [`crate::Sieve`] kept, with
    /// the literal it found there ([`crate::KeptLine::literal`]); the
    /// result is the same, and found sooner.
    pub fn push_kept_line(
        &mut self,
        path: &str,
        line_no: u64,
        raw: &str,
        literal: Option<Literal>,
    ) {
        if let Some(framed) = frame(raw) {
            self.push_framed(path, line_no, raw, framed, literal);
        }
    }

    /// Forgets every host `forget` names (by its syslog host name, or by
    /// the file for lines that name none): its state and its findings, as
    /// if none of its lines had been read. Returns how many were forgotten.
    /// What `watch` does with hosts idle for long when too many are seen,
    /// so that its state stays bounded (a flood of forged host names).
    pub fn forget_hosts(&mut self, mut forget: impl FnMut(Option<&str>, &str) -> bool) -> usize {
        let mut gone: hashbrown::HashSet<String> = hashbrown::HashSet::default();
        self.hosts.retain(|key, h| {
            let keep = !forget(h.facts.host.as_deref(), &h.facts.origin);
            if !keep {
                gone.insert(key.clone());
            }
            keep
        });
        if gone.is_empty() {
            return 0;
        }
        self.host_order.retain(|key| !gone.contains(key));
        let findings = std::mem::take(&mut self.findings);
        let added_at = std::mem::take(&mut self.added_at);
        self.finding_index.clear();
        for (finding, at) in findings.into_iter().zip(added_at) {
            let key = host_key_of(finding.host.as_deref(), &finding.origin);
            if gone.contains(&key) {
                continue;
            }
            self.finding_index.insert(
                (key, finding.tunnel.clone(), finding.id),
                self.findings.len(),
            );
            self.findings.push(finding);
            self.added_at.push(at);
        }
        gone.len()
    }

    /// How many hosts have been read.
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// How many negotiations are open (not yet judged) across all hosts.
    pub fn open_negotiations(&self) -> usize {
        self.hosts.values().map(|h| h.open.len()).sum()
    }

    /// Judges every open negotiation, runs host-wide rules, pairs both ends
    /// of tunnels and returns the report, worst first.
    pub fn finish(mut self) -> Report {
        let hosts: Vec<String> = self.host_order.clone();
        self.judge_still_open(&hosts);
        self.judge_pluto(&hosts);
        let tunnels = self.tunnel_summaries(&hosts);
        self.pair(&hosts, &tunnels);
        self.judge_tunnels(&hosts);
        self.judge_hosts(&hosts);
        self.note_fragments();
        self.into_report(&hosts, tunnels)
    }
}
