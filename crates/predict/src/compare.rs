//! `ipsec-doctor compare`: both ends' configurations, one predicted outcome.

use std::fmt;
use std::sync::Arc;

use ipsec_doctor_config::{AuthMethod, Child, IdentityKind, IkeVersion, Tunnel};
use ipsec_doctor_findings::{
    rules, Detection, Evidence, Finding, Outcome, Report, Rule, Severity, StatusHistory,
    TunnelSummary,
};

use crate::evidence::finding;
use crate::negotiate::{
    identity_matches, intersects, is_own_address, presented_identity, proposals, select, selectors,
    show, transforms, Attribute, Selection,
};
use crate::Side;

/// Why a comparison could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PredictError {
    /// `--left-tunnel`/`--right-tunnel` named a tunnel the file does not have.
    NoSuchTunnel {
        /// The file.
        path: String,
        /// The name asked for.
        name: String,
        /// The tunnels the file has.
        available: Vec<String>,
    },
    /// A file is an `ipsec.conf` in Libreswan's dialect: its negotiation
    /// rules are not strongSwan's, which is all `compare` models, and a
    /// prediction by the wrong rules would be confidently wrong.
    Libreswan {
        /// Where the file shows it: `path:line`.
        at: String,
        /// The setting that shows it.
        setting: String,
    },
    /// No tunnel of one file mirrors a tunnel of the other.
    NoPair {
        /// Tunnels of the left file.
        left: Vec<String>,
        /// Tunnels of the right file.
        right: Vec<String>,
    },
}

impl fmt::Display for PredictError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PredictError::NoSuchTunnel { path, name, available } => write!(
                f,
                "{path}: no tunnel named '{name}' (tunnels: {})",
                if available.is_empty() { "none".to_owned() } else { available.join(", ") }
            ),
            PredictError::Libreswan { at, setting } => write!(
                f,
                "{at}: `{setting}` is Libreswan's ipsec.conf; compare predicts by strongSwan's \
                 negotiation rules only and would be wrong for a Libreswan end. Try the pair on real \
                 daemons (lab/run, docs/lab.md), or diagnose both ends' logs"
            ),
            PredictError::NoPair { left, right } => write!(
                f,
                "no tunnel of the left file mirrors one of the right file (left: {}; right: {}); name them with \
                 --left-tunnel and --right-tunnel",
                left.join(", "),
                right.join(", ")
            ),
        }
    }
}

impl std::error::Error for PredictError {}

/// Predicts the outcome of the tunnels between two configurations. Without
/// names, tunnels are paired by their mirrored addresses and subnets.
pub fn compare(
    left: Side<'_>,
    right: Side<'_>,
    left_tunnel: Option<&str>,
    right_tunnel: Option<&str>,
) -> Result<Report, PredictError> {
    for side in [&left, &right] {
        if let Some((origin, setting)) = &side.config.libreswan_setting {
            return Err(PredictError::Libreswan {
                at: origin.to_string(),
                setting: setting.clone(),
            });
        }
    }
    let pairs = pair(&left, &right, left_tunnel, right_tunnel)?;
    let mut report = Report::default();
    for (l, r) in pairs {
        let findings = predict_pair(&left, l, &right, r);
        let errors = findings.iter().any(|f| f.severity == Severity::Error);
        let predicted = StatusHistory::of(if errors { Outcome::Failed } else { Outcome::Up });
        report.tunnels.push(TunnelSummary {
            host: left.config.host.hostname.clone(),
            tunnel: Some(l.name.clone()),
            local: l.local_addrs.first().cloned(),
            remote: l.remote_addrs.first().cloned(),
            ike_version: match effective_version(l, r) {
                Some(IkeVersion::V1) => Some("ikev1"),
                Some(_) => Some("ikev2"),
                None => None,
            },
            // One negotiation: the predicted one.
            status: predicted.status(),
            negotiations: 1,
            established: predicted.up,
            failed: predicted.failed,
            negotiated: Vec::new(),
            timeline: Vec::new(),
            findings: findings.iter().map(|f| f.rule).collect(),
            origin: Arc::from(left.path),
            ike_lifetime: None,
        });
        report.findings.extend(findings);
    }
    report.findings.sort_by_key(|f| f.severity);
    Ok(report)
}

