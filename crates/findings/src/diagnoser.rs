//! Routes lines to negotiations and negotiations to the catalogue.

/// hashbrown's map: seeded like std's (host and tunnel names come from the
/// logs) but with a faster hash (foldhash), and `entry_ref` looks a host up
/// without allocating its key.
use hashbrown::hash_map::EntryRef;
use hashbrown::HashMap;

use crate::sieve::{Literal, TS_WINDOW};
use std::sync::{Arc, OnceLock};

use ipsec_doctor_events::may_matter;
use ipsec_doctor_events::{
    parse_charon, parse_kernel, parse_pluto, parse_racoon, CharonEvent, Direction, KernelEvent,
    PlutoEvent, RacoonEvent, RacoonLine,
};
use ipsec_doctor_logs::{frame, span_in, Daemon, Framed};

use crate::catalog::CATALOG;
use crate::correlate;
use crate::expiry::{ExpiryQueue, InputClock, Pos, Queued};
use crate::negotiation::{Negotiation, Role};
use crate::pluto::PlutoLog;
use crate::racoon::RacoonLog;
use crate::report::{Evidence, Finding, Reading, Report, Severity, TunnelSummary, UNREAD_SAMPLES};
use crate::rule::{Detection, Rule, Scope};

/// The findings that say "this log alone cannot tell".
const GENERIC_IDS: [&str; 3] = [
    "p1-auth-failed",
    "p1-proposal-mismatch",
    "p2-proposal-mismatch",
];

/// A finding waiting to be added: rule, host, tunnel, file, detection.
type Pending = (
    &'static Rule,
    Option<String>,
    Option<String>,
    Arc<str>,
    Detection,
);

/// racoon findings whose ids do not start with `racoon-`.
const RACOON_IDS: [&str; 2] = ["crypto-accelerator-keylen", "invalid-payload-type"];

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
    /// Lines from racoon.
    pub racoon_lines: u64,
    /// racoon `DEBUG:` lines (racoon's debug mode is on).
    pub racoon_debug_lines: u64,
    /// racoon failures whose message names no cause (capped).
    pub racoon_unexplained: Vec<Evidence>,
    /// Specific racoon findings reported for this host (filled before host rules run).
    pub racoon_findings: Vec<&'static str>,
    /// Kernel crash output: crash headers and backtrace frames (capped).
    pub crash: Vec<CrashLine>,
    /// Negotiations judged early because [`Limits::open_negotiations_per_host`]
    /// were already open.
    pub negotiations_evicted: u64,
    /// The line that first found the cap reached.
    pub first_eviction: Option<Evidence>,
    /// The cap in force, for the finding's text.
    pub open_negotiations_cap: usize,
    /// Lines of charon (those diagnosis reads), pluto and racoon.
    pub daemon_lines: u64,
    /// The first of them, as evidence for host-wide findings.
    pub first_daemon_line: Option<Evidence>,
    /// The daemon of the first of them (`charon`, `pluto`, `racoon`).
    pub daemon_name: Option<&'static str>,
    /// Negotiations judged on this host (charon IKE SAs, pluto connections
    /// that started one).
    pub negotiations: u64,
    /// Findings for this host before host rules run.
    pub findings: usize,
    /// Negotiations judged on every host of the input (filled before host
    /// rules run).
    pub input_negotiations: u64,
    /// Findings for every host of the input before host rules run.
    pub input_findings: usize,
}

impl HostFacts {
    fn daemon_line(&mut self, daemon: &'static str, evidence: &Evidence) {
        self.daemon_lines += 1;
        if self.first_daemon_line.is_none() {
            self.first_daemon_line = Some(evidence.clone());
            self.daemon_name = Some(daemon);
        }
    }
}

/// One line of kernel crash output.
#[derive(Debug, Clone)]
pub struct CrashLine {
    /// Which crash report of the host the line belongs to: a new one starts
    /// at every crash header (`panic:`, `KDB: stack backtrace:`, ...).
    pub trace: u32,
    /// The line, typed.
    pub event: KernelEvent,
    /// The line.
    pub evidence: Evidence,
}

/// What happened to a tunnel at one moment of its history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MomentKind {
    /// Dead peer detection gave up on the peer and tore the tunnel down.
    DpdDrop,
    /// Phase 1 (IKE SA / ISAKMP-SA) was established.
    Up,
}

/// One moment of a tunnel's history.
#[derive(Debug, Clone)]
pub struct Moment {
    /// What happened.
    pub kind: MomentKind,
    /// Seconds on the log's clock, where the line has a time.
    pub at: Option<i64>,
    /// The line.
    pub evidence: Evidence,
}

/// One tunnel's history on one host, across all its negotiations, for
/// tunnel-wide rules.
#[derive(Debug, Clone)]
pub struct TunnelFacts {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file of the tunnel's first line.
    pub origin: Arc<str>,
    /// Connection name, or `peer ADDRESS`.
    pub tunnel: String,
    /// The peer's address, where logged.
    pub remote: Option<String>,
    /// DPD teardowns and establishments, in log order (capped).
    pub moments: Vec<Moment>,
    /// A packet this side sent to the peer's IKE port 500.
    pub sent_to_ike_port: Option<Evidence>,
    /// A packet from the peer's address whose source port was neither 500
    /// nor 4500, with that port.
    pub odd_source_port: Option<(u16, Evidence)>,
}

const MAX_MOMENTS: usize = 256;
const MAX_CRASH_LINES: usize = 512;

/// A host (name and file) and a tunnel name, for indexing findings.
type HostTunnel<'a> = (Option<&'a str>, &'a str, Option<&'a str>);

/// How lines without an IKE SA tag are attached to a negotiation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// An establishment this side initiated: the initiating and established lines.
    initiated_up: Option<Vec<Evidence>>,
    /// Whether the peer ever initiated to this side.
    peer_initiated: bool,
}

