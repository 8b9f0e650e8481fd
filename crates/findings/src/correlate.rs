//! Both ends of a tunnel: the side that only saw `NO_PROPOSAL_CHOSEN` or
//! `AUTHENTICATION_FAILED` learns the cause from the other side's log.

/// hashbrown's map (foldhash, seeded): every index here is built once per
/// input over every finding and tunnel.
use hashbrown::HashMap;

use ipsec_doctor_logs::{Daemon, Timestamp};

use crate::catalog::matchers;
use crate::engine::host_key_of;
use crate::facts::TunnelIndex;
use crate::report::{Finding, TunnelSummary};
use crate::rule::Explainer;

/// Replaces each finding that the peer's log may explain (its rule's
/// `explained_by`: a generic finding by the specific one of its family, a
/// refusal by the peer's kernel failure, "no response" by the peer's IKE
/// version refusal) with the peer's finding, when the peer is identified:
/// its tunnel has this tunnel's addresses mirrored, or one of them behind
/// NAT, or, where the logs give no addresses, it is the only candidate.
/// The rules' [`crate::Scope::Reinterprets`] matchers run first.
pub(crate) fn pair_both_ends(findings: &mut [Finding], tunnels: &[TunnelSummary]) {
    reinterpret(findings, tunnels);
    // Indexed once: with thousands of hosts and tunnels a scan per finding
    // would be quadratic.
    let tunnel_index = TunnelIndex::new(tunnels);
    let addresses = |f: &Finding| {
        tunnel_index
            .position(f)
            .map(|i| (tunnels[i].local.clone(), tunnels[i].remote.clone()))
            .unwrap_or_default()
    };
    let host_keys: Vec<String> = findings
        .iter()
        .map(|f| host_key_of(f.host.as_deref(), &f.origin))
        .collect();
    // Each finding's first time, read once (a line is framed again to get it).
    let times: Vec<Option<ipsec_doctor_logs::Timestamp>> = findings
        .iter()
        .map(|f| f.evidence.first().and_then(|e| e.timestamp()))
        .collect();
    let places: Vec<(Option<String>, Option<String>)> = findings.iter().map(addresses).collect();
    let index = ExplainerIndex::new(findings, &places, &times);
    let upgrades: Vec<(usize, usize)> = findings
        .iter()
        .enumerate()
        .filter(|(_, g)| may_be_upgraded(g))
        .filter_map(|(gi, g)| {
            let g_host = &host_keys[gi];
            let (g_local, g_remote) = &places[gi];
            let fits = |si: usize| {
                host_keys[si] != *g_host && explains(g, &findings[si], times[gi], times[si])
            };
            // Up to two: one decides, two are ambiguous.
            let mirrored = index.first_two(
                g,
                times[gi],
                Near::Mirrored(g_local.as_deref(), g_remote.as_deref()),
                &fits,
            );
            // Behind NAT only one address of the pair is the same on both ends.
            let half = index.first_two(
                g,
                times[gi],
                Near::Half(g_local.as_deref(), g_remote.as_deref()),
                &fits,
            );
            choose(&places, gi, &mirrored, &half, || {
                index.first_two(g, times[gi], Near::Anywhere, &fits)
            })
            .map(|si| (gi, si))
        })
        .collect();
    // The index must choose what a scan of every pair chooses: checked on
    // every small input of the debug builds (every test and fixture).
    #[cfg(debug_assertions)]
    if findings.len() <= 400 {
        debug_assert_eq!(
            upgrades,
            scanned_upgrades(findings, &host_keys, &places, &times),
            "indexed and scanned pairing differ"
        );
    }
    drop(index);
    for (gi, si) in upgrades {
        let specific = findings[si].clone();
        let peer = specific
            .host
            .clone()
            .unwrap_or_else(|| specific.origin.to_string());
        let generic = &mut findings[gi];
        generic.retarget(specific.rule);
        generic.summary = match &specific.peer_summary {
            Some(told_for_us) => format!("{told_for_us} (from the peer's log, {peer})"),
            None => format!("The peer's log ({peer}) shows: {}", specific.summary),
        };
        // pluto's own summary said which daemon this side runs; charon's
        // words for the peer do not.
        if generic.daemon == Some(Daemon::Pluto) && specific.daemon == Some(Daemon::Charon) {
            generic
                .summary
                .push_str(" (This side runs Libreswan pluto, the peer strongSwan charon.)");
        }
        // The case-specific steps speak from the peer's side: the rule's
        // own, as retargeted, are kept.
        generic.evidence.extend(specific.evidence);
    }
}

