//! Libreswan pluto's lines on one host. pluto names the connection and the
//! state (`"gw-gw" #3:`) on every line about a negotiation, but a connection
//! is retried under new state numbers (pluto "revives" it), so its lines are
//! kept per host and connection and judged once the input has ended. Each
//! rule that pluto's lines can show has its pluto matchers in its own
//! catalog file ([`crate::Scope::Pluto`]), reading a [`PlutoConnection`];
//! a connection's verdict is the finding of the matcher ranked first. Each
//! summary says that this side runs pluto.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ipsec_doctor_events::{PlutoEvent, PlutoLine};

use crate::catalog::{matchers, rules};
use crate::report::Evidence;
use crate::rule::{Detection, Rule};

/// Entries kept per connection.
const MAX_ENTRIES: usize = 512;
/// Connections kept per host.
const MAX_CONNECTIONS: usize = 1024;

/// The phrase every pluto summary ends with.
pub(crate) const RUNS_PLUTO: &str = "(This side runs Libreswan pluto.)";
/// The same, as the other end of the tunnel reads it.
pub(crate) const PEER_RUNS_PLUTO: &str = "(The peer runs Libreswan pluto.)";

/// One recognised pluto line.
#[derive(Debug, Clone)]
pub struct PlutoEntry {
    /// pluto's state number.
    pub state: Option<u64>,
    /// What the message means.
    pub event: PlutoEvent,
    /// The line.
    pub evidence: Evidence,
}

/// Everything pluto logged on one host.
#[derive(Debug, Clone, Default)]
pub struct PlutoLog {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file of the host's first pluto line.
    pub origin: Arc<str>,
    /// pluto lines seen.
    pub lines: u64,
    /// Recognised lines per connection, in log order (capped).
    pub connections: HashMap<String, Vec<PlutoEntry>>,
    /// Connection names in the order they first appeared.
    pub order: Vec<String>,
    /// pluto's process ids in the order they appeared, with the first line
    /// of each (capped): a new one is a restart.
    pub starts: Vec<(u32, Evidence)>,
}

/// Process ids kept per host.
const MAX_STARTS: usize = 16;

impl PlutoLog {
    pub(crate) fn new(host: Option<String>, origin: Arc<str>) -> PlutoLog {
        PlutoLog {
            host,
            origin,
            ..PlutoLog::default()
        }
    }

    pub(crate) fn record(&mut self, line: PlutoLine, evidence: Evidence, pid: Option<u32>) {
        self.lines += 1;
        if let Some(pid) = pid {
            if self.starts.last().is_none_or(|(last, _)| *last != pid)
                && !self.starts.iter().any(|(p, _)| *p == pid)
                && self.starts.len() < MAX_STARTS
            {
                self.starts.push((pid, evidence.clone()));
            }
        }
        if line.event == PlutoEvent::Unrecognized {
            return;
        }
        // Lines that name no connection (pasted bare messages, pluto's own
        // start-up and kernel lines) are kept together under "".
        let conn = line.connection.unwrap_or_default();
        if !self.connections.contains_key(&conn) {
            if self.connections.len() >= MAX_CONNECTIONS {
                return;
            }
            self.order.push(conn.clone());
        }
        let entries = self.connections.entry(conn).or_default();
        if entries.len() < MAX_ENTRIES {
            entries.push(PlutoEntry {
                state: line.state,
                event: line.event,
                evidence,
            });
        }
    }

    /// Connections that started a negotiation (or show its result).
    pub(crate) fn negotiations(&self) -> u64 {
        self.connections
            .values()
            .filter(|entries| {
                entries.iter().any(|e| {
                    matches!(
                        e.event,
                        PlutoEvent::Initiating { .. }
                            | PlutoEvent::Responding { .. }
                            | PlutoEvent::Retransmit { .. }
                            | PlutoEvent::IkeSaEstablished
                            | PlutoEvent::ChildSaEstablished
                            | PlutoEvent::OakleyRefused { .. }
                            | PlutoEvent::NoLocalProposal { .. }
                            | PlutoEvent::PeerNoProposal
                            | PlutoEvent::PeerChildNoProposal
                            | PlutoEvent::IdMismatch { .. }
                            | PlutoEvent::Phase1Answered
                    )
                })
            })
            .count() as u64
    }