struct HostState {
    facts: HostFacts,
    /// Boxed, as the other per-host maps' values: a small map holds at
    /// least four slots, and with tens of thousands of hosts inline values
    /// would be most of the memory.
    open: HashMap<SaKey, Box<Negotiation>>,
    thread_key: HashMap<u16, SaKey>,
    current_untagged: Option<SaKey>,
    lines: u64,
    tunnels: HashMap<String, Box<TunnelState>>,
    tunnel_order: Vec<String>,
    racoon: Option<Box<RacoonLog>>,
    pluto: Option<Box<PlutoLog>>,
    crash_traces: u32,
    history: HashMap<String, Box<TunnelFacts>>,
    history_order: Vec<String>,
    /// The first packet sent to each peer's port 500, by address (capped).
    sent_to_ike_port: HashMap<String, Evidence>,
    /// The line that brought the host, for [`Diagnoser::merge`].
    first_at: Option<(Arc<str>, u64)>,
    /// The last traffic selector header or item: an item counts only within
    /// [`TS_WINDOW`] lines of it (as [`crate::Sieve`] keeps them).
    ts_anchor: Option<(Arc<str>, u64)>,
}

/// The diagnosis engine. Feed it lines, then call [`Diagnoser::finish`].
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
    /// Lines that mention IPsec but could not be read (see [`Reading`]).
    unread_lines: u64,
    /// charon lines that mean nothing to diagnosis (see [`Reading`]).
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

    /// Combines diagnosers that each read some of the hosts of the same
    /// inputs (every line of a host went to one of them, in log order, with
    /// the same path and line number), into the diagnoser that would have
    /// read every line: hosts and findings are put back in the order of the
    /// lines that brought them. `inputs` lists the paths in reading order.
    /// Call [`Diagnoser::finish`] on the result: judging what is still open
    /// and correlating across hosts happen there.
    ///
    /// This is what lets a caller spread hosts over threads; the library
    /// itself starts none.
    pub fn merge(parts: Vec<Diagnoser>, inputs: &[&str]) -> Diagnoser {
        let rank: HashMap<&str, usize> = inputs
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| (*p, i))
            .collect();
        let pos = |at: &Option<(Arc<str>, u64)>| match at {
            Some((path, line)) => (rank.get(&**path).copied().unwrap_or(usize::MAX), *line),
            None => (usize::MAX, u64::MAX),
        };
        let limits = parts.first().map_or_else(Limits::default, |p| p.limits);
        let mut out = Diagnoser::with_limits(limits);
        let mut hosts = Vec::new();
        let mut findings = Vec::new();
        let mut unread = Vec::new();
        for mut part in parts {
            out.sequence = out.sequence.max(part.sequence);
            out.unread_lines += part.unread_lines;
            out.ignored_daemon_lines += part.ignored_daemon_lines;
            unread.append(&mut part.unread_samples);
            for (path, interned) in part.paths.drain() {
                out.paths.entry(path).or_insert(interned);
            }
            for key in part.host_order {
                if let Some(host) = part.hosts.remove(&key) {
                    hosts.push((pos(&host.first_at), key, host));
                }
            }
            findings.extend(
                part.findings
                    .into_iter()
                    .zip(part.added_at)
                    .map(|(f, at)| (pos(&at), f, at)),
            );
        }
        unread.sort_by_key(|e| (rank.get(&*e.path).copied().unwrap_or(usize::MAX), e.line));
        unread.truncate(UNREAD_SAMPLES);
        out.unread_samples = unread;
        hosts.sort_by_key(|(p, _, _)| *p);
        for (_, key, host) in hosts {
            if !out.hosts.contains_key(&key) {
                out.host_order.push(key.clone());
                out.hosts.insert(key, host);
            }
        }
        findings.sort_by_key(|(p, _, _)| *p);
        for (_, finding, at) in findings {
            let key = (
                host_key_of(finding.host.as_deref(), &finding.origin),
                finding.tunnel.clone(),
                finding.id,
            );
            if let Some(&i) = out.finding_index.get(&key) {
                out.findings[i].occurrences += finding.occurrences;
                continue;
            }
            out.finding_index.insert(key, out.findings.len());
            out.findings.push(finding);
            out.added_at.push(at);
        }
        out
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

    /// [`Diagnoser::push_kept_line`] for a line already framed (by another
    /// thread, say: see [`ipsec_doctor_logs::FramedSpans`]); `framed` must
    /// be `frame(raw)`.
    pub fn push_framed(
        &mut self,
        path: &str,
        line_no: u64,
        raw: &str,
        framed: Framed<'_>,
        literal: Option<Literal>,
    ) {
        self.input_at(path, line_no);
        self.line_no = line_no;
        match framed.daemon {
            Daemon::Racoon => {
                let line = parse_racoon(&framed.message);
                self.push_racoon(&framed, path, line_no, raw, line);
                return;
            }
            Daemon::Pluto => {
                self.push_pluto(&framed, path, line_no, raw);
                return;
            }
            Daemon::Kernel => {
                let event = parse_kernel(&framed.message);
                if event != KernelEvent::Unrecognized {
                    self.push_kernel(&framed, path, line_no, raw, event);
                }
                return;
            }
            Daemon::Unknown | Daemon::Wrapper if !framed.message.is_empty() => {
                // racoon's own log file and pasted excerpts carry no program
                // name; a pasted crash dump carries nothing at all.
                let line = parse_racoon(&framed.message);
                if line.looks_like_racoon() && !self.another_daemons_input(&framed, path) {
                    self.push_racoon(&framed, path, line_no, raw, line);
                    return;
                }
                let event = parse_kernel(&framed.message);
                if event != KernelEvent::Unrecognized {
                    self.push_kernel(&framed, path, line_no, raw, event);
                    return;
                }
            }
            _ => {}
        }
        let xmlreader = || xmlreader_finder().find(raw.as_bytes()).is_some();
        let interesting = match framed.daemon {
            Daemon::Charon | Daemon::CharonSystemd | Daemon::Unknown | Daemon::Wrapper => true,
            Daemon::Php | Daemon::Other => xmlreader(),
            _ => false,
        };
        if !interesting {
            self.note_unread(path, line_no, raw);
            return;
        }
        // The bulk of a charon log means nothing to diagnosis and is not
        // even counted, so that a reader may skip it unseen (crate::sieve).
        if framed.daemon.is_charon()
            && !literal.is_some_and(|l| literal_in_message(raw, &framed.message, l))
            && !may_matter(&framed.message)
            && !xmlreader()
        {
            self.ignored_daemon_lines += 1;
            return;
        }
        let path = self.intern(path);
        let xmlreader_warning = xmlreader() && raw.contains("Illegal string offset");
        let event = if xmlreader_warning {
            CharonEvent::Unrecognized
        } else {
            parse_charon(&framed.message)
        };
        // A message without spaces means something only as an item of a
        // traffic selector list that has just been printed; otherwise it is
        // not even counted, like the lines without a literal.
        let counts = match &event {
            CharonEvent::Unrecognized => xmlreader_warning || framed.message.trim().contains(' '),
            CharonEvent::TsListItem(_) => self.ts_list_open(&framed, &path, line_no),
            _ => true,
        };
        if !counts {
            return;
        }
        self.at = Some((path.clone(), line_no));
        let evidence = || Evidence {
            path: path.clone(),
            line: line_no,
            text: clip(
                raw.trim_end_matches(['\r', '\n']),
                self.limits.max_evidence_len,
            ),
        };
        if xmlreader_warning {
            let ev = evidence();
            let host = self.host_state(&framed, &path);
            host.facts.xmlreader_warning.push(ev);
            return;
        }
        let known_charon = framed.daemon.is_charon();
        let recognised = match &event {
            CharonEvent::Unrecognized => false,
            // A bare address/prefix means something only inside charon's
            // traffic selector lists.
            CharonEvent::TsListItem(_) => known_charon,
            _ => true,
        };
        if !known_charon && !recognised {
            // A bare pluto message pasted without its prefix (`Oakley
            // Transform [...] refused`): charon's reading went first.
            // Not where the same input's bare lines have been charon's and
            // none pluto's: `journalctl -o cat` of charon-systemd gives
            // charon's messages with no prefix at all, and charon's
            // "initiating EAP_IDENTITY method" is no pluto initiation
            // (recorded with strongSwan 6.0.1 in the lab).
            if matches!(framed.daemon, Daemon::Unknown | Daemon::Wrapper)
                && parse_pluto(&framed.message).event != PlutoEvent::Unrecognized
            {
                let host = self.host_state(&framed, &path);
                if host.facts.charon_lines == 0 || host.pluto.is_some() {
                    self.push_pluto(&framed, &path, line_no, raw);
                    return;
                }
            }
            self.note_unread(&path, line_no, raw);
            return;
        }
        let ev = evidence();
        let limits = self.limits;
        self.sequence += 1;
        let sequence = self.sequence;
        // This line's place in the input, for judging what it leaves behind.
        let pos = self.clock.pos();
        let host = self.host_state(&framed, &path);
        host.lines += 1;
        host.facts.charon_lines += 1;
        host.facts.daemon_line("charon", &ev);
        if host.facts.first_charon_line.is_none() {
            host.facts.first_charon_line = Some(ev.clone());
        }
        if framed.group.as_deref() == Some("CFG") || shows_cfg_detail(&event) {
            host.facts.cfg_detail = true;
        }
        if known_charon
            && matches!(
                event,
                CharonEvent::TsListHeader { .. } | CharonEvent::TsListItem(_)
            )
        {
            host.ts_anchor = Some((path.clone(), line_no));
        }
        if !recognised {
            return;
        }
        if matches!(event, CharonEvent::DaemonStarting) {
            // Unique ids start again at 1: nothing open can continue.
            let mut open: Vec<Negotiation> = host.open.drain().map(|(_, n)| *n).collect();
            // In the order they started, not the hash map's (random) order,
            // so that the report is the same at every run.
            open.sort_by_key(|n| n.started);
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
                host.facts.negotiations_evicted += 1;
                host.facts.open_negotiations_cap = limits.open_negotiations_per_host;
                if host.facts.first_eviction.is_none() {
                    host.facts.first_eviction = Some(ev.clone());
                }
                if let Some(quietest) = host
                    .open
                    .iter()
                    .min_by_key(|(_, n)| (n.last_activity, n.started))
                    .map(|(k, _)| k.clone())
                {
                    if let Some(neg) = host.open.remove(&quietest) {
                        self.judge(*neg);
                    }
                }
            }
            let host = self.host_mut(&framed, &path);
            host.open.insert(
                key.clone(),
                Box::new(Negotiation::new(
                    host.facts.host.clone(),
                    path.clone(),
                    sequence,
                )),
            );
            self.expiry.push(Queued {
                pos,
                started: sequence,
                host: host_key_of(framed.host.as_deref(), &path),
                key: key.clone(),
            });
        }
        let host = self.host_mut(&framed, &path);
        let now = host.lines;
        let established = matches!(event, CharonEvent::IkeSaEstablished { .. });
        let Some(neg) = host.open.get_mut(&key) else {
            return;
        };
        neg.last_activity = now;
        neg.last_pos = pos;
        if neg.tag_conn.is_none() {
            if let Some(tag) = framed.ike_sa.as_ref().filter(|t| !t.name.is_empty()) {
                neg.tag_conn = Some(tag.name.clone().into_owned());
            }
        }
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
            let mut judged: Vec<Negotiation> = quiet
                .iter()
                .filter_map(|k| host.open.remove(k))
                .map(|n| *n)
                .collect();
            judged.sort_by_key(|n| n.started);
            for neg in judged {
                self.judge(neg);
            }
        }
    }

    /// Tells the diagnoser that the reading has reached `line_no` of `path`:
    /// negotiations the input has left behind are judged at the checkpoints
    /// passed, as they are by a diagnoser that reads every line (see
    /// `expiry.rs`). Lines pushed tell it themselves. A reader that hands
    /// out the lines to several diagnosers tells each of them where every
    /// chunk of lines begins and ends, the first line of each file before
    /// any line of it: positions count from there.
    pub fn input_at(&mut self, path: &str, line_no: u64) {
        let path = self.intern(path);
        let Some(crossed) = self.clock.advance(&path, line_no) else {
            return;
        };
        let (every, limit) = (self.clock.every(), self.limits.quiet_after_input_lines);
        let mut from = crossed.from;
        // Only the checkpoints at which something is quiet: the others
        // would judge nothing.
        while let Some(read) = self
            .expiry
            .next_quiet_checkpoint(crossed.file, from, every, limit)
            .filter(|&c| c <= crossed.to)
        {
            let at = Pos {
                file: crossed.file,
                read,
            };
            let line = self.clock.line_of(read);
            self.judge_left_behind(at, &path, line);
            from = read.saturating_add(every);
            if read == crossed.to {
                break;
            }
        }
    }

    /// Judges the negotiations quiet at checkpoint `at` (line `line` of
    /// `path`), in the order they started.
    fn judge_left_behind(&mut self, at: Pos, path: &Arc<str>, line: u64) {
        let limit = self.limits.quiet_after_input_lines;
        let mut quiet = Vec::new();
        while let Some(q) = self.expiry.pop_quiet(at, limit) {
            let Some(host) = self.hosts.get_mut(&q.host) else {
                continue;
            };
            let Some(neg) = host.open.get(&q.key).filter(|n| n.started == q.started) else {
                continue;
            };
            if neg.last_pos.quiet_at(at, limit) {
                quiet.extend(host.open.remove(&q.key).map(|n| *n));
            } else {
                // It went on since it was queued.
                let pos = neg.last_pos;
                self.expiry.push(Queued { pos, ..q });
            }
        }
        if quiet.is_empty() {
            return;
        }
        quiet.sort_by_key(|n| n.started);
        let reading = self.at.replace((path.clone(), line));
        for neg in quiet {
            self.judge(neg);
        }
        self.at = reading;
    }

    /// A line that mentions an IPsec daemon or IKE but is none of the
    /// daemons' messages ipsec-doctor reads: counted, and the first few
    /// kept, for saying why nothing could be diagnosed.
    fn note_unread(&mut self, path: &str, line_no: u64, raw: &str) {
        if !mentions_ipsec(raw) {
            return;
        }
        self.unread_lines += 1;
        if self.unread_samples.len() < UNREAD_SAMPLES {
            let path = self.intern(path);
            let evidence = self.evidence_of(&path, line_no, raw);
            self.unread_samples.push(evidence);
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
            let mut open: Vec<Negotiation> = host.open.drain().map(|(_, n)| *n).collect();
            open.sort_by_key(|n| n.started);
            for neg in open {
                self.judge(neg);
            }
        }
        for key in &hosts {
            if let Some(host) = self.hosts.get_mut(key) {
                if let Some(log) = &host.pluto {
                    host.facts.negotiations += log.negotiations();
                }
            }
        }
        // pluto's verdicts, before correlation, so that both ends pair.
        let pluto: Vec<Pending> = hosts
            .iter()
            .filter_map(|key| self.hosts.get(key)?.pluto.as_ref())
            .flat_map(|log| {
                log.judge()
                    .into_iter()
                    .filter_map(|(id, tunnel, detection)| {
                        let rule = crate::catalog::rule_by_id(id)?;
                        Some((
                            rule,
                            log.host.clone(),
                            tunnel,
                            log.origin.clone(),
                            detection,
                        ))
                    })
            })
            .collect();
        for (rule, host_name, tunnel, origin, detection) in pluto {
            if !detection.evidence.is_empty() {
                self.add(rule, host_name, tunnel, origin, detection.by(Daemon::Pluto));
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
        if let Some(rule) = crate::catalog::rule_by_id("outbound-nat-any") {
            let views = self.one_way_views(&hosts);
            for (i, detection) in correlate::one_way_initiation(&views, &self.findings) {
                let v = &views[i];
                self.add(
                    rule,
                    v.host.clone(),
                    Some(v.tunnel.clone()),
                    v.origin.clone(),
                    detection,
                );
            }
        }
        dedupe_after_correlation(&mut self.findings);
        for key in &hosts {
            let Some(host) = self.hosts.get_mut(key) else {
                continue;
            };
            // Packets to the peer's port 500 may belong to another of its
            // negotiations (one named by its connection, one not yet).
            for facts in host.history.values_mut() {
                if facts.sent_to_ike_port.is_none() {
                    if let Some(remote) = &facts.remote {
                        facts.sent_to_ike_port = host.sent_to_ike_port.get(remote).cloned();
                    }
                }
            }
            let host = &*host;
            let mut found: Vec<Pending> = Vec::new();
            if let Some(log) = &host.racoon {
                for rule in CATALOG {
                    for scope in rule.scopes() {
                        if let Scope::Racoon(detect) = scope {
                            for (tunnel, detection) in detect(log) {
                                found.push((
                                    rule,
                                    log.host.clone(),
                                    tunnel,
                                    log.origin.clone(),
                                    detection,
                                ));
                            }
                        }
                    }
                }
                // racoon names the tunnel on few lines: per host.
                drop_explained_fallbacks(&mut found, |(r, ..)| r);
            }
            for name in &host.history_order {
                let Some(facts) = host.history.get(name) else {
                    continue;
                };
                for rule in CATALOG {
                    for scope in rule.scopes() {
                        if let Scope::Tunnel(detect) = scope {
                            if let Some(detection) = detect(facts) {
                                let tunnel =
                                    (!facts.tunnel.is_empty()).then(|| facts.tunnel.clone());
                                found.push((
                                    rule,
                                    facts.host.clone(),
                                    tunnel,
                                    facts.origin.clone(),
                                    detection,
                                ));
                            }
                        }
                    }
                }
            }
            for (rule, host_name, tunnel, origin, detection) in found {
                if !detection.evidence.is_empty() {
                    self.add(rule, host_name, tunnel, origin, detection);
                }
            }
        }
        // Host rules add findings only for their own host, so the ids each
        // host had before them can be indexed once.
        let mut ids_by_host: HashMap<String, Vec<&'static str>> = HashMap::default();
        for f in &self.findings {
            ids_by_host
                .entry(host_key_of(f.host.as_deref(), &f.origin))
                .or_default()
                .push(f.id);
        }
        let input_negotiations: u64 = self.hosts.values().map(|h| h.facts.negotiations).sum();
        let input_findings = self.findings.len();
        for key in &hosts {
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
                .filter(|id| id.starts_with("racoon-") || RACOON_IDS.contains(id))
                .collect();
            facts.generic_findings = of_host
                .iter()
                .copied()
                .filter(|id| GENERIC_IDS.contains(id))
                .collect();
            facts.findings = of_host.len();
            for rule in CATALOG {
                for scope in rule.scopes() {
                    if let Scope::Host(detect) = scope {
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
        }
        // A diagnosis from a fragment (a few bare lines pasted) says what
        // it could not see and what to give next.
        for f in &mut self.findings {
            if f.undecided || f.severity == Severity::Info {
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
                        .to_owned(),
                );
            }
        }
        let mut reading = Reading {
            unread_lines: self.unread_lines,
            ignored_daemon_lines: self.ignored_daemon_lines,
            unread_samples: std::mem::take(&mut self.unread_samples),
            ..Reading::default()
        };
        for host in self.hosts.values() {
            reading.daemon_lines += host.facts.daemon_lines;
            reading.negotiations += host.facts.negotiations;
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
        // The worst severity of each host and of each tunnel, in one pass.
        type HostId<'f> = (Option<&'f str>, &'f str);
        let mut worst_of_host: HashMap<HostId<'_>, Severity> = HashMap::default();
        let mut worst_of_tunnel: HashMap<(HostId<'_>, Option<&str>), Severity> = HashMap::default();
        for g in &findings {
            let host = (g.host.as_deref(), &*g.origin);
            for worst in [
                worst_of_host.entry(host).or_insert(Severity::Info),
                worst_of_tunnel
                    .entry((host, g.tunnel.as_deref()))
                    .or_insert(Severity::Info),
            ] {
                *worst = (*worst).min(g.severity);
            }
        }
        let keyed: Vec<_> = findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let host = (f.host.as_deref(), &*f.origin);
                (
                    worst_of_host[&host],
                    group_rank(f),
                    worst_of_tunnel[&(host, f.tunnel.as_deref())],
                    f.tunnel.clone(),
                    f.severity,
                    i,
                )
            })
            .collect();
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by(|&a, &b| keyed[a].cmp(&keyed[b]));
        drop((keyed, worst_of_host, worst_of_tunnel));
        // Moved into their order, not copied: the findings are most of what
        // the end of a large input holds.
        let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
        let findings: Vec<Finding> = order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take))
            .collect();
        let mut ids_by_tunnel: HashMap<HostTunnel<'_>, Vec<&'static str>> = HashMap::default();
        for f in &findings {
            ids_by_tunnel
                .entry((f.host.as_deref(), &*f.origin, f.tunnel.as_deref()))
                .or_default()
                .push(f.id);
        }
        for tunnel in &mut tunnels {
            tunnel.findings = ids_by_tunnel
                .get(&(
                    tunnel.host.as_deref(),
                    &*tunnel.origin,
                    tunnel.tunnel.as_deref(),
                ))
                .cloned()
                .unwrap_or_default();
        }
        drop(ids_by_tunnel);
        Report {
            findings,
            tunnels,
            reading,
        }
    }

    /// Each charon tunnel of each host, as the one-way-initiation check sees it.
    fn one_way_views(&self, hosts: &[String]) -> Vec<correlate::OneWayView> {
        let mut views = Vec::new();
        for key in hosts {
            let Some(host) = self.hosts.get(key) else {
                continue;
            };
            for name in &host.tunnel_order {
                let Some(state) = host.tunnels.get(name) else {
                    continue;
                };
                views.push(correlate::OneWayView {
                    host: host.facts.host.clone(),
                    origin: host.facts.origin.clone(),
                    tunnel: name.clone(),
                    local: state.local.clone(),
                    remote: state.remote.clone(),
                    initiated_up: state.initiated_up.clone(),
                    peer_initiated: state.peer_initiated,
                });
            }
        }
        views
    }

    fn judge(&mut self, neg: Negotiation) {
        let host_key = host_key_of(neg.host.as_deref(), &neg.origin);
        let mut neg = neg;
        let tunnel = neg.tunnel_name();
        if let Some(host) = self.hosts.get_mut(&host_key) {
            host.facts.negotiations += 1;
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
                match neg.role {
                    Some(Role::Responder) => state.peer_initiated = true,
                    Some(Role::Initiator) if state.initiated_up.is_none() => {
                        if let Some(up) = neg.ike_established_at() {
                            let mut lines: Vec<Evidence> = neg
                                .first(|e| matches!(e, CharonEvent::InitiatingIkeSa { .. }))
                                .map(|e| e.evidence.clone())
                                .into_iter()
                                .collect();
                            lines.push(neg.entries[up].evidence.clone());
                            state.initiated_up = Some(lines);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut detections: Vec<(&'static Rule, Detection)> = Vec::new();
        for rule in CATALOG {
            for scope in rule.scopes() {
                if let Scope::Negotiation(detect) = scope {
                    if let Some(detection) = detect(&neg) {
                        if !detection.evidence.is_empty() {
                            detections.push((rule, detection));
                        }
                    }
                }
            }
        }
        drop_explained_fallbacks(&mut detections, |(r, _)| r);
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
        if let (Some(name), Some(host)) = (&tunnel, self.hosts.get_mut(&host_key)) {
            record_history(host, name, &neg, &detections);
        }
        for (rule, detection) in detections {
            self.add(
                rule,
                neg.host.clone(),
                tunnel.clone(),
                neg.origin.clone(),
                detection.by(Daemon::Charon),
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
        if detection.daemon == Some(Daemon::Pluto) {
            // Libreswan advice for a Libreswan host, not strongSwan's.
            let libreswan = crate::pluto::libreswan_fix(rule.id);
            if !fix.iter().any(|step| step.starts_with("Libreswan")) {
                fix.push(libreswan.to_owned());
            }
            fix.extend(
                rule.fix
                    .iter()
                    .filter(|step| !crate::pluto::is_strongswan_step(step))
                    .map(|s| (*s).to_owned()),
            );
        } else {
            fix.extend(rule.fix.iter().map(|s| (*s).to_owned()));
        }
        let mut evidence = detection.evidence;
        evidence.truncate(self.limits.evidence_per_finding);
        self.finding_index.insert(key, self.findings.len());
        self.added_at.push(self.at.clone());
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
            cause_in_peer_log: detection.cause_in_peer_log,
            explains_peer_refusal: detection.explains_peer_refusal,
            undecided: crate::catalog::is_undecided(rule),
            daemon: detection.daemon,
        });
    }

    fn intern(&mut self, path: &str) -> Arc<str> {
        if let Some(p) = &self.last_path {
            if &**p == path {
                return p.clone();
            }
        }
        let p = self.intern_slow(path);
        self.last_path = Some(p.clone());
        p
    }

    fn intern_slow(&mut self, path: &str) -> Arc<str> {
        if let Some(p) = self.paths.get(path) {
            return p.clone();
        }
        let p: Arc<str> = Arc::from(path);
        self.paths.insert(path.to_owned(), p.clone());
        p
    }

    /// Whether a traffic selector item on this line may belong to a list:
    /// within [`TS_WINDOW`] lines of the host's last header or item.
    fn ts_list_open(&mut self, framed: &Framed<'_>, path: &Arc<str>, line_no: u64) -> bool {
        let mut key = std::mem::take(&mut self.key_buf);
        write_host_key(&mut key, framed.host.as_deref(), path);
        let open = self
            .hosts
            .get(key.as_str())
            .and_then(|host| host.ts_anchor.as_ref())
            .is_some_and(|(p, line)| p == path && line_no.abs_diff(*line) <= TS_WINDOW as u64);
        self.key_buf = key;
        open
    }

    fn host_state(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        self.host_mut(framed, path)
    }

    fn host_mut(&mut self, framed: &Framed<'_>, path: &Arc<str>) -> &mut HostState {
        let mut key = std::mem::take(&mut self.key_buf);
        write_host_key(&mut key, framed.host.as_deref(), path);
        let line_no = self.line_no;
        // One hash and probe per call: this runs for every line kept.
        let host = match self.hosts.entry_ref(key.as_str()) {
            EntryRef::Occupied(host) => host.into_mut(),
            EntryRef::Vacant(slot) => {
                self.host_order.push(key.clone());
                slot.insert(Box::new(HostState {
                    facts: HostFacts {
                        host: framed.host.as_deref().map(str::to_owned),
                        origin: path.clone(),
                        ..HostFacts::default()
                    },
                    open: HashMap::default(),
                    thread_key: HashMap::default(),
                    current_untagged: None,
                    lines: 0,
                    tunnels: HashMap::default(),
                    tunnel_order: Vec::new(),
                    racoon: None,
                    pluto: None,
                    crash_traces: 0,
                    history: HashMap::default(),
                    history_order: Vec::new(),
                    sent_to_ike_port: HashMap::default(),
                    first_at: Some((path.clone(), line_no)),
                    ts_anchor: None,
                }))
            }
        };
        self.key_buf = key;
        host
    }

    fn evidence_of(&self, path: &Arc<str>, line_no: u64, raw: &str) -> Evidence {
        Evidence {
            path: path.clone(),
            line: line_no,
            text: clip(
                raw.trim_end_matches(['\r', '\n']),
                self.limits.max_evidence_len,
            ),
        }
    }

    /// A racoon line: kept in the host's racoon log; DPD teardowns and
    /// Phase 1 establishments also go to the tunnel's history.
    fn push_racoon(
        &mut self,
        framed: &Framed<'_>,
        path: &str,
        line_no: u64,
        raw: &str,
        line: RacoonLine,
    ) {
        let path = self.intern(path);
        let ev = self.evidence_of(&path, line_no, raw);
        let at = framed.timestamp.map(|t| t.sort_key());
        let moment = match &line.event {
            RacoonEvent::DpdDead => Some(MomentKind::DpdDrop),
            RacoonEvent::IsakmpSaEstablished { .. } => Some(MomentKind::Up),
            _ => None,
        };
        let remote = line.peer().map(str::to_owned);
        let is_debug = line.level == Some(ipsec_doctor_events::RacoonLevel::Debug);
        let recognised = line.event != RacoonEvent::Unrecognized;
        let host = self.host_state(framed, &path);
        host.facts.racoon_lines += 1;
        host.facts.daemon_line("racoon", &ev);
        // racoon names no SA on most lines: any line it is understood to
        // say about an exchange shows that one took place.
        if recognised && host.facts.negotiations == 0 {
            host.facts.negotiations = 1;
        }
        if is_debug {
            host.facts.racoon_debug_lines += 1;
        }
        let log = host
            .racoon
            .get_or_insert_with(|| Box::new(RacoonLog::new(host.facts.host.clone(), path.clone())));
        let tunnel = log.record(line, at, ev.clone());
        if let Some(kind) = moment {
            let name = tunnel.unwrap_or_default();
            let facts = host.history(&name, &path);
            if facts.remote.is_none() {
                facts.remote = remote;
            }
            if facts.moments.len() < MAX_MOMENTS {
                facts.moments.push(Moment {
                    kind,
                    at,
                    evidence: ev,
                });
            }
        }
    }

    /// A line of Libreswan's pluto: kept in the host's pluto log, per
    /// connection, and judged when the input has ended.
    fn push_pluto(&mut self, framed: &Framed<'_>, path: &str, line_no: u64, raw: &str) {
        let path = self.intern(path);
        self.at = Some((path.clone(), line_no));
        let ev = self.evidence_of(&path, line_no, raw);
        let line = parse_pluto(&framed.message);
        let host = self.host_state(framed, &path);
        host.facts.daemon_line("pluto", &ev);
        host.pluto
            .get_or_insert_with(|| Box::new(PlutoLog::new(host.facts.host.clone(), path.clone())))
            .record(line, ev, framed.pid);
    }

    /// Whether the input of a bare line (no program name) has shown pluto's
    /// or charon's lines and none of racoon's: `journalctl -o cat` of pluto
    /// gives pluto's `ERROR: ...` lines with no prefix, which racoon's level
    /// prefix would otherwise claim (Libreswan 5.2, lab).
    fn another_daemons_input(&mut self, framed: &Framed<'_>, path: &str) -> bool {
        let path = self.intern(path);
        let host = self.host_state(framed, &path);
        host.racoon.is_none() && (host.pluto.is_some() || host.facts.charon_lines > 0)
    }

    /// A line of kernel crash output: kept per host, split into crash reports
    /// at each header.
    fn push_kernel(
        &mut self,
        framed: &Framed<'_>,
        path: &str,
        line_no: u64,
        raw: &str,
        event: KernelEvent,
    ) {
        let path = self.intern(path);
        let ev = self.evidence_of(&path, line_no, raw);
        let host = self.host_state(framed, &path);
        if matches!(event, KernelEvent::CrashHeader(_)) {
            host.crash_traces += 1;
        }
        if host.facts.crash.len() < MAX_CRASH_LINES {
            host.facts.crash.push(CrashLine {
                trace: host.crash_traces,
                event,
                evidence: ev,
            });
        }
    }
}

/// What one judged negotiation adds to its tunnel's history.
fn record_history(
    host: &mut HostState,
    name: &str,
    neg: &Negotiation,
    detections: &[(&'static Rule, Detection)],
) {
    let origin = neg.origin.clone();
    let mut sent = std::mem::take(&mut host.sent_to_ike_port);
    record_moments_and_ports(host.history(name, &origin), neg, detections, &mut sent);
    host.sent_to_ike_port = sent;
}

fn record_moments_and_ports(
    facts: &mut TunnelFacts,
    neg: &Negotiation,
    detections: &[(&'static Rule, Detection)],
    sent: &mut HashMap<String, Evidence>,
) {
    if facts.remote.is_none() {
        facts.remote.clone_from(&neg.remote);
    }
    let at_of = |ev: &Evidence| ev.timestamp().map(|t| t.sort_key());
    if let Some(up) = neg.ike_established_at() {
        let ev = &neg.entries[up].evidence;
        if facts.moments.len() < MAX_MOMENTS {
            facts.moments.push(Moment {
                kind: MomentKind::Up,
                at: at_of(ev),
                evidence: ev.clone(),
            });
        }
    }
    if let Some((_, d)) = detections.iter().find(|(r, _)| r.id == "dpd-timeout") {
        if let Some(ev) = d.evidence.last() {
            if facts.moments.len() < MAX_MOMENTS {
                facts.moments.push(Moment {
                    kind: MomentKind::DpdDrop,
                    at: at_of(ev),
                    evidence: ev.clone(),
                });
            }
        }
    }
    for entry in &neg.entries {
        let CharonEvent::Packet {
            direction,
            from,
            to,
        } = &entry.event
        else {
            continue;
        };
        match direction {
            Direction::Sent => {
                if to.port == Some(500)
                    && neg.remote.as_deref() == Some(to.addr.as_str())
                    && sent.len() < 1024
                {
                    sent.entry(to.addr.clone())
                        .or_insert_with(|| entry.evidence.clone());
                }
            }
            Direction::Received => {
                if facts.odd_source_port.is_none()
                    && neg.remote.as_deref() == Some(from.addr.as_str())
                {
                    if let Some(port) = from.port.filter(|p| *p != 500 && *p != 4500) {
                        facts.odd_source_port = Some((port, entry.evidence.clone()));
                    }
                }
            }
        }
    }
}

impl HostState {
    /// A tunnel's history, registered in order of first appearance.
    fn history(&mut self, name: &str, origin: &Arc<str>) -> &mut TunnelFacts {
        if !self.history.contains_key(name) {
            self.history_order.push(name.to_owned());
        }
        let host = self.facts.host.clone();
        self.history.entry(name.to_owned()).or_insert_with(|| {
            Box::new(TunnelFacts {
                host,
                origin: origin.clone(),
                tunnel: name.to_owned(),
                remote: None,
                moments: Vec::new(),
                sent_to_ike_port: None,
                odd_source_port: None,
            })
        })
    }

    /// The tunnel's state, registered in order of first appearance.
    fn tunnel(&mut self, name: &str) -> &mut TunnelState {
        if !self.tunnels.contains_key(name) {
            self.tunnel_order.push(name.to_owned());
        }
        self.tunnels.entry(name.to_owned()).or_default()
    }

    /// Which negotiation a line belongs to.
    fn route(&mut self, framed: &Framed<'_>, event: &CharonEvent) -> SaKey {
        // A line of one IKE SA about another: the redundant SA of a lost
        // rekey collision is told of under the SA that goes on.
        if let (Some(_), CharonEvent::RekeyCollisionLost { redundant }) = (&framed.ike_sa, event) {
            if let Some(id) = redundant.unique_id {
                return SaKey::Tagged(id);
            }
        }
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

/// "Outcome not in the log" ([`crate::catalog::is_fallback`]) only where
/// no error or warning among `found` explains it (an info such as a
/// lifetime difference does not).
fn drop_explained_fallbacks<T>(found: &mut Vec<T>, rule: impl Fn(&T) -> &'static Rule) {
    let explained = found.iter().any(|f| {
        let r = rule(f);
        !crate::catalog::is_fallback(r) && r.severity != Severity::Info
    });
    if explained {
        found.retain(|f| !crate::catalog::is_fallback(rule(f)));
    }
}

/// A host with at most this many daemon lines was diagnosed from a
/// fragment (a few lines pasted).
const FRAGMENT_LINES: u64 = 5;

/// Whether a line names an IPsec daemon or IKE (for [`Reading`]).
fn mentions_ipsec(raw: &str) -> bool {
    static WORDS: OnceLock<Option<aho_corasick::AhoCorasick>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "charon",
                "pluto",
                "racoon",
                "strongswan",
                "libreswan",
                "openswan",
                "IKE_SA",
                "ISAKMP",
                "ipsec",
                "IKEv1",
                "IKEv2",
            ])
            .ok()
    });
    words.as_ref().is_some_and(|w| w.is_match(raw))
}

fn xmlreader_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new("xmlreader.inc"))
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
    let mut key = String::new();
    write_host_key(&mut key, host, origin);
    key
}

fn write_host_key(key: &mut String, host: Option<&str>, origin: &str) {
    key.clear();
    match host {
        Some(h) => {
            key.push_str("host:");
            key.push_str(h);
        }
        None => {
            key.push_str("file:");
            key.push_str(origin);
        }
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

/// Whether `literal`, found in `raw`, lies within `message`, framed out of
/// `raw`: then [`may_matter`] is true without searching. The literal's
/// bytes are checked, since `raw` may be a decoded copy of the line the sieve
/// saw; a message that is not a slice of `raw` (journal JSON) never holds it.
fn literal_in_message(raw: &str, message: &str, literal: Literal) -> bool {
    let end = literal.at + literal.text.len();
    raw.as_bytes().get(literal.at..end) == Some(literal.text.as_bytes())
        && span_in(raw, message).is_some_and(|m| m.start <= literal.at && end <= m.end)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

    use super::*;

    /// Asserts that no finding of `text` speaks of `daemon`.
    fn no_finding_speaks_of(daemon: &str, text: &str) {
        let report = crate::catalog::testing::diagnose("x.log", text);
        let summaries: Vec<&String> = report.findings.iter().map(|f| &f.summary).collect();
        assert!(
            summaries.iter().all(|s| !s.contains(daemon)),
            "{summaries:?}"
        );
    }

    #[test]
    fn bare_pluto_error_lines_are_not_taken_for_racoon_where_pluto_s_were_read() {
        // journalctl -o cat of Libreswan 5.2 (lab ikev1-pluto-healthy)
        no_finding_speaks_of(
            "racoon",
            "Starting Pluto (Libreswan Version 5.2 IKEv2 IKEv1 XFRM XFRMI esp-hw-offload FORK PTHREAD_SETSCHEDPRIO NSS (IPsec profile) (NSS-KDF) DNSSEC SYSTEMD_WATCHDOG LABELED_IPSEC (SELINUX) LIBCAP_NG LINUX_AUDIT AUTH_PAM NETWORKMANAGER CURL(non-NSS) LDAP(non-NSS) NFTABLES CAT NFLOG) pid:28798\n\
             operating system: Linux 6.18.44 [Linux 6.18.44-fc-v857 #1 SMP PREEMPT_DYNAMIC @0 x86_64]\n\
             pluto: warning: chdir(\"/run/pluto\") to dumpdir failed (2: No such file or directory)\n\
             ERROR: xfrmi is not supported, failed to create ipsec-interface ipsec1 bound to lo\n",
        );
    }

    #[test]
    fn bare_charon_lines_are_not_taken_for_pluto_where_charon_s_were_read() {
        // journalctl -o cat of charon-systemd 6.0.1 (lab ikev2-eap-failure)
        no_finding_speaks_of(
            "pluto",
            "Starting charon-systemd IKE daemon (strongSwan 6.0.1, Linux 6.18.44, x86_64)\n\
             192.0.2.90 is initiating an IKE_SA\n\
             initiating EAP_IDENTITY method (id 0x00)\n",
        );
    }

    /// Every charon message that `parse_charon` recognises, in the lab's
    /// logs and every fixture, passes the prefilter.
    #[test]
    fn the_prefilter_never_drops_a_message_that_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![
            root.join("../../fixtures"),
            root.join("tests/fixtures"),
            root.join("../../examples"),
        ];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let p = entry.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    files.push((p, text));
                }
            }
        }
        assert!(files.len() > 50, "fixtures not found");
        let mut missed = Vec::new();
        let mut checked = 0;
        for (path, text) in &files {
            for line in text.lines() {
                let Some(framed) = frame(line) else { continue };
                checked += 1;
                let event = parse_charon(&framed.message);
                if event != CharonEvent::Unrecognized && !may_matter(&framed.message) {
                    missed.push(format!("{}: {line}", path.display()));
                }
            }
        }
        assert!(checked > 10_000);
        assert!(missed.is_empty(), "{}", missed.join("\n"));
    }
}