/// What the rules' [`crate::Scope::Reinterprets`] matchers read differently once
/// every host's findings and tunnels are known, applied in catalogue order.
fn reinterpret(findings: &mut [Finding], tunnels: &[TunnelSummary]) {
    for &(rule, detect) in &matchers().reinterprets {
        for change in detect(findings, tunnels) {
            let Some(f) = findings.get_mut(change.finding) else {
                continue;
            };
            f.retarget(rule);
            f.summary = change.detection.summary;
            f.peer_summary = change.detection.peer_summary;
            f.evidence.extend(change.detection.evidence);
        }
    }
}

/// Whether `g` is a finding the peer's log may explain (and replace): one
/// of its rule's [`crate::ExplainedBy`] applies to it.
fn may_be_upgraded(g: &Finding) -> bool {
    g.rule.explained_by.iter().any(|e| match e.explainer {
        Explainer::Specific => g.id == g.family,
        Explainer::Rule(_) => true,
        Explainer::PeerRefusal => g.cause_in_peer_log,
    })
}

/// The explainer of finding `gi`: the one candidate on the tunnel with its
/// addresses mirrored, else the one with one address in common (behind
/// NAT), else the only candidate anywhere (`anywhere`, asked only then)
/// where addresses cannot contradict the pairing. Several are ambiguous.
fn choose(
    places: &[(Option<String>, Option<String>)],
    gi: usize,
    mirrored: &[usize],
    half: &[usize],
    anywhere: impl FnOnce() -> Vec<usize>,
) -> Option<usize> {
    match (mirrored, half) {
        ([one], _) => Some(*one),
        ([], [one]) => Some(*one),
        ([], []) => {
            let [only] = anywhere()[..] else {
                return None;
            };
            let ((g_local, g_remote), (s_local, s_remote)) = (&places[gi], &places[only]);
            let unknown =
                g_local.is_none() || g_remote.is_none() || s_local.is_none() || s_remote.is_none();
            unknown.then_some(only)
        }
        _ => None,
    }
}

/// Whether the peer's finding `s` explains this side's finding `g`, given
/// their first lines' times, as `g`'s rule declares.
fn explains(g: &Finding, s: &Finding, tg: Option<Timestamp>, ts: Option<Timestamp>) -> bool {
    g.rule.explained_by.iter().any(|e| {
        let fits = match e.explainer {
            Explainer::Specific => s.family == g.id && s.id != s.family,
            Explainer::Rule(rule) => s.is(rule),
            Explainer::PeerRefusal => g.cause_in_peer_log && s.explains_peer_refusal,
        };
        fits && (!e.same_moment || same_moment(tg, ts))
    })
}

/// Whether two first lines were logged within [`SAME_MOMENT_SECONDS`] of
/// each other. Where a line has no time (pasted excerpts), only the
/// pairing's other checks decide.
fn same_moment(ta: Option<Timestamp>, tb: Option<Timestamp>) -> bool {
    let (Some(ta), Some(tb)) = (ta, tb) else {
        return true;
    };
    // A year on one side only (journal against BSD syslog): compare without.
    let key = |t: &Timestamp| {
        let mut t = *t;
        if ta.year.is_none() || tb.year.is_none() {
            t.year = None;
        }
        t.sort_key()
    };
    key(&ta).abs_diff(key(&tb)) <= SAME_MOMENT_SECONDS
}

/// Two hosts' clocks and two logs' timestamps differ by this much at most
/// for their lines to be about one exchange.
const SAME_MOMENT_SECONDS: u64 = 120;

/// Which findings may explain `g`, from the peer's side: its rule's
/// declarations as [`explains`] reads them, so that the pairing looks only
/// there. The flag says whether the declaration also asks for the same
/// moment.
fn explainer_kinds(g: &Finding) -> Vec<(Kind, bool)> {
    g.rule
        .explained_by
        .iter()
        .filter_map(|e| match e.explainer {
            Explainer::Specific => Some((Kind::Family(g.id), e.same_moment)),
            Explainer::Rule(rule) => Some((Kind::Id(rule.id), e.same_moment)),
            Explainer::PeerRefusal => g
                .cause_in_peer_log
                .then_some((Kind::PeerRefusal, e.same_moment)),
        })
        .collect()
}