fn enabled<'a>(side: &Side<'a>) -> Vec<&'a Tunnel> {
    side.config.tunnels.iter().filter(|t| !t.disabled).collect()
}

fn named<'a>(side: &Side<'a>, name: &str) -> Result<&'a Tunnel, PredictError> {
    side.config
        .tunnels
        .iter()
        .find(|t| {
            t.name == name
                || t.description.as_deref() == Some(name)
                || t.ikeid.as_deref() == Some(name)
        })
        .ok_or_else(|| PredictError::NoSuchTunnel {
            path: side.path.to_owned(),
            name: name.to_owned(),
            available: side.config.tunnels.iter().map(|t| t.name.clone()).collect(),
        })
}

/// How well two tunnels mirror each other.
fn mirror_score(l: &Tunnel, r: &Tunnel) -> u32 {
    let mut score = 0;
    let has = |list: &[String], addr: &String| list.iter().any(|a| a == addr);
    if l.local_addrs.iter().any(|a| has(&r.remote_addrs, a)) {
        score += 2;
    }
    if r.local_addrs.iter().any(|a| has(&l.remote_addrs, a)) {
        score += 2;
    }
    let children_mirror = l.children.iter().any(|c| {
        r.children.iter().any(|d| {
            !c.local_ts.is_empty() && c.local_ts == d.remote_ts && c.remote_ts == d.local_ts
        })
    });
    if children_mirror {
        score += 3;
    }
    score
}

fn pair<'a>(
    left: &Side<'a>,
    right: &Side<'a>,
    left_tunnel: Option<&str>,
    right_tunnel: Option<&str>,
) -> Result<Vec<(&'a Tunnel, &'a Tunnel)>, PredictError> {
    let (ls, rs) = (enabled(left), enabled(right));
    let names = |list: &[&Tunnel]| list.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    match (left_tunnel, right_tunnel) {
        (Some(l), Some(r)) => return Ok(vec![(named(left, l)?, named(right, r)?)]),
        (Some(l), None) => {
            let l = named(left, l)?;
            let best = rs.iter().copied().max_by_key(|r| mirror_score(l, r));
            return best.map(|r| vec![(l, r)]).ok_or(PredictError::NoPair {
                left: vec![l.name.clone()],
                right: names(&rs),
            });
        }
        (None, Some(r)) => {
            let r = named(right, r)?;
            let best = ls.iter().copied().max_by_key(|l| mirror_score(l, r));
            return best.map(|l| vec![(l, r)]).ok_or(PredictError::NoPair {
                left: names(&ls),
                right: vec![r.name.clone()],
            });
        }
        (None, None) => {}
    }
    if let ([l], [r]) = (ls.as_slice(), rs.as_slice()) {
        return Ok(vec![(*l, *r)]);
    }
    let mut pairs = Vec::new();
    let mut used = Vec::new();
    for l in &ls {
        let best = rs
            .iter()
            .enumerate()
            .filter(|(j, _)| !used.contains(j))
            .map(|(j, r)| (mirror_score(l, r), j))
            .filter(|(score, _)| *score >= 2)
            .max();
        if let Some((_, j)) = best {
            used.push(j);
            pairs.push((*l, rs[j]));
        }
    }
    if pairs.is_empty() {
        return Err(PredictError::NoPair {
            left: names(&ls),
            right: names(&rs),
        });
    }
    Ok(pairs)
}

/// The IKE version used when `i` initiates to `r`, or `None` when `r`
/// does not accept it.
fn effective_version(i: &Tunnel, r: &Tunnel) -> Option<IkeVersion> {
    // strongSwan initiates IKEv2 unless the connection is IKEv1 only.
    let used = if i.ike_version == IkeVersion::V1 {
        IkeVersion::V1
    } else {
        IkeVersion::V2
    };
    (r.ike_version == IkeVersion::Any || r.ike_version == used).then_some(used)
}

