//! What every renderer for people shows alike: which tunnels are healthy
//! (one line, no findings in full), the findings to show in full, the
//! counts of the summary, and which tunnels are both ends of one another.

use std::collections::HashMap;

use ipsec_doctor_findings::{Finding, Report, Severity, TunnelStatus, TunnelSummary};

/// A tunnel by host name, file and tunnel name.
pub(crate) type TunnelKey<'a> = (Option<&'a str>, &'a str, Option<&'a str>);

/// A tunnel that needs no reading: up, and nothing worse than information
/// about it.
pub(crate) fn is_healthy(t: &TunnelSummary) -> bool {
    t.status == TunnelStatus::Up && t.findings.iter().all(|r| r.severity == Severity::Info)
}

/// The report's tunnels, indexed once (a scan per finding is quadratic in
/// a central syslog of thousands).
pub(crate) struct Tunnels<'r> {
    tunnels: &'r [TunnelSummary],
    by_key: HashMap<TunnelKey<'r>, usize>,
}

impl<'r> Tunnels<'r> {
    pub(crate) fn new(report: &'r Report) -> Tunnels<'r> {
        let mut by_key = HashMap::new();
        for (i, t) in report.tunnels.iter().enumerate() {
            by_key
                .entry((t.host.as_deref(), &*t.origin, t.tunnel.as_deref()))
                .or_insert(i);
        }
        Tunnels {
            tunnels: &report.tunnels,
            by_key,
        }
    }

    /// The position in the report of the tunnel a finding is about.
    pub(crate) fn index_of(&self, f: &Finding) -> Option<usize> {
        self.by_key
            .get(&(f.host.as_deref(), &*f.origin, f.tunnel.as_deref()))
            .copied()
    }

    /// The tunnel a finding is about.
    pub(crate) fn of(&self, f: &Finding) -> Option<&'r TunnelSummary> {
        self.tunnels.get(self.index_of(f)?)
    }

    /// Whether the finding is shown in full (its tunnel is not healthy, or
    /// it is about the host as a whole).
    pub(crate) fn in_full(&self, f: &Finding) -> bool {
        !self.of(f).is_some_and(is_healthy)
    }
}

/// A host as the reports group it: by name, else by file.
pub(crate) type HostId<'a> = (Option<&'a str>, &'a str);

/// A host as the reports group it: by name, else by file.
pub(crate) fn host_of<'a>(host: Option<&'a str>, origin: &'a str) -> HostId<'a> {
    (host, if host.is_some() { "" } else { origin })
}

/// Where a finding is shown: its host and tunnel (`None`: host-wide).
pub(crate) type Place<'a> = (HostId<'a>, Option<&'a str>);

/// The place of a finding.
pub(crate) fn place_of(f: &Finding) -> Place<'_> {
    (host_of(f.host.as_deref(), &f.origin), f.tunnel.as_deref())
}

/// The counts of a report's last line.
pub(crate) struct Summary {
    pub(crate) hosts: usize,
    pub(crate) tunnels: usize,
    pub(crate) up: usize,
    pub(crate) down: usize,
    pub(crate) flapping: usize,
    pub(crate) unknown: usize,
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
    pub(crate) infos: usize,
}

impl Summary {
    pub(crate) fn of(report: &Report) -> Summary {
        let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
        let status = |s: TunnelStatus| report.tunnels.iter().filter(|t| t.status == s).count();
        let mut hosts: Vec<HostId<'_>> = report
            .findings
            .iter()
            .map(|f| host_of(f.host.as_deref(), &f.origin))
            .chain(
                report
                    .tunnels
                    .iter()
                    .map(|t| host_of(t.host.as_deref(), &t.origin)),
            )
            .collect();
        hosts.sort_unstable();
        hosts.dedup();
        Summary {
            hosts: hosts.len(),
            tunnels: report.tunnels.len(),
            up: status(TunnelStatus::Up),
            down: status(TunnelStatus::Down),
            flapping: status(TunnelStatus::Flapping),
            unknown: status(TunnelStatus::Unknown),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }

    /// `4 host(s), 8 tunnel(s): 2 up, 6 down, 0 unknown; 6 error(s), 0
    /// warning(s)` (flapping only where there is).
    pub(crate) fn line(&self) -> String {
        let mut line = format!(
            "{} host(s), {} tunnel(s): {} up, {} down",
            self.hosts, self.tunnels, self.up, self.down
        );
        if self.flapping > 0 {
            line.push_str(&format!(", {} flapping", self.flapping));
        }
        line.push_str(&format!(
            ", {} unknown; {} error(s), {} warning(s)",
            self.unknown, self.errors, self.warnings
        ));
        line
    }
}

/// For each tunnel (by its index in the report), the index of the tunnel on
/// another host that is its other end: the mirrored addresses, and the
/// pair unique (a NAT or a shared address leaves it unpaired).
pub(crate) fn other_ends(report: &Report) -> Vec<Option<usize>> {
    let mut by_ends: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, t) in report.tunnels.iter().enumerate() {
        if let (Some(l), Some(r)) = (&t.local, &t.remote) {
            by_ends.entry((l.as_str(), r.as_str())).or_default().push(i);
        }
    }
    report
        .tunnels
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (Some(l), Some(r)) = (&t.local, &t.remote) else {
                return None;
            };
            let mine = by_ends.get(&(l.as_str(), r.as_str()))?;
            let theirs = by_ends.get(&(r.as_str(), l.as_str()))?;
            match (mine.as_slice(), theirs.as_slice()) {
                ([me], [other])
                    if *me == i
                        && report.tunnels.get(*other).is_some_and(|o| {
                            host_of(o.host.as_deref(), &o.origin)
                                != host_of(t.host.as_deref(), &t.origin)
                        }) =>
                {
                    Some(*other)
                }
                _ => None,
            }
        })
        .collect()
}