/// A group of findings that explain others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// The specific findings of a family (`psk-mismatch` of `p1-auth-failed`).
    Family(&'static str),
    /// The findings of one id.
    Id(&'static str),
    /// The findings that explain a peer's refusal (a kernel refusal).
    PeerRefusal,
}

/// Where to look for a finding's explainer.
enum Near<'a> {
    /// The peer's tunnel has this side's addresses swapped (local, remote).
    Mirrored(Option<&'a str>, Option<&'a str>),
    /// One address of the pair is the same on both ends (behind NAT).
    Half(Option<&'a str>, Option<&'a str>),
    /// Anywhere in the input.
    Anywhere,
}

/// The findings of each [`Kind`], by their tunnel's addresses and by time,
/// so that pairing each generic finding costs what its few candidates cost
/// and not a scan of every finding (thousands of hosts in a central syslog).
struct ExplainerIndex<'f> {
    kinds: HashMap<Kind, Members<'f>>,
}

#[derive(Default)]
struct Members<'f> {
    all: Timed,
    by_pair: HashMap<(&'f str, &'f str), Timed>,
    by_local: HashMap<&'f str, Timed>,
    by_remote: HashMap<&'f str, Timed>,
}

impl<'f> ExplainerIndex<'f> {
    fn new(
        findings: &'f [Finding],
        places: &'f [(Option<String>, Option<String>)],
        times: &[Option<Timestamp>],
    ) -> ExplainerIndex<'f> {
        let mut kinds: HashMap<Kind, Members<'f>> = HashMap::default();
        for (i, s) in findings.iter().enumerate() {
            let mut of = vec![Kind::Id(s.id)];
            if s.id != s.family {
                of.push(Kind::Family(s.family));
            }
            if s.explains_peer_refusal {
                of.push(Kind::PeerRefusal);
            }
            let (local, remote) = (&places[i].0, &places[i].1);
            let at = times[i];
            for kind in of {
                let m = kinds.entry(kind).or_default();
                m.all.push(at, i);
                if let (Some(l), Some(r)) = (local, remote) {
                    m.by_pair.entry((l, r)).or_default().push(at, i);
                }
                if let Some(l) = local {
                    m.by_local.entry(l).or_default().push(at, i);
                }
                if let Some(r) = remote {
                    m.by_remote.entry(r).or_default().push(at, i);
                }
            }
        }
        for m in kinds.values_mut() {
            m.all.sort();
            for t in m.by_pair.values_mut() {
                t.sort();
            }
            for t in m.by_local.values_mut().chain(m.by_remote.values_mut()) {
                t.sort();
            }
        }
        ExplainerIndex { kinds }
    }

    /// The first two distinct findings near `g` of the kinds that may
    /// explain it and that `fits` accepts.
    fn first_two(
        &self,
        g: &Finding,
        at: Option<Timestamp>,
        near: Near<'_>,
        fits: &dyn Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut found: Vec<usize> = Vec::with_capacity(2);
        for (kind, timed) in explainer_kinds(g) {
            let Some(m) = self.kinds.get(&kind) else {
                continue;
            };
            let at = if timed { at } else { None };
            let lists: [Option<&Timed>; 2] = match near {
                Near::Mirrored(Some(l), Some(r)) => [m.by_pair.get(&(r, l)), None],
                Near::Mirrored(..) => [None, None],
                Near::Half(l, r) => [
                    r.and_then(|r| m.by_local.get(r)),
                    l.and_then(|l| m.by_remote.get(l)),
                ],
                Near::Anywhere => [Some(&m.all), None],
            };
            for list in lists.into_iter().flatten() {
                for i in list.near(at) {
                    if !found.contains(&i) && fits(i) {
                        found.push(i);
                        if found.len() == 2 {
                            return found;
                        }
                    }
                }
            }
        }
        found
    }
}

/// Finding indices, those without a time apart and the others sorted by
/// their time without the year.
#[derive(Default)]
struct Timed {
    untimed: Vec<usize>,
    timed: Vec<(i64, usize)>,
}