/// One predicted problem before it becomes a finding.
struct Problem {
    rule: &'static Rule,
    summary: String,
    evidence: Vec<Evidence>,
    fix: Vec<String>,
}

impl Problem {
    fn new(rule: &'static Rule, summary: String, evidence: Vec<Evidence>) -> Problem {
        Problem {
            rule,
            summary,
            evidence,
            fix: Vec::new(),
        }
    }
}

/// Both directions of one tunnel, merged: each id once, the first summary kept.
fn predict_pair(ls: &Side<'_>, l: &Tunnel, rs: &Side<'_>, r: &Tunnel) -> Vec<Finding> {
    let mut problems = direction(ls, l, rs, r, "left", "right");
    for p in direction(rs, r, ls, l, "right", "left") {
        if !problems.iter().any(|q| q.rule == p.rule) {
            problems.push(p);
        }
    }
    let errors = problems.iter().any(|p| p.rule.severity == Severity::Error);
    if !errors {
        problems.push(established(ls, l, rs, r));
    }
    problems
        .into_iter()
        .map(|p| {
            let mut detection = Detection::new(p.summary, p.evidence);
            detection.fix = p.fix;
            finding(
                p.rule,
                ls.config.host.hostname.clone(),
                Some(l.name.clone()),
                ls.path,
                detection,
            )
        })
        .collect()
}

