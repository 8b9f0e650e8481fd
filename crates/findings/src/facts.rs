//! The daemon-independent facts that host-wide and tunnel-wide rules read:
//! what a host's logs showed overall ([`HostFacts`]) and one tunnel's
//! history across its negotiations ([`TunnelFacts`]). The engine fills them
//! while reading; rules only read them.

use hashbrown::HashMap;
use std::sync::Arc;

use ipsec_doctor_events::KernelEvent;

use crate::report::{Evidence, Finding, TunnelSummary};
use crate::rule::Rule;

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
    pub generic_findings: Vec<&'static Rule>,
    /// Lines from racoon.
    pub racoon_lines: u64,
    /// racoon `DEBUG:` lines (racoon's debug mode is on).
    pub racoon_debug_lines: u64,
    /// racoon failures whose message names no cause (capped).
    pub racoon_unexplained: Vec<Evidence>,
    /// Specific racoon findings reported for this host (filled before host rules run).
    pub racoon_findings: Vec<&'static Rule>,
    /// Kernel crash output: crash headers and backtrace frames (capped).
    pub crash: Vec<CrashLine>,
    /// Negotiations judged early because [`crate::Limits::open_negotiations_per_host`]
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
    pub(crate) fn daemon_line(&mut self, daemon: &'static str, evidence: &Evidence) {
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

pub(crate) const MAX_MOMENTS: usize = 256;
pub(crate) const MAX_CRASH_LINES: usize = 512;

/// One charon tunnel of one host, with who initiated it, for rules that
/// compare hosts.
#[derive(Debug, Clone)]
pub struct Initiations {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file of the host's first line.
    pub origin: Arc<str>,
    /// Connection name, or `peer ADDRESS`.
    pub tunnel: String,
    /// This side's address, where logged.
    pub local: Option<String>,
    /// The peer's address, where logged.
    pub remote: Option<String>,
    /// The initiating and established lines of an IKE SA this host initiated.
    pub initiated_up: Option<Vec<Evidence>>,
    /// Whether the peer ever initiated to this host.
    pub peer_initiated: bool,
}

/// Everything the input showed, for rules that compare hosts (the two ends
/// of a tunnel), once every negotiation is judged and both ends are paired.
pub struct AcrossHosts<'a> {
    /// Every tunnel of every host, as the report lists them.
    pub tunnels: &'a [TunnelSummary],
    /// Every charon tunnel of every host, with who initiated it.
    pub initiations: &'a [Initiations],
    /// The findings so far.
    pub findings: &'a [Finding],
}

/// Where a finding of a rule that compares hosts belongs.
#[derive(Debug, Clone)]
pub struct Place {
    /// Syslog host name.
    pub host: Option<String>,
    /// The tunnel, where the finding is about one.
    pub tunnel: Option<String>,
    /// The file of the host's first line.
    pub origin: Arc<str>,
}

/// Hosts are named by syslog; lines without a host name belong to their file.
pub(crate) fn host_key_of(host: Option<&str>, origin: &str) -> String {
    let mut key = String::new();
    write_host_key(&mut key, host, origin);
    key
}

pub(crate) fn write_host_key(key: &mut String, host: Option<&str>, origin: &str) {
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

/// Tunnels by host, origin and name.
pub(crate) struct TunnelIndex<'t> {
    by_name: HashMap<(Option<&'t str>, &'t str, Option<&'t str>), usize>,
}

impl<'t> TunnelIndex<'t> {
    pub(crate) fn new(tunnels: &'t [TunnelSummary]) -> TunnelIndex<'t> {
        let mut by_name = HashMap::default();
        for (i, t) in tunnels.iter().enumerate() {
            by_name
                .entry((t.host.as_deref(), &*t.origin, t.tunnel.as_deref()))
                .or_insert(i);
        }
        TunnelIndex { by_name }
    }

    /// The first tunnel of the finding's host, file and name.
    pub(crate) fn position(&self, f: &Finding) -> Option<usize> {
        self.by_name
            .get(&(f.host.as_deref(), &*f.origin, f.tunnel.as_deref()))
            .copied()
    }
}