    /// One verdict per connection, `(rule, connection, detection)`: of
    /// the rules' [`crate::Scope::Pluto`] matchers that find something, the one of
    /// the lowest rank; then what the rules' [`crate::Scope::PlutoLog`] matchers
    /// find in the log as a whole.
    pub(crate) fn judge(&self) -> Vec<(&'static Rule, Option<String>, Detection)> {
        let mut out = Vec::new();
        for name in &self.order {
            let Some(entries) = self.connections.get(name) else {
                continue;
            };
            let connection = PlutoConnection::new(name, entries);
            // Matchers of equal rank must exclude each other: checked on
            // every input of the debug builds (every test and fixture).
            #[cfg(debug_assertions)]
            debug_assert_exclusive_ranks(&connection);
            // The first that matches: they are in the order of their rank.
            let verdict = matchers()
                .pluto
                .iter()
                .find_map(|&(_, (rule, detect))| Some((rule, detect(&connection)?)));
            let Some((rule, mut detection)) = verdict else {
                continue;
            };
            if detection.peer_summary.is_none() {
                // As the other end reads it when both logs are paired.
                detection.peer_summary =
                    Some(detection.summary.replace(RUNS_PLUTO, PEER_RUNS_PLUTO));
            }
            let tunnel = (!name.is_empty()).then(|| name.clone());
            out.push((rule, tunnel, detection));
        }
        for &(rule, detect) in &matchers().pluto_log {
            out.extend(detect(self).map(|d| (rule, None, d)));
        }
        out
    }
}

/// Panics if two pluto matchers of the lowest rank that matches both match.
#[cfg(debug_assertions)]
fn debug_assert_exclusive_ranks(connection: &PlutoConnection<'_>) {
    let mut fired: Vec<(u16, &str)> = Vec::new();
    for &(rank, (rule, detect)) in &matchers().pluto {
        if detect(connection).is_some() {
            fired.push((rank, rule.id));
        }
    }
    if let Some(&(lowest, _)) = fired.iter().min() {
        let tied: Vec<&str> = fired
            .iter()
            .filter(|(rank, _)| *rank == lowest)
            .map(|(_, id)| *id)
            .collect();
        debug_assert!(
            tied.len() == 1,
            "pluto matchers of rank {lowest} both match: {tied:?}"
        );
    }
}