/// What happens when `i` (on side `is`, called `iname`) initiates to `r`.
fn direction(
    is: &Side<'_>,
    i: &Tunnel,
    rs: &Side<'_>,
    r: &Tunnel,
    iname: &str,
    rname: &str,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let ev_i = |keys: &[&str]| is.line_for(i.origin.line, keys);
    let ev_r = |keys: &[&str]| rs.line_for(r.origin.line, keys);

    let Some(version) = effective_version(i, r) else {
        out.push(Problem::new(
            rules::IKE_VERSION_MISMATCH,
            format!(
                "{iname} initiates with {} but {rname} accepts only {}: the IKE versions differ.",
                if i.ike_version == IkeVersion::V1 {
                    "IKEv1"
                } else {
                    "IKEv2"
                },
                if r.ike_version == IkeVersion::V1 {
                    "IKEv1"
                } else {
                    "IKEv2"
                }
            ),
            vec![
                ev_i(&["version", "keyexchange", "iketype"]),
                ev_r(&["version", "keyexchange", "iketype"]),
            ],
        ));
        return out;
    };

    // The initiator must reach an address the responder's Phase 1 is bound to.
    let concrete = |list: &[String]| {
        list.iter()
            .filter(|a| a.parse::<std::net::IpAddr>().is_ok())
            .cloned()
            .collect::<Vec<_>>()
    };
    let (targets, bound) = (concrete(&i.remote_addrs), concrete(&r.local_addrs));
    // A VIP (CARP, IP alias) sits in the interface's own subnet; an address in
    // another network is more likely NAT or a port forward, which configurations
    // cannot show.
    let same_subnet = |a: &String, b: &String| match (
        a.parse::<std::net::IpAddr>(),
        b.parse::<std::net::IpAddr>(),
    ) {
        (Ok(std::net::IpAddr::V4(a)), Ok(std::net::IpAddr::V4(b))) => {
            a.octets()[..3] == b.octets()[..3]
        }
        (Ok(std::net::IpAddr::V6(a)), Ok(std::net::IpAddr::V6(b))) => {
            a.segments()[..4] == b.segments()[..4]
        }
        _ => false,
    };
    if !targets.is_empty()
        && !bound.is_empty()
        && !targets.iter().any(|t| bound.contains(t))
        && targets
            .iter()
            .any(|t| bound.iter().any(|b| same_subnet(t, b)))
    {
        out.push(Problem::new(
            rules::WRONG_DESTINATION_ADDRESS,
            format!(
                "{iname} connects to {}, but {rname}'s Phase 1 is bound to {}: {rname} has no IKE configuration \
                 for the address it is reached at and answers NO_PROPOSAL_CHOSEN.",
                targets.join(", "),
                bound.join(", ")
            ),
            vec![ev_i(&["remote_addrs", "right", "remote-gateway"]), ev_r(&["local_addrs", "left", "interface"])],
        ));
        return out;
    }

    if version == IkeVersion::V1 && i.aggressive && !r.aggressive {
        out.push(Problem::new(
            rules::AGGRESSIVE_MAIN_MISMATCH,
            format!(
                "{iname} uses Aggressive Mode, {rname} Main Mode: when {iname} initiates, {rname} refuses and \
                 answers AUTHENTICATION_FAILED (when {rname} initiates in Main Mode the tunnel still establishes)."
            ),
            vec![ev_i(&["aggressive", "mode"]), ev_r(&["aggressive", "mode"])],
        ));
    }

    // Phase 1 proposals.
    let (ip, rp) = (proposals(&i.ike_proposals), proposals(&r.ike_proposals));
    if !ip.is_empty() && !rp.is_empty() {
        if let Selection::NoMatch(differing) = select(&ip, &rp, false) {
            let ev = vec![
                ev_i(&["proposals", "ike", "encryption-algorithm"]),
                ev_r(&["proposals", "ike", "encryption-algorithm"]),
            ];
            out.extend(proposal_problems(1, &differing, &ip, &rp, iname, rname, ev));
        }
    }

    // Identities: the responder looks for a config matching the initiator's
    // identity, and the initiator checks the responder's.
    for (presenter, p_side, p_name, checker, c_side, c_name) in
        [(i, is, iname, r, rs, rname), (r, rs, rname, i, is, iname)]
    {
        let presented = presented_identity(presenter);
        if identity_matches(checker.remote_id.as_ref(), presented.as_ref()) {
            continue;
        }
        let (Some(presented), Some(expected)) = (presented, checker.remote_id.as_ref()) else {
            continue;
        };
        let ev = vec![
            p_side.line_for(
                presenter.origin.line,
                &["id", "leftid", "myid_data", "local_addrs"],
            ),
            c_side.line_for(checker.origin.line, &["id", "rightid", "peerid_data"]),
        ];
        let behind_nat = matches!(presented.kind, IdentityKind::Address(_))
            && matches!(expected.kind, IdentityKind::Address(_))
            && is_own_address(presenter, &presented)
            && !is_own_address(presenter, expected);
        let mut problem = if behind_nat {
            Problem::new(
                rules::NAT_ID_MISMATCH,
                format!(
                    "{p_name} identifies itself with its own address {} while {c_name} expects {}, an address \
                     {p_name} does not have: {p_name} is reached through NAT, and {c_name} must expect its \
                     pre-NAT address.",
                    presented.value, expected.value
                ),
                ev,
            )
        } else {
            Problem::new(
                rules::P1_ID_MISMATCH,
                format!(
                    "{p_name} identifies itself as '{}', but {c_name} expects '{}'.",
                    presented.raw, expected.raw
                ),
                ev,
            )
        };
        problem.fix.push(format!(
            "On {c_name}, set the Peer identifier to '{}' (or make {p_name}'s My identifier '{}').",
            presented.value, expected.value
        ));
        out.push(problem);
    }

    if let (Some(a), Some(b)) = (&i.psk, &r.psk) {
        if a != b {
            let keys = ["secret", "pre-shared-key", "PSK"];
            out.push(Problem::new(
                rules::PSK_MISMATCH,
                format!(
                    "The pre-shared keys of {iname} and {rname} differ ({} and {} characters).",
                    a.chars().count(),
                    b.chars().count()
                ),
                vec![hide_secret(ev_i(&keys), a), hide_secret(ev_r(&keys), b)],
            ));
        }
    }

    for c in i.children.iter().filter(|c| !c.disabled) {
        out.extend(child(is, i, c, rs, r, iname, rname, version));
    }

    lifetimes(is, i, rs, r, iname, rname, &mut out);
    out
}