impl Timed {
    fn push(&mut self, at: Option<Timestamp>, i: usize) {
        match at {
            Some(t) => self.timed.push((yearless(t), i)),
            None => self.untimed.push(i),
        }
    }

    fn sort(&mut self) {
        self.timed.sort_unstable();
    }

    /// Every member, or where `at` is given, those that may be of the same
    /// moment: a superset of [`same_moment`]. The keys have no year, so two
    /// times a minute apart can also lie a day apart (across 29 February of
    /// a year that has none) or a year apart (across New Year).
    fn near(&self, at: Option<Timestamp>) -> impl Iterator<Item = usize> + '_ {
        const DAY: i64 = 86_400;
        let windows: Vec<(i64, i64)> = match at {
            None => vec![(i64::MIN, i64::MAX)],
            Some(t) => {
                let k = yearless(t);
                let w = SAME_MOMENT_SECONDS as i64;
                [0, DAY, -DAY, YEARLESS_YEAR, -YEARLESS_YEAR]
                    .into_iter()
                    .map(|shift| (k + shift - w, k + shift + w))
                    .collect()
            }
        };
        let timed = &self.timed;
        self.untimed
            .iter()
            .copied()
            .chain(windows.into_iter().flat_map(move |(lo, hi)| {
                let from = timed.partition_point(|(k, _)| *k < lo);
                timed[from..]
                    .iter()
                    .take_while(move |(k, _)| *k <= hi)
                    .map(|(_, i)| *i)
            }))
    }
}

/// A time's place in a year, the same whether or not the line had a year
/// (on the calendar of a leap year: see [`Timestamp::sort_key`]).
fn yearless(t: Timestamp) -> i64 {
    Timestamp { year: None, ..t }.sort_key()
}

/// The length of the year [`yearless`] counts in.
const YEARLESS_YEAR: i64 = 366 * 86_400;

/// [`pair_both_ends`]' choice by a scan of every pair: the reference the
/// index is checked against in debug builds.
#[cfg(debug_assertions)]
fn scanned_upgrades(
    findings: &[Finding],
    host_keys: &[String],
    places: &[(Option<String>, Option<String>)],
    times: &[Option<Timestamp>],
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (gi, g) in findings.iter().enumerate() {
        if !may_be_upgraded(g) {
            continue;
        }
        let (g_local, g_remote) = &places[gi];
        let candidates: Vec<usize> = (0..findings.len())
            .filter(|&si| host_keys[si] != host_keys[gi])
            .filter(|&si| explains(g, &findings[si], times[gi], times[si]))
            .collect();
        let mirrored: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&si| {
                let (s_local, s_remote) = &places[si];
                matches!((g_local, g_remote, s_local, s_remote),
                    (Some(gl), Some(gr), Some(sl), Some(sr)) if gl == sr && gr == sl)
            })
            .collect();
        let half: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&si| {
                let (s_local, s_remote) = &places[si];
                (g_remote.is_some() && g_remote == s_local)
                    || (g_local.is_some() && g_local == s_remote)
            })
            .collect();
        if let Some(si) = choose(places, gi, &mirrored, &half, || candidates.clone()) {
            out.push((gi, si));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i32, month: u8, day: u8, second_of_day: u32) -> Timestamp {
        Timestamp {
            year: Some(year),
            month,
            day,
            second_of_day,
        }
    }

    #[test]
    fn the_time_window_holds_every_moment_same_moment_accepts() {
        let pairs = [
            // Across 29 February of a year without one.
            (at(2025, 2, 28, 86_399), at(2025, 3, 1, 30)),
            // Across New Year.
            (at(2025, 12, 31, 86_350), at(2026, 1, 1, 20)),
            // The same minute, one line without a year.
            (
                at(2026, 6, 1, 100),
                Timestamp {
                    year: None,
                    ..at(0, 6, 1, 150)
                },
            ),
        ];
        for (a, b) in pairs {
            for (x, y) in [(a, b), (b, a)] {
                assert!(same_moment(Some(x), Some(y)), "{x} {y}");
                let mut list = Timed::default();
                list.push(Some(y), 7);
                list.sort();
                assert_eq!(list.near(Some(x)).collect::<Vec<_>>(), [7], "{x} {y}");
            }
        }
    }
}