/// The fix for a Libreswan host, by rule: the ipsec.conf options and
/// commands Libreswan has where the catalogue's steps name strongSwan's
/// and the GUIs' (which are left out for a host that runs pluto).
pub(crate) fn libreswan_fix(rule: &Rule) -> &'static str {
    let is = |group: &[&Rule]| group.contains(&rule);
    if is(&[
        rules::P1_ENCRYPTION_MISMATCH,
        rules::P1_HASH_MISMATCH,
        rules::P1_DH_GROUP_MISMATCH,
        rules::P1_PROPOSAL_MISMATCH,
        rules::IKE_VERSION_MISMATCH,
    ]) {
        "Libreswan: make ike= of the conn (/etc/ipsec.conf, /etc/ipsec.d/*.conf) list a proposal \
         the peer offers, e.g. ike=aes256-sha2_256;modp2048 (ikev2=yes|no / keyexchange= for \
         the version), then `ipsec auto --replace NAME`; `ipsec whack --status` shows what is \
         loaded and `ipsec algparse` what this Libreswan supports."
    } else if is(&[
        rules::P2_ENCRYPTION_MISMATCH,
        rules::P2_HASH_MISMATCH,
        rules::P2_PFS_MISMATCH,
        rules::P2_PROPOSAL_MISMATCH,
        rules::P2_NO_RESPONSE,
    ]) {
        "Libreswan: make esp= (phase2alg=) and pfs=yes|no of the conn match the peer's Phase 2 \
         (a DH group in esp= means PFS: esp=aes256-sha2_256;modp2048), then `ipsec auto \
         --replace NAME`."
    } else if is(&[rules::P2_TS_MISMATCH]) {
        "Libreswan: make leftsubnet=/rightsubnet= (or rightsubnets={a b}) the mirror of the \
         peer's local and remote networks, then `ipsec auto --replace NAME`."
    } else if is(&[
        rules::PSK_MISMATCH,
        rules::P1_AUTH_FAILED,
        rules::AGGRESSIVE_MAIN_MISMATCH,
    ]) {
        "Libreswan: the pre-shared key is in /etc/ipsec.secrets (or /etc/ipsec.d/*.secrets) as \
         `LEFTID RIGHTID : PSK \"secret\"` (or `%any`); reload with `ipsec auto \
         --rereadsecrets`; authby=secret|rsasig and aggressive=yes|no must match the peer."
    } else if is(&[rules::P1_ID_MISMATCH, rules::NAT_ID_MISMATCH]) {
        "Libreswan: leftid=/rightid= must be what each end sends (an address, or @name for a \
         name); behind NAT a peer sends its private address unless its leftid= says otherwise."
    } else if is(&[
        rules::CERT_UNTRUSTED,
        rules::CERT_EXPIRED,
        rules::CERT_ID_MISMATCH,
        rules::CERT_KEY_MISSING,
    ]) {
        "Libreswan: certificates live in the NSS database (certutil -L -d \
         sql:/var/lib/ipsec/nss; import with ipsec import FILE.p12); leftcert= names the \
         nickname and rightid= must be in the peer certificate's subjectAltName."
    } else if is(&[
        rules::PEER_UNREACHABLE,
        rules::NAT_T_BLOCKED,
        rules::DPD_TIMEOUT,
        rules::FRAGMENTATION_MTU,
    ]) {
        "Libreswan: check right= and that UDP 500 and 4500 (and ESP) pass both ways; \
         `ipsec whack --trafficstatus` shows live SAs; dpddelay=/dpdtimeout=/dpdaction= set \
         dead peer detection, fragmentation=yes IKE fragmentation."
    } else if is(&[rules::KERNEL_SA_INSTALL_FAILURE]) {
        "Libreswan: `ipsec verify` checks the kernel's XFRM support; load xfrm_user, esp4 and \
         esp6 (modprobe) and check dmesg."
    } else if is(&[rules::XAUTH_FAILURE]) {
        "Libreswan: XAuth users are in /etc/ipsec.d/passwd (user:crypt:conn) or PAM \
         (xauthby=pam)."
    } else if is(&[rules::TUNNEL_ESTABLISHED]) {
        "Libreswan: nothing to change in IKE; `ipsec trafficstatus` shows the SAs and their \
         traffic."
    } else {
        "Libreswan: change the conn in /etc/ipsec.conf (or /etc/ipsec.d/*.conf), then `ipsec \
         auto --replace NAME`; `ipsec whack --status` shows what is loaded, plutodebug=all in \
         config setup logs more."
    }
}

/// Whether a catalogue fix step is for strongSwan or the pfSense/OPNsense
/// GUI only, and so left out for a host that runs pluto.
pub(crate) fn is_strongswan_step(step: &str) -> bool {
    step.starts_with("strongSwan")
        || step.starts_with("pfSense")
        || step.starts_with("OPNsense")
        || step.contains("swanctl")
        || step.contains("VPN > IPsec")
}

/// Whether an entry is about the Child SA (Phase 2) rather than the IKE SA.
struct Phases {
    ike_states: HashSet<u64>,
    up_states: HashSet<u64>,
}