/// Phase 2 for one of the initiator's CHILD SAs.
#[allow(clippy::too_many_arguments)]
fn child(
    is: &Side<'_>,
    i: &Tunnel,
    c: &Child,
    rs: &Side<'_>,
    r: &Tunnel,
    iname: &str,
    rname: &str,
    version: IkeVersion,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let (i_local, i_remote) = (
        selectors(&c.local_ts, &i.local_addrs),
        selectors(&c.remote_ts, &i.remote_addrs),
    );
    let fits = |d: &Child| {
        let (r_local, r_remote) = (
            selectors(&d.local_ts, &r.local_addrs),
            selectors(&d.remote_ts, &r.remote_addrs),
        );
        match version {
            // IKEv2 narrows to the intersection.
            IkeVersion::V2 | IkeVersion::Any => {
                i_local
                    .iter()
                    .any(|a| r_remote.iter().any(|b| intersects(a, b)))
                    && i_remote
                        .iter()
                        .any(|a| r_local.iter().any(|b| intersects(a, b)))
            }
            // IKEv1 has no narrowing: the proposed networks must lie inside the responder's.
            IkeVersion::V1 => {
                i_local
                    .iter()
                    .all(|a| r_remote.iter().any(|b| b.contains(a)))
                    && i_remote
                        .iter()
                        .all(|a| r_local.iter().any(|b| b.contains(a)))
            }
        }
    };
    let ev_c = is.line_for(
        c.origin.line,
        &["local_ts", "leftsubnet", "localid", "remote_ts"],
    );
    let Some(d) = r.children.iter().filter(|d| !d.disabled).find(|d| fits(d)) else {
        let theirs: Vec<String> = r
            .children
            .iter()
            .map(|d| {
                format!(
                    "{} === {}",
                    show(&selectors(&d.local_ts, &r.local_addrs)),
                    show(&selectors(&d.remote_ts, &r.remote_addrs))
                )
            })
            .collect();
        let mut ev = vec![ev_c];
        ev.extend(r.children.first().map(|d| {
            rs.line_for(
                d.origin.line,
                &["local_ts", "leftsubnet", "localid", "remote_ts"],
            )
        }));
        out.push(Problem::new(
            rules::P2_TS_MISMATCH,
            format!(
                "{iname} proposes {} === {} (its side === {rname}'s side); {rname} is configured for {}. Make \
                 each end's local network the other end's remote network.",
                show(&i_local),
                show(&i_remote),
                if theirs.is_empty() { "no Phase 2 at all".to_owned() } else { theirs.join("; ") }
            ),
            ev,
        ));
        return out;
    };
    let (ip, rp) = (proposals(&c.esp_proposals), proposals(&d.esp_proposals));
    if ip.is_empty() || rp.is_empty() {
        return out;
    }
    let ev = vec![
        is.line_for(
            c.origin.line,
            &[
                "esp_proposals",
                "esp",
                "encryption-algorithm-option",
                "pfsgroup",
            ],
        ),
        rs.line_for(
            d.origin.line,
            &[
                "esp_proposals",
                "esp",
                "encryption-algorithm-option",
                "pfsgroup",
            ],
        ),
    ];
    let ikev2 = version != IkeVersion::V1;
    match select(&ip, &rp, ikev2) {
        Selection::NoMatch(differing) => {
            out.extend(proposal_problems(2, &differing, &ip, &rp, iname, rname, ev))
        }
        Selection::Chosen(_) if ikev2 => {
            // The first CHILD SA comes up without a key exchange; its rekey uses one.
            if let Selection::NoMatch(differing) = select(&ip, &rp, false) {
                if differing.contains(&Attribute::DhGroup) {
                    let mut problems = proposal_problems(
                        2,
                        &[Attribute::DhGroup],
                        &ip,
                        &rp,
                        iname,
                        rname,
                        ev.clone(),
                    );
                    for p in &mut problems {
                        p.summary.push_str(
                            " In IKEv2 the first CHILD SA is created without a key exchange, so the tunnel comes \
                             up and fails at its first rekey.",
                        );
                    }
                    out.extend(problems);
                    out.push(Problem::new(
                        rules::RENEGOTIATION_FAILURE,
                        format!(
                            "The tunnel will come up, then fail when the CHILD SA is rekeyed: {iname} and {rname} \
                             disagree on PFS, which IKEv2 only uses from the first rekey on."
                        ),
                        ev,
                    ));
                }
            }
        }
        Selection::Chosen(_) => {}
    }
    out
}

