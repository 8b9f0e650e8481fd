//! Both ends of a tunnel: the side that only saw `NO_PROPOSAL_CHOSEN` or
//! `AUTHENTICATION_FAILED` learns the cause from the other side's log.

/// hashbrown's map (foldhash, seeded): every index here is built once per
/// input over every finding and tunnel.
use hashbrown::{HashMap, HashSet};

use ipsec_doctor_logs::{Daemon, Timestamp};

use crate::catalog::rules;
use crate::engine::host_key_of;
use crate::report::{Finding, TunnelSummary};
use crate::rule::{Detection, Explainer};

/// Replaces each generic finding (`p1-auth-failed`, `p1-proposal-mismatch`,
/// `p2-proposal-mismatch`) with the specific finding of the same family that
/// the peer's log shows, when the peer is identified: its tunnel has this
/// tunnel's addresses mirrored, or, where the logs give no addresses, it is
/// the only other host with a specific finding of that family.
pub(crate) fn pair_both_ends(findings: &mut [Finding], tunnels: &[TunnelSummary]) {
    same_host_version_mismatch(findings, tunnels);
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

/// One end IKEv1-only, the other IKEv2-only, both initiating: a host's log
/// shows the peer's request refused for want of a configuration (`no IKE
/// config found`, reported as `wrong-destination-address`) although this
/// host's own Phase 1 for the same pair of addresses, in another
/// negotiation, uses the other IKE version. Both become
/// `ike-version-mismatch`, and so does the generic failure of this host's
/// own requests to that peer.
fn same_host_version_mismatch(findings: &mut [Finding], tunnels: &[TunnelSummary]) {
    let rule = rules::IKE_VERSION_MISMATCH;
    let index = TunnelIndex::new(tunnels);
    let tunnel_of = |f: &Finding| index.position(f);
    let mut changes: Vec<(usize, String, Vec<crate::report::Evidence>)> = Vec::new();
    // Hosts whose own connections ask for an IKE version this strongSwan
    // lacks (IKEv1 on Debian sid's 6.1.0): no configuration of the peer's
    // version is there either. Collected once, not per refusal.
    let not_built: HashSet<String> = findings
        .iter()
        .filter(|f| f.is(rules::IKE_VERSION_NOT_BUILT))
        .map(|f| host_key_of(f.host.as_deref(), &f.origin))
        .collect();
    // Indexed once: a scan per refusal is quadratic with thousands of hosts.
    let tunnel_hosts: Vec<String> = tunnels
        .iter()
        .map(|t| host_key_of(t.host.as_deref(), &t.origin))
        .collect();
    let mut by_addresses: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::default();
    for (i, t) in tunnels.iter().enumerate() {
        if let (Some(l), Some(r)) = (&t.local, &t.remote) {
            by_addresses
                .entry((tunnel_hosts[i].as_str(), l.as_str(), r.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut proposal_refusals: HashMap<(String, Option<&str>), Vec<usize>> = HashMap::default();
    for (j, g) in findings.iter().enumerate() {
        if g.is(rules::P1_PROPOSAL_MISMATCH) {
            proposal_refusals
                .entry((
                    host_key_of(g.host.as_deref(), &g.origin),
                    g.tunnel.as_deref(),
                ))
                .or_default()
                .push(j);
        }
    }
    for (i, refused) in findings.iter().enumerate() {
        if !refused.is(rules::WRONG_DESTINATION_ADDRESS) {
            continue;
        }
        let Some(r) = tunnel_of(refused) else {
            continue;
        };
        let r = &tunnels[r];
        let (Some(theirs), Some(local), Some(remote)) = (r.ike_version, &r.local, &r.remote) else {
            continue;
        };
        let host = host_key_of(refused.host.as_deref(), &refused.origin);
        if not_built.contains(&host) {
            let theirs = theirs.replace("ikev", "IKEv");
            changes.push((
                i,
                format!(
                    "The peer {remote} sends {theirs} requests to {local}, but no {theirs} configuration \
                     is here, and this side's own connections ask for an IKE version this strongSwan was \
                     built without (ike-version-not-built): the ends are configured for different IKE \
                     versions. Configure {theirs} on both ends."
                ),
                Vec::new(),
            ));
            continue;
        }
        let Some(own) = by_addresses
            .get(&(host.as_str(), local.as_str(), remote.as_str()))
            .into_iter()
            .flatten()
            .map(|&t| &tunnels[t])
            .find(|t| t.tunnel != r.tunnel && t.ike_version.is_some_and(|v| v != theirs))
        else {
            continue;
        };
        let ours = own.ike_version.unwrap_or_default().replace("ikev", "IKEv");
        let theirs = theirs.replace("ikev", "IKEv");
        let name = own.tunnel.as_deref().unwrap_or("?");
        changes.push((
            i,
            format!(
                "The peer {remote} sends {theirs} requests to {local}, but this side's Phase 1 for that peer \
                 ({name}) is {ours}: no {theirs} configuration matches, so this side refuses them with \
                 NO_PROPOSAL_CHOSEN. Configure the same IKE version on both ends."
            ),
            Vec::new(),
        ));
        let own_refusals = proposal_refusals
            .get(&(host.clone(), own.tunnel.as_deref()))
            .into_iter()
            .flatten();
        for &j in own_refusals {
            changes.push((
                j,
                format!(
                    "This side's {ours} requests to {remote} are refused with NO_PROPOSAL_CHOSEN, and the \
                     peer's own requests to this side are {theirs}: the ends are configured for \
                     different IKE versions. Configure the same IKE version on both ends."
                ),
                refused.evidence.clone(),
            ));
        }
    }
    drop((by_addresses, proposal_refusals));
    for (i, summary, evidence) in changes {
        let f = &mut findings[i];
        f.retarget(rule);
        f.summary = summary;
        f.peer_summary = Some(
            "The peer speaks another IKE version than this side (see the peer's log): configure the same \
             IKE version on both ends."
                .to_owned(),
        );
        f.evidence.extend(evidence);
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

/// IKEv2 does not negotiate lifetimes, so a difference shows only by
/// comparing both ends' own schedules. charon shortens each rekey by a random
/// jitter (rand_time, 10% by default), so only a difference beyond that is
/// reported.
pub(crate) fn compare_lifetimes(tunnels: &[TunnelSummary]) -> Vec<(&TunnelSummary, Detection)> {
    let mut out = Vec::new();
    let peers = PeerIndex::new(tunnels);
    for (i, a) in tunnels.iter().enumerate() {
        if a.ike_lifetime.is_none() {
            continue;
        }
        // Pair only where the peer is unambiguous, in both directions.
        let Some(j) = peers.unique_peer(tunnels, i) else {
            continue;
        };
        if j < i || peers.unique_peer(tunnels, j) != Some(i) {
            continue;
        }
        let b = &tunnels[j];
        let (Some((la, ea)), Some((lb, eb))) = (&a.ike_lifetime, &b.ike_lifetime) else {
            continue;
        };
        let (short, long) = if la < lb { (*la, *lb) } else { (*lb, *la) };
        if short == 0 || long * 4 <= short * 5 {
            continue;
        }
        for (this, mine, theirs) in [(a, *la, *lb), (b, *lb, *la)] {
            out.push((
                this,
                Detection::new(
                    format!(
                        "This side's IKE SA lives at most {mine}s, the peer's {theirs}s: the ends are \
                         configured with different Phase 1 lifetimes. This does not cause a failure."
                    ),
                    vec![ea.clone(), eb.clone()],
                ),
            ));
        }
    }
    out
}

/// Tunnels by host, origin and name.
struct TunnelIndex<'t> {
    by_name: HashMap<(Option<&'t str>, &'t str, Option<&'t str>), usize>,
}

impl<'t> TunnelIndex<'t> {
    fn new(tunnels: &'t [TunnelSummary]) -> TunnelIndex<'t> {
        let mut by_name = HashMap::default();
        for (i, t) in tunnels.iter().enumerate() {
            by_name
                .entry((t.host.as_deref(), &*t.origin, t.tunnel.as_deref()))
                .or_insert(i);
        }
        TunnelIndex { by_name }
    }

    /// The first tunnel of the finding's host, file and name.
    fn position(&self, f: &Finding) -> Option<usize> {
        self.by_name
            .get(&(f.host.as_deref(), &*f.origin, f.tunnel.as_deref()))
            .copied()
    }
}

/// Tunnels by their local and remote addresses, with their hosts' keys, so
/// that finding a tunnel's peer does not scan every tunnel.
struct PeerIndex<'t> {
    host_keys: Vec<String>,
    by_local: HashMap<&'t str, Vec<usize>>,
    by_remote: HashMap<&'t str, Vec<usize>>,
}

impl<'t> PeerIndex<'t> {
    fn new(tunnels: &'t [TunnelSummary]) -> PeerIndex<'t> {
        let mut index = PeerIndex {
            host_keys: Vec::with_capacity(tunnels.len()),
            by_local: HashMap::default(),
            by_remote: HashMap::default(),
        };
        for (i, t) in tunnels.iter().enumerate() {
            index
                .host_keys
                .push(host_key_of(t.host.as_deref(), &t.origin));
            if let Some(local) = &t.local {
                index.by_local.entry(local.as_str()).or_default().push(i);
            }
            if let Some(remote) = &t.remote {
                index.by_remote.entry(remote.as_str()).or_default().push(i);
            }
        }
        index
    }

    /// The one tunnel on another host whose addresses mirror tunnel `i`'s
    /// (both addresses, or, behind NAT, one of them), if there is exactly one.
    fn unique_peer(&self, tunnels: &[TunnelSummary], i: usize) -> Option<usize> {
        let a = &tunnels[i];
        let a_host = &self.host_keys[i];
        let none = Vec::new();
        // Tunnels whose remote is our local, and whose local is our remote.
        let remote_is_our_local = a
            .local
            .as_deref()
            .map_or(&none, |l| self.by_remote.get(l).unwrap_or(&none));
        let local_is_our_remote = a
            .remote
            .as_deref()
            .map_or(&none, |r| self.by_local.get(r).unwrap_or(&none));
        let other = |j: &usize| self.host_keys[*j] != *a_host;
        let full: Vec<usize> = remote_is_our_local
            .iter()
            .copied()
            .filter(other)
            .filter(|&j| a.remote.is_some() && a.remote == tunnels[j].local)
            .collect();
        let mut half: Vec<usize> = remote_is_our_local
            .iter()
            .chain(local_is_our_remote)
            .copied()
            .filter(other)
            .collect();
        half.sort_unstable();
        half.dedup();
        match (full.as_slice(), half.as_slice()) {
            ([one], _) => Some(*one),
            ([], [one]) => Some(*one),
            _ => None,
        }
    }
}

/// One charon tunnel of one host, for [`one_way_initiation`].
pub(crate) struct OneWayView {
    pub host: Option<String>,
    pub origin: std::sync::Arc<str>,
    pub tunnel: String,
    pub local: Option<String>,
    pub remote: Option<String>,
    /// The initiating and established lines of an IKE SA this host initiated.
    pub initiated_up: Option<Vec<crate::report::Evidence>>,
    /// Whether the peer ever initiated to this host.
    pub peer_initiated: bool,
}

/// A tunnel that initiates one way only: this host's IKE requests to the
/// peer go unanswered (`peer-unreachable`), while the peer's own log, also
/// in the input, shows the peer initiating to this host successfully and
/// never receiving an initiation from it. The path works, the peer answers:
/// what this host sends is lost or rewritten on its way out, which is what
/// an outbound NAT rule with source `any` does to the firewall's own IKE
/// traffic.
pub(crate) fn one_way_initiation(
    views: &[OneWayView],
    findings: &[Finding],
) -> Vec<(usize, Detection)> {
    let mut out = Vec::new();
    let view_hosts: Vec<String> = views
        .iter()
        .map(|v| host_key_of(v.host.as_deref(), &v.origin))
        .collect();
    let mut unreachable_at: HashMap<(String, &str), &Finding> = HashMap::default();
    for f in findings.iter().filter(|f| f.is(rules::PEER_UNREACHABLE)) {
        if let Some(tunnel) = f.tunnel.as_deref() {
            unreachable_at
                .entry((host_key_of(f.host.as_deref(), &f.origin), tunnel))
                .or_insert(f);
        }
    }
    // Views by their local address: a scan per view is quadratic.
    let mut by_local: HashMap<&str, Vec<usize>> = HashMap::default();
    for (j, b) in views.iter().enumerate() {
        if let Some(local) = &b.local {
            by_local.entry(local.as_str()).or_default().push(j);
        }
    }
    for (i, a) in views.iter().enumerate() {
        let a_host = &view_hosts[i];
        let Some(unreachable) = unreachable_at.get(&(a_host.clone(), a.tunnel.as_str())) else {
            continue;
        };
        let Some(a_remote) = &a.remote else { continue };
        let peers: Vec<&OneWayView> = by_local
            .get(a_remote.as_str())
            .into_iter()
            .flatten()
            .copied()
            .filter(|j| view_hosts[*j] != *a_host)
            .map(|j| &views[j])
            .filter(|b| b.local.as_ref() == Some(a_remote))
            .filter(|b| match (&a.local, &b.remote) {
                (Some(al), Some(br)) => al == br,
                _ => true,
            })
            .collect();
        let [b] = peers.as_slice() else { continue };
        let Some(up) = &b.initiated_up else { continue };
        if b.peer_initiated {
            continue;
        }
        let peer_name = b.host.clone().unwrap_or_else(|| b.origin.to_string());
        let mut evidence = unreachable.evidence.clone();
        evidence.extend(up.iter().cloned());
        out.push((
            i,
            Detection::new(
                format!(
                    "This side's IKE requests to {a_remote} were never answered, yet the peer's own log \
                     ({peer_name}) shows it initiating to {} and establishing the tunnel, and never \
                     receiving an initiation from this side. The tunnel initiates one way only: this \
                     side's IKE packets are lost or rewritten on their way out. An outbound NAT rule \
                     with source any (*) on this firewall also matches its own IKE traffic and \
                     rewrites its source port or address.",
                    a.local.as_deref().unwrap_or("this side")
                ),
                evidence,
            ),
        ));
    }
    out
}

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