impl Phases {
    fn is_phase2(&self, e: &PlutoEntry, up_before: bool) -> bool {
        match e.state {
            Some(s) => self.up_states.contains(&s) || (up_before && !self.ike_states.contains(&s)),
            None => up_before,
        }
    }
}

/// Whether pluto's list of the peer's proposals is of a Child SA
/// (`1:ESP:ENCR=AES_CBC_128;...`, `1:AH:...`).
fn is_child_proposal(remote: &str) -> bool {
    remote.contains(":ESP:") || remote.contains(":AH:") || remote.contains(":ESP=")
}

/// One pluto connection of one host, as the rules' pluto matchers read it:
/// its lines in log order, and what was up when each was logged.
pub struct PlutoConnection<'a> {
    /// The connection's name as pluto logs it (`""`: lines naming none).
    pub name: &'a str,
    /// The connection as summaries name it: `"gw"`, or a phrase where the
    /// excerpt names none.
    pub conn: String,
    /// Its recognised lines, in log order.
    pub entries: &'a [PlutoEntry],
    /// The first IKE SA (ISAKMP SA) established.
    pub established: Option<&'a PlutoEntry>,
    phases: Phases,
    /// Per entry: was an IKE SA of this connection up when it was logged?
    up_before: Vec<bool>,
}