/// Findings for a failed proposal selection in phase 1 or 2.
fn proposal_problems(
    phase: u8,
    differing: &[Attribute],
    ip: &[ipsec_doctor_events::Proposal],
    rp: &[ipsec_doctor_events::Proposal],
    iname: &str,
    rname: &str,
    evidence: Vec<Evidence>,
) -> Vec<Problem> {
    let list = |p: &[ipsec_doctor_events::Proposal]| {
        p.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if differing.is_empty() {
        let id = if phase == 1 {
            rules::P1_PROPOSAL_MISMATCH
        } else {
            rules::P2_PROPOSAL_MISMATCH
        };
        return vec![Problem::new(
            id,
            format!(
                "No single proposal of {iname} ({}) matches one of {rname} ({}) in all algorithms at once.",
                list(ip),
                list(rp)
            ),
            evidence,
        )];
    }
    differing
        .iter()
        .map(|a| {
            let (id, setting) = match (phase, a) {
                (1, Attribute::Encryption) => (rules::P1_ENCRYPTION_MISMATCH, "Phase 1 Encryption Algorithm"),
                (1, Attribute::Hash) => (rules::P1_HASH_MISMATCH, "Phase 1 Hash Algorithm"),
                (1, Attribute::DhGroup) => (rules::P1_DH_GROUP_MISMATCH, "Phase 1 DH Group"),
                (_, Attribute::Encryption) => (rules::P2_ENCRYPTION_MISMATCH, "Phase 2 Encryption Algorithm"),
                (_, Attribute::Hash) => (rules::P2_HASH_MISMATCH, "Phase 2 Hash Algorithm"),
                (_, Attribute::DhGroup) => (rules::P2_PFS_MISMATCH, "Phase 2 PFS key group"),
            };
            let show_set = |p: &[ipsec_doctor_events::Proposal]| {
                let s = transforms(p, *a);
                if s.is_empty() { "none".to_owned() } else { s.into_iter().collect::<Vec<_>>().join(", ") }
            };
            Problem::new(
                id,
                format!(
                    "{iname} proposes {} for {setting}; {rname} accepts {}. (proposals: {iname} {}; {rname} {}) \
                     Make {setting} the same on both ends.",
                    show_set(ip),
                    show_set(rp),
                    list(ip),
                    list(rp)
                ),
                evidence.clone(),
            )
        })
        .collect()
}

fn lifetimes(
    is: &Side<'_>,
    i: &Tunnel,
    rs: &Side<'_>,
    r: &Tunnel,
    iname: &str,
    rname: &str,
    out: &mut Vec<Problem>,
) {
    let differs = |a: Option<u32>, b: Option<u32>| match (a, b) {
        (Some(a), Some(b)) => a.max(b) * 10 > a.min(b) * 11,
        _ => false,
    };
    let ike = (
        i.ike_rekey_time.or(i.ike_lifetime),
        r.ike_rekey_time.or(r.ike_lifetime),
    );
    let child = (
        i.children.first().and_then(|c| c.rekey_time.or(c.lifetime)),
        r.children.first().and_then(|c| c.rekey_time.or(c.lifetime)),
    );
    let mut parts = Vec::new();
    let mut evidence = Vec::new();
    if differs(ike.0, ike.1) {
        parts.push(format!(
            "Phase 1 {}s ({iname}) vs {}s ({rname})",
            ike.0.unwrap_or(0),
            ike.1.unwrap_or(0)
        ));
        evidence.push(is.line_for(i.origin.line, &["rekey_time", "ikelifetime", "lifetime"]));
        evidence.push(rs.line_for(r.origin.line, &["rekey_time", "ikelifetime", "lifetime"]));
    }
    if differs(child.0, child.1) {
        parts.push(format!(
            "Phase 2 {}s ({iname}) vs {}s ({rname})",
            child.0.unwrap_or(0),
            child.1.unwrap_or(0)
        ));
        if let (Some(c), Some(d)) = (i.children.first(), r.children.first()) {
            evidence.push(is.line_for(c.origin.line, &["rekey_time", "lifetime", "life_time"]));
            evidence.push(rs.line_for(d.origin.line, &["rekey_time", "lifetime", "life_time"]));
        }
    }
    if !parts.is_empty() {
        out.push(Problem::new(
            rules::LIFETIME_MISMATCH,
            format!(
                "Lifetimes differ: {}. This does not cause a failure.",
                parts.join("; ")
            ),
            evidence,
        ));
    }
}

/// The healthy outcome, with what will be negotiated.
fn established(ls: &Side<'_>, l: &Tunnel, rs: &Side<'_>, r: &Tunnel) -> Problem {
    let mut parts = Vec::new();
    if let Selection::Chosen(p) = select(
        &proposals(&l.ike_proposals),
        &proposals(&r.ike_proposals),
        false,
    ) {
        parts.push(p);
    }
    if let (Some(c), Some(d)) = (l.children.first(), r.children.first()) {
        let ikev2 = effective_version(l, r) != Some(IkeVersion::V1);
        if let Selection::Chosen(p) = select(
            &proposals(&c.esp_proposals),
            &proposals(&d.esp_proposals),
            ikev2,
        ) {
            parts.push(p);
        }
    }
    let ts = l
        .children
        .first()
        .map(|c| {
            format!(
                " for {} === {}",
                show(&selectors(&c.local_ts, &l.local_addrs)),
                show(&selectors(&c.remote_ts, &l.remote_addrs))
            )
        })
        .unwrap_or_default();
    // What files cannot show is said, not hidden.
    let auths = [&l.local_auth, &l.remote_auth, &r.local_auth, &r.remote_auth];
    let mut unchecked = Vec::new();
    if auths.iter().any(|a| matches!(a, Some(AuthMethod::PubKey))) {
        unchecked
            .push("certificates (chain, validity dates, the identity in their subject and SANs)");
    }
    if auths
        .iter()
        .any(|a| matches!(a, Some(AuthMethod::Eap(_) | AuthMethod::Xauth(_))))
    {
        unchecked.push("EAP/XAuth user names and passwords");
    }
    unchecked.push("reachability (UDP 500 and 4500 between the two, NAT on the way)");
    unchecked.push("the kernel (installing the SAs, routes, the firewall)");
    Problem::new(
        rules::TUNNEL_ESTABLISHED,
        format!(
            "Predicted to establish{ts}. Negotiated: {}. Not checked, as files cannot show it: {}.",
            if parts.is_empty() {
                "(proposals not configured)".to_owned()
            } else {
                parts.join(", ")
            },
            unchecked.join("; ")
        ),
        vec![
            ls.line_for(l.origin.line, &["proposals", "ike", "encryption-algorithm"]),
            rs.line_for(r.origin.line, &["proposals", "ike", "encryption-algorithm"]),
        ],
    )
}

/// A configuration line that holds a secret, with the secret hidden: a
/// report is pasted into tickets and CI logs, and the line's number says
/// where to look.
fn hide_secret(mut evidence: Evidence, secret: &str) -> Evidence {
    let hidden = format!("<hidden: {} characters>", secret.chars().count());
    if !secret.is_empty() && evidence.text.contains(secret) {
        evidence.text = evidence.text.replace(secret, &hidden);
    } else if let Some(at) = evidence.text.find(['=', '>', ':']) {
        // Written otherwise than parsed (escapes, 0x/0s forms): all of
        // what follows the key.
        evidence.text.truncate(at + 1);
        evidence.text.push(' ');
        evidence.text.push_str(&hidden);
    }
    evidence
}