impl<'a> PlutoConnection<'a> {
    pub(crate) fn new(name: &'a str, entries: &'a [PlutoEntry]) -> PlutoConnection<'a> {
        let mut phases = Phases {
            ike_states: HashSet::new(),
            up_states: HashSet::new(),
        };
        let mut up_before = Vec::with_capacity(entries.len());
        let mut up = false;
        for e in entries {
            up_before.push(up);
            match (&e.event, e.state) {
                (
                    PlutoEvent::Initiating { child: false }
                    | PlutoEvent::Responding { child: false },
                    Some(s),
                ) => {
                    phases.ike_states.insert(s);
                }
                (PlutoEvent::IkeSaEstablished, Some(s)) => {
                    phases.ike_states.insert(s);
                    phases.up_states.insert(s);
                    up = true;
                }
                (PlutoEvent::IkeSaEstablished, None) => up = true,
                _ => {}
            }
        }
        let conn = if name.is_empty() {
            "a connection this excerpt does not name".to_owned()
        } else {
            format!("\"{name}\"")
        };
        let established = entries
            .iter()
            .find(|e| matches!(e.event, PlutoEvent::IkeSaEstablished));
        PlutoConnection {
            name,
            conn,
            entries,
            established,
            phases,
            up_before,
        }
    }

    /// The first line whose event `pred` accepts.
    pub fn find(&self, pred: impl Fn(&PlutoEvent) -> bool) -> Option<&'a PlutoEntry> {
        self.entries.iter().find(|e| pred(&e.event))
    }

    /// The last line whose event `pred` accepts.
    pub fn last(&self, pred: impl Fn(&PlutoEvent) -> bool) -> Option<&'a PlutoEntry> {
        self.entries.iter().rev().find(|e| pred(&e.event))
    }

    /// Every line whose event `pred` accepts.
    pub fn all(&self, pred: impl Fn(&PlutoEvent) -> bool) -> Vec<&'a PlutoEntry> {
        self.entries.iter().filter(|e| pred(&e.event)).collect()
    }

    /// Whether some line's event `pred` accepts.
    pub fn any(&self, pred: impl Fn(&PlutoEvent) -> bool) -> bool {
        self.entries.iter().any(|e| pred(&e.event))
    }

    /// The first line `pred` accepts about Phase 2 (`phase2`) or Phase 1.
    pub fn find_phase(
        &self,
        pred: impl Fn(&PlutoEvent) -> bool,
        phase2: bool,
    ) -> Option<&'a PlutoEntry> {
        self.entries
            .iter()
            .zip(&self.up_before)
            .find(|(e, up)| pred(&e.event) && self.phases.is_phase2(e, **up) == phase2)
            .map(|(e, _)| e)
    }

    /// Whether a line after `entry` (or `entry` itself) shows an SA up.
    pub fn came_up_after(&self, entry: &PlutoEntry) -> bool {
        self.entries
            .iter()
            .skip_while(|e| !std::ptr::eq(*e, entry))
            .any(|e| {
                matches!(
                    e.event,
                    PlutoEvent::IkeSaEstablished | PlutoEvent::ChildSaEstablished
                )
            })
    }

    /// The peer's certificate refused by NSS, or not naming the peer's
    /// identity: the first such line.
    pub fn certificate_failure(&self) -> Option<&'a PlutoEntry> {
        self.find(|e| {
            matches!(
                e,
                PlutoEvent::CertInvalid { .. } | PlutoEvent::CertIdMismatch { .. }
            )
        })
    }

    /// The line where pluto refused the peer's IKE proposals, or the peer
    /// refused pluto's (Phase 1). The peer's proposals name their protocol:
    /// `1:ESP:ENCR=...` is a Child SA's whatever the state (Libreswan 4.3
    /// logs no IKE SA up before it).
    pub fn phase1_refusal(&self) -> Option<&'a PlutoEntry> {
        self.find_phase(|e| no_proposal(e) && !child_proposals(e), false)
    }

    /// The line where Phase 2 failed for want of a common proposal: a
    /// refusal of either side, or Quick Mode given up.
    pub fn phase2_refusal(&self) -> Option<&'a PlutoEntry> {
        self.find_phase(no_proposal, true)
            .or_else(|| self.find(child_proposals))
            .or_else(|| self.find(|e| matches!(e, PlutoEvent::NoLocalChildProposal)))
            .or_else(|| self.find(|e| matches!(e, PlutoEvent::PeerChildNoProposal)))
            .or_else(|| self.quick_mode_gave_up())
    }

    /// Quick Mode retransmitted until pluto gave up.
    pub fn quick_mode_gave_up(&self) -> Option<&'a PlutoEntry> {
        self.find(
            |e| matches!(e, PlutoEvent::GaveUp { state, .. } if state.starts_with("STATE_QUICK")),
        )
    }

    /// pluto as responder matched none of the peer's proposals (`remote`):
    /// the rule of the attribute none of its own proposals of that phase
    /// has, with `context` and two of its proposals as evidence.
    pub fn attribute_mismatch(
        &self,
        remote: &str,
        phase2: bool,
        context: &[Option<&'a PlutoEntry>],
    ) -> Option<(&'static Rule, Detection)> {
        let local = local_proposals(self.entries, phase2);
        let (rule, what) = differing_transform(remote, &local, phase2)?;
        let (phase, kinds) = if phase2 {
            ("Phase 2", "ESP/AH")
        } else {
            ("Phase 1", "IKE")
        };
        let mut shown = context.to_vec();
        shown.extend(local.iter().take(2).map(|e| Some(*e)));
        Some((
            rule,
            Detection::new(
                format!(
                    "{phase} proposals of {} do not match: the peer proposes {what}, which no {kinds} \
                     proposal configured here has. {RUNS_PLUTO}",
                    self.conn
                ),
                evidence(&shown),
            )
            .for_peer(proposal_for_peer(kinds, &what, &local)),
        ))
    }

    /// pluto as responder matched none of the peer's proposals of Phase 2
    /// (`phase2`) or Phase 1, and the attribute none of its own has is the
    /// one `rule` is about.
    pub fn refused_for_attribute(&self, rule: &Rule, phase2: bool) -> Option<Detection> {
        let p = if phase2 {
            self.phase2_refusal()?
        } else {
            self.phase1_refusal()?
        };
        let PlutoEvent::NoLocalProposal { remote } = &p.event else {
            return None;
        };
        let context = if phase2 {
            [self.established, Some(p)]
        } else {
            [Some(p), None]
        };
        self.attribute_mismatch(remote, phase2, &context)
            .filter(|(r, _)| *r == rule)
            .map(|(_, d)| d)
    }
}

/// A refusal for want of a common proposal, by either side.
fn no_proposal(e: &PlutoEvent) -> bool {
    matches!(
        e,
        PlutoEvent::PeerNoProposal | PlutoEvent::NoLocalProposal { .. }
    )
}

/// This side refused the peer's proposals, and they are a Child SA's.
fn child_proposals(e: &PlutoEvent) -> bool {
    matches!(e, PlutoEvent::NoLocalProposal { remote } if is_child_proposal(remote))
}

/// The lines, each once, in log order.
pub(crate) fn evidence(list: &[Option<&PlutoEntry>]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = list.iter().flatten().map(|e| e.evidence.clone()).collect();
    out.sort_by_key(|e| e.line);
    out.dedup_by_key(|e| e.line);
    out
}

/// This connection's own proposals as pluto listed them: IKE, or (Phase 2)
/// ESP/AH.
pub(crate) fn local_proposals(entries: &[PlutoEntry], phase2: bool) -> Vec<&PlutoEntry> {
    entries
        .iter()
        .filter(|e| {
            matches!(&e.event, PlutoEvent::LocalProposal { kind, .. } if (kind == "IKE") != phase2)
        })
        .collect()
}

/// A proposal mismatch found by pluto as responder, as the initiator reads it.
fn proposal_for_peer(kind: &str, what: &str, local: &[&PlutoEntry]) -> String {
    let theirs: Vec<&str> = local
        .iter()
        .filter_map(|e| match &e.event {
            PlutoEvent::LocalProposal { transforms, .. } => Some(transforms.as_str()),
            _ => None,
        })
        .collect();
    format!(
        "This side proposes {what}, which none of the peer's {kind} proposals has (the peer's: {}). \
         {PEER_RUNS_PLUTO}",
        if theirs.is_empty() {
            "not logged".to_owned()
        } else {
            theirs.join(", ")
        }
    )
}

/// The first attribute of the peer's proposals (`ENCR=AES_CBC_128`) that no
/// local proposal has, with the finding it means in that phase.
fn differing_transform(
    remote: &str,
    local: &[&PlutoEntry],
    phase2: bool,
) -> Option<(&'static Rule, String)> {
    let tokens: HashSet<&str> = local
        .iter()
        .filter_map(|e| match &e.event {
            PlutoEvent::LocalProposal { transforms, .. } => Some(transforms.as_str()),
            _ => None,
        })
        .flat_map(|t| t.split('-'))
        .collect();
    if tokens.is_empty() {
        return None;
    }
    let values = |key: &str| -> Vec<&str> {
        remote
            .split([';', ' ', ':'])
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| *k == key)
            .flat_map(|(_, v)| v.split(['[', ',']).next())
            .collect()
    };
    let keys: &[(&str, &'static Rule)] = if phase2 {
        &[
            ("ENCR", rules::P2_ENCRYPTION_MISMATCH),
            ("INTEG", rules::P2_HASH_MISMATCH),
            ("DH", rules::P2_PFS_MISMATCH),
        ]
    } else {
        &[
            ("ENCR", rules::P1_ENCRYPTION_MISMATCH),
            ("DH", rules::P1_DH_GROUP_MISMATCH),
            ("INTEG", rules::P1_HASH_MISMATCH),
            ("PRF", rules::P1_HASH_MISMATCH),
        ]
    };
    for &(key, id) in keys {
        let vals = values(key);
        if !vals.is_empty() && !vals.iter().any(|v| tokens.contains(v)) {
            return Some((id, format!("{key}={}", vals.join(","))));
        }
    }
    None
}
