//! Libreswan pluto's lines on one host. pluto names the connection and the
//! state (`"gw-gw" #3:`) on every line about a negotiation, but a connection
//! is retried under new state numbers (pluto "revives" it), so its lines are
//! kept per host and connection and judged once the input has ended. The
//! failures map to the same finding ids as charon's; each summary says that
//! this side runs pluto.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use ipsec_doctor_events::{PlutoEvent, PlutoLine};

use crate::catalog::rules;
use crate::report::Evidence;
use crate::rule::{Detection, Rule};

/// Entries kept per connection.
const MAX_ENTRIES: usize = 512;
/// Connections kept per host.
const MAX_CONNECTIONS: usize = 1024;

/// The phrase every pluto summary ends with.
pub(crate) const RUNS_PLUTO: &str = "(This side runs Libreswan pluto.)";
/// The same, as the other end of the tunnel reads it.
const PEER_RUNS_PLUTO: &str = "(The peer runs Libreswan pluto.)";

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
/// Restarts within this many seconds make a crash loop.
const CRASH_LOOP_SECONDS: i64 = 15 * 60;

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

    /// pluto started again and again within minutes: three process ids or
    /// more in a quarter of an hour (with no timestamps, in the same log).
    fn crash_loop(&self) -> Option<Detection> {
        if self.starts.len() < 3 {
            return None;
        }
        let first = self.starts.first()?;
        let last = self.starts.last()?;
        let span = match (first.1.timestamp(), last.1.timestamp()) {
            (Some(a), Some(b)) => Some(b.sort_key() - a.sort_key()),
            _ => None,
        };
        if span.is_some_and(|s| !(0..=CRASH_LOOP_SECONDS).contains(&s)) {
            return None;
        }
        let pids: Vec<String> = self.starts.iter().map(|(p, _)| p.to_string()).collect();
        let within = span.map_or_else(String::new, |s| format!(" within {} minute(s)", s / 60 + 1));
        Some(
            Detection::new(
                format!(
                    "pluto started {} times{within} (process ids {}): unless someone restarted it by \
                     hand, it crashes and its supervisor starts it again. The last lines before each \
                     new process id are what it crashed on. {RUNS_PLUTO}",
                    self.starts.len(),
                    pids.join(", ")
                ),
                self.starts.iter().take(4).map(|(_, e)| e.clone()).collect(),
            )
            .with_fix(
                "Libreswan: `journalctl -u ipsec` (or /var/log/messages) shows 'Segmentation fault', \
                 'ABORT' or a core dump next to each restart; upgrade Libreswan, and report the crash \
                 with that line and the log before it."
                    .to_owned(),
            ),
        )
    }

    /// One verdict per connection: `(finding id, connection, detection)`,
    /// and a crash loop of pluto as a whole.
    pub(crate) fn judge(&self) -> Vec<(&'static Rule, Option<String>, Detection)> {
        let crash_loop = self.crash_loop().map(|d| (rules::DAEMON_CRASH, None, d));
        self.order
            .iter()
            .filter_map(|name| {
                let entries = self.connections.get(name)?;
                let (id, mut detection) = judge_connection(name, entries)?;
                if detection.peer_summary.is_none() {
                    // As the other end reads it when both logs are paired.
                    detection.peer_summary =
                        Some(detection.summary.replace(RUNS_PLUTO, PEER_RUNS_PLUTO));
                }
                let tunnel = (!name.is_empty()).then(|| name.clone());
                Some((id, tunnel, detection))
            })
            .chain(crash_loop)
            .collect()
    }
}

/// The fix for a Libreswan host, by finding id: the ipsec.conf options and
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

/// The peer's certificate refused by NSS or not naming the peer's identity.
fn certificate_failure(conn: &str, entries: &[PlutoEntry]) -> Option<(&'static Rule, Detection)> {
    let (entry, id, summary, for_peer) = entries.iter().find_map(|e| match &e.event {
        PlutoEvent::CertInvalid {
            subject,
            code,
            reason,
        } => {
            let expired = code.contains("EXPIRED") || code.contains("INVALID_TIME");
            let (id, what) = if expired {
                (
                    rules::CERT_EXPIRED,
                    "is outside its validity period (NSS does not log the dates: `openssl x509 -noout \
                     -dates` on the peer's certificate shows them)",
                )
            } else {
                (
                    rules::CERT_UNTRUSTED,
                    "does not lead to a CA in pluto's NSS database: import the issuing CA there \
                     (certutil -A -d sql:/var/lib/ipsec/nss -n NAME -t 'CT,,' -a -i ca.pem)",
                )
            };
            Some((
                e,
                id,
                format!(
                    "pluto refused the peer's certificate \"{subject}\" for {conn}: {reason} ({code}); the \
                     certificate {what}. {RUNS_PLUTO}"
                ),
                format!(
                    "The peer refused this side's certificate \"{subject}\": {reason} ({code}). \
                     {PEER_RUNS_PLUTO}"
                ),
            ))
        }
        PlutoEvent::CertIdMismatch { id } => Some((
            e,
            rules::CERT_ID_MISMATCH,
            format!(
                "The peer authenticates as '{id}' for {conn}, but its certificate has no subjectAltName \
                 '{id}': issue a certificate naming that identity, or set rightid= to a name the \
                 certificate has. {RUNS_PLUTO}"
            ),
            format!(
                "The peer expects this side as '{id}', but this side's certificate has no subjectAltName \
                 '{id}'. {PEER_RUNS_PLUTO}"
            ),
        )),
        _ => None,
    })?;
    Some((
        id,
        Detection::new(summary, vec![entry.evidence.clone()]).for_peer(for_peer),
    ))
}

fn judge_connection(name: &str, entries: &[PlutoEntry]) -> Option<(&'static Rule, Detection)> {
    let mut phases = Phases {
        ike_states: HashSet::new(),
        up_states: HashSet::new(),
    };
    // Per entry: was an IKE SA of this connection up when it was logged?
    let mut up_before = Vec::with_capacity(entries.len());
    let mut up = false;
    for e in entries {
        up_before.push(up);
        match (&e.event, e.state) {
            (
                PlutoEvent::Initiating { child: false } | PlutoEvent::Responding { child: false },
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
    let find = |pred: &dyn Fn(&PlutoEvent) -> bool| entries.iter().find(|e| pred(&e.event));
    let find_phase = |pred: &dyn Fn(&PlutoEvent) -> bool, phase2: bool| {
        entries
            .iter()
            .zip(&up_before)
            .find(|(e, up)| pred(&e.event) && phases.is_phase2(e, **up) == phase2)
            .map(|(e, _)| e)
    };
    let established = find(&|e| matches!(e, PlutoEvent::IkeSaEstablished));
    let conn = if name.is_empty() {
        "a connection this excerpt does not name".to_owned()
    } else {
        format!("\"{name}\"")
    };

    if let Some(a) = find(&|e| matches!(e, PlutoEvent::DaemonCrashed { .. })).filter(|_| {
        !entries
            .iter()
            .any(|e| matches!(e.event, PlutoEvent::KernelInterfaceFailed { .. }))
    }) {
        return Some((
            rules::DAEMON_CRASH,
            Detection::new(
                format!(
                    "pluto aborted on a failed assertion while handling {conn}: a fault of pluto \
                     itself (or of a library it was built against), not of the configuration. \
                     {RUNS_PLUTO}"
                ),
                evidence(&[Some(a)]),
            ),
        ));
    }
    // pluto refused the connection (or its secrets) when it was added.
    // ... unless the connection was loaded again and came up after it.
    let came_up_after = |entry: &PlutoEntry| {
        entries
            .iter()
            .skip_while(|e| !std::ptr::eq(*e, entry))
            .any(|e| {
                matches!(
                    e.event,
                    PlutoEvent::IkeSaEstablished | PlutoEvent::ChildSaEstablished
                )
            })
    };
    if let Some(c) =
        find(&|e| matches!(e, PlutoEvent::ConfigLoadFailed { .. })).filter(|c| !came_up_after(c))
    {
        let (what, affects) = match &c.event {
            PlutoEvent::ConfigLoadFailed { what, affects } => (what.as_str(), *affects),
            _ => ("", ipsec_doctor_events::ConfigPart::Connection),
        };
        return Some((
            rules::CONFIG_LOAD_ERROR,
            Detection::new(
                format!(
                    "pluto refused {conn} when it was loaded (\"{what}\"): {} is not in effect, so \
                     the connection is not there to negotiate. {RUNS_PLUTO}",
                    crate::catalog::config_load_error::consequence(affects)
                ),
                evidence(&[Some(c)]),
            )
            .with_fix(
                "Libreswan: correct the value in ipsec.conf (ike=, esp=/phase2alg=, leftcert=) and \
                 run `ipsec auto --add NAME` (or restart ipsec); `ipsec auto --status` must then list \
                 the connection. `ipsec algparse` shows what this Libreswan supports."
                    .to_owned(),
            ),
        ));
    }
    // pluto has no kernel interface at all: nothing can be installed.
    if let Some(k) = find(&|e| matches!(e, PlutoEvent::KernelInterfaceFailed { .. })) {
        let reason = match &k.event {
            PlutoEvent::KernelInterfaceFailed { reason } => reason.as_str(),
            _ => "",
        };
        let last = entries
            .iter()
            .rev()
            .find(|e| matches!(e.event, PlutoEvent::KernelInterfaceFailed { .. }));
        return Some((
            rules::KERNEL_SA_INSTALL_FAILURE,
            Detection::new(
                format!(
                    "pluto could not open the kernel's IPsec interface and stopped (\"{reason}\"): no \
                     SA can be installed on this host. The kernel lacks XFRM support, or pluto runs \
                     without the privilege to use it (a container or VPS without NET_ADMIN, an \
                     OpenVZ/LXC guest). {RUNS_PLUTO}"
                ),
                evidence(&[Some(k), last]),
            )
            .with_fix(
                "Libreswan: check `ipsec verify` and `lsmod | grep xfrm`; load xfrm_user, esp4 and \
                 af_key (modprobe), or run in a VM/container that may manage XFRM (CAP_NET_ADMIN)."
                    .to_owned(),
            ),
        ));
    }

    // The kernel refused the SA after a successful negotiation: never a
    // configuration fault of either side.
    if let Some(k) = find(&|e| matches!(e, PlutoEvent::KernelSaFailed { .. })) {
        let reason = entries.iter().find_map(|e| match &e.event {
            PlutoEvent::KernelSaFailed { reason } if !reason.is_empty() => Some(reason.clone()),
            _ => None,
        });
        let summary = format!(
            "pluto negotiated {conn}{} but the kernel refused to install its IPsec SA{}: the peers \
             agree, this host's kernel IPsec (XFRM/ESP support, modules) is at fault. {RUNS_PLUTO}",
            if established.is_some() {
                " (IKE SA established)"
            } else {
                ""
            },
            reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default(),
        );
        let for_peer = format!(
            "The peer's pluto negotiated {conn} but its kernel refused to install the IPsec SA{}, so \
             it refused this side's request (Libreswan answers TS_UNACCEPTABLE or nothing): the \
             configurations agree; the peer's kernel IPsec (XFRM/ESP support, modules) is at fault. \
             {PEER_RUNS_PLUTO}",
            reason.map(|r| format!(" ({r})")).unwrap_or_default(),
        );
        return Some((
            rules::KERNEL_SA_INSTALL_FAILURE,
            Detection::new(summary, evidence(&[established, Some(k)]))
                .for_peer(for_peer)
                .explains_peer_refusal(),
        ));
    }
    if let Some(x) = find(&|e| matches!(e, PlutoEvent::XauthFailed { .. })) {
        let user = match &x.event {
            PlutoEvent::XauthFailed { user } if !user.is_empty() => format!(" '{user}'"),
            _ => String::new(),
        };
        return Some((
            rules::XAUTH_FAILURE,
            Detection::new(
                format!(
                    "Phase 1 of {conn} is up, but XAuth refused the user{user}: the user name or \
                     password does not match pluto's XAuth password file or PAM. {RUNS_PLUTO}"
                ),
                evidence(&[established, Some(x)]),
            )
            .with_fix(
                "Libreswan: check the user's line in /etc/ipsec.d/passwd (user:crypt-hash:conn) or \
                 the PAM setup (xauthby=), and the client's user name and password."
                    .to_owned(),
            ),
        ));
    }
    if let Some(found) = certificate_failure(&conn, entries) {
        return Some(found);
    }
    if let Some(m) = find(&|e| matches!(e, PlutoEvent::IdMismatch { .. })) {
        let (expected, got) = match &m.event {
            PlutoEvent::IdMismatch { expected, got } => (expected.as_str(), got.as_str()),
            _ => ("", ""),
        };
        let required = if expected.is_empty() {
            "the identity this connection requires (rightid=)".to_owned()
        } else {
            format!("'{expected}' (rightid=)")
        };
        return Some((
            rules::P1_ID_MISMATCH,
            Detection::new(
                format!(
                    "The peer of {conn} identifies itself as '{got}', but this side requires \
                     {required}. An '@' makes an identity a name (ID_FQDN), so '@192.0.2.1' never \
                     matches the address 192.0.2.1 (ID_IPV4_ADDR). {RUNS_PLUTO}"
                ),
                evidence(&[Some(m)]),
            )
            .with_fix(format!(
                "Libreswan: set rightid= to exactly what the peer sends ('{got}'; an address without \
                 '@'), or make the peer send the identity this side expects (its leftid=)."
            ))
            .for_peer(format!(
                "The peer requires another identity than the '{got}' this side sends: compare this \
                 side's local identifier with the peer's rightid=. {PEER_RUNS_PLUTO}"
            )),
        ));
    }
    if let Some(sig) = find(&|e| matches!(e, PlutoEvent::SignatureFailed { .. })) {
        return Some((
            rules::P1_AUTH_FAILED,
            Detection::new(
                format!(
                    "The peer's signature for {conn} does not verify with the certificate or key \
                     pluto has for it (another key, a certificate of another CA, or a signature \
                     hash this side does not accept). {RUNS_PLUTO}"
                ),
                evidence(&[Some(sig)]),
            )
            .with_fix(
                "Libreswan: check rightcert=/rightrsasigkey= and the CA in the NSS database \
                 (certutil -L -d sql:/var/lib/ipsec/nss), and authby= (rsa-sha2, ecdsa) against \
                 what the peer signs with."
                    .to_owned(),
            ),
        ));
    }
    if let Some(sig) = find(&|e| matches!(e, PlutoEvent::SignatureAlgorithmDisabled { .. })) {
        return Some((
            rules::P1_AUTH_FAILED,
            Detection::new(
                format!(
                    "pluto could not create or verify an authentication signature for {conn}: the \
                     system's crypto policy disables the algorithm (SHA-1 signatures, as RHEL 9 and \
                     its rebuilds do), so IKE_AUTH fails for peers that need it (Windows' built-in \
                     IKEv2 client with RSA certificates). {RUNS_PLUTO}"
                ),
                evidence(&[Some(sig)]),
            )
            .with_fix(
                "Allow SHA-1 signatures for IKE only where the peer cannot do better: `update-crypto-\
                 policies --set DEFAULT:SHA1` (RHEL 9 family), or better configure the peer for \
                 SHA-2 signatures (Windows: Set-VpnConnectionIPsecConfiguration, or certificates \
                 signed with SHA-256) and use authby=rsa-sha2 on this side."
                    .to_owned(),
            ),
        ));
    }
    if let Some(h) = find(&|e| matches!(e, PlutoEvent::HashMismatch)) {
        return Some((
            rules::PSK_MISMATCH,
            Detection::new(
                format!(
                    "pluto computed a different AUTH/HASH than the peer sent for {conn}: the pre-shared \
                     keys differ. {RUNS_PLUTO}"
                ),
                evidence(&[Some(h)]),
            )
            .for_peer(
                "The peer computed a different AUTH/HASH: the pre-shared keys differ. (The peer runs \
                 Libreswan pluto.)",
            )
            .with_fix(
                "If the keys are the same on both ends: Openswan 2.6 computes IKEv1 HASHes with \
                 SHA2-512 wrongly; with ike=...-sha2_512 try sha2_256, or move to Libreswan."
                    .to_owned(),
            ),
        ));
    }
    if let Some(u) = find(&|e| matches!(e, PlutoEvent::UndecryptableReply)) {
        let last = entries
            .iter()
            .rev()
            .find(|e| matches!(e.event, PlutoEvent::UndecryptableReply));
        return Some((
            rules::PSK_MISMATCH,
            Detection::new(
                format!(
                    "pluto could not decrypt the peer's Main Mode answer for {conn} (IKEv1): the keys \
                     derived from the pre-shared key differ. {RUNS_PLUTO}"
                ),
                evidence(&[Some(u), last]),
            ),
        ));
    }
    if let Some(n) = find(&|e| matches!(e, PlutoEvent::NoPsk { .. })) {
        let id = match &n.event {
            PlutoEvent::NoPsk { id } => id.clone(),
            _ => String::new(),
        };
        return Some((
            rules::P1_AUTH_FAILED,
            Detection::new(
                format!(
                    "pluto has no pre-shared key for the identity '{id}' of {conn}: the secrets file \
                     has no line for the IDs this connection uses. {RUNS_PLUTO}"
                ),
                evidence(&[Some(n)]),
            ),
        ));
    }
    if let Some(r) = find(&|e| matches!(e, PlutoEvent::AuthRefused)) {
        return Some((
            rules::P1_AUTH_FAILED,
            Detection::new(
                format!(
                    "pluto refused the peer's authentication for {conn} (it answered IKE_AUTH with \
                     AUTHENTICATION_FAILED) and did not log why: Libreswan 5 does not name the check \
                     that failed (the peer's identity against its certificate's subjectAltName, the \
                     signature, the CA, the pre-shared key). {RUNS_PLUTO}"
                ),
                evidence(&[Some(r)]),
            )
            .with_fix(
                "Libreswan: compare rightid= with what the peer sends and, for certificates, with \
                 the peer certificate's subjectAltName (certutil -L -d sql:/var/lib/ipsec/nss -n \
                 NAME); check rightca= and the CA in the NSS database; `ipsec whack --debug base` \
                 (or plutodebug=base) logs the failed check on the next attempt."
                    .to_owned(),
            )
            .for_peer(
                "The peer refused this side's authentication (AUTHENTICATION_FAILED) without logging \
                 why: compare this side's identity and certificate (its subjectAltName) with what the \
                 peer requires (its rightid=, rightca=). (The peer runs Libreswan pluto.)",
            ),
        ));
    }
    if let Some(a) = find(&|e| matches!(e, PlutoEvent::PeerAuthFailed)) {
        // As the seed reads charon's Aggressive initiator: the peer is most
        // likely in Main Mode (a PSK or ID mismatch looks the same here).
        if let Some(aggr) = find(&|e| matches!(e, PlutoEvent::AggressivePsk)) {
            return Some((
                rules::AGGRESSIVE_MAIN_MISMATCH,
                Detection::new(
                    format!(
                        "pluto initiated {conn} in Aggressive Mode with a pre-shared key and the peer \
                         answered AUTHENTICATION_FAILED before Phase 1 completed: the peer is most likely \
                         set to Main Mode or refuses Aggressive Mode PSK. (A pre-shared key or identifier \
                         mismatch in Aggressive Mode looks the same from here; the peer's log decides.) \
                         {RUNS_PLUTO}"
                    ),
                    evidence(&[Some(aggr), Some(a)]),
                ),
            ));
        }
        return Some((
            rules::P1_AUTH_FAILED,
            Detection::new(
                format!(
                    "The peer rejected pluto's authentication for {conn} (AUTHENTICATION_FAILED); only \
                     the peer's log says why (PSK, identity, certificate). {RUNS_PLUTO}"
                ),
                evidence(&[Some(a)]),
            ),
        ));
    }
    if established.is_none() {
        let refused: Vec<&PlutoEntry> = entries
            .iter()
            .filter(|e| matches!(e.event, PlutoEvent::OakleyRefused { .. }))
            .collect();
        // Refused transforms followed by pluto's answer: a later transform
        // was accepted, and the refusals are the usual noise of a peer that
        // offers several.
        let answered_after = refused.first().is_some_and(|first| {
            entries
                .iter()
                .skip_while(|e| !std::ptr::eq(*e, *first))
                .any(|e| matches!(e.event, PlutoEvent::Phase1Answered))
        });
        if let Some(first) = refused.first().filter(|_| !answered_after) {
            let offered: Vec<&str> = refused
                .iter()
                .filter_map(|e| match &e.event {
                    PlutoEvent::OakleyRefused { transform } => Some(transform.as_str()),
                    _ => None,
                })
                .collect();
            let mut unique = offered.clone();
            unique.dedup();
            // `[AES_CBC (256), HMAC_SHA2_384, MODP1024]`: the DH group last.
            let groups: HashSet<&str> = offered
                .iter()
                .filter_map(|t| t.rsplit(", ").next())
                .map(|g| g.trim_start_matches("OAKLEY_GROUP_"))
                .collect();
            let common_group = match groups.iter().next() {
                Some(group) if groups.len() == 1 && offered.len() > 1 => format!(
                    " Every transform offered uses the DH group {group}: if this side's ike= names \
                     other groups only (Libreswan 4 and later no longer allow MODP1024 by \
                     default), the DH group is the difference."
                ),
                _ => String::new(),
            };
            return Some((
                rules::P1_PROPOSAL_MISMATCH,
                Detection::new(
                    format!(
                        "pluto, as IKEv1 responder for {conn}, refused every Phase 1 transform the peer \
                         offered ({}) and no IKE SA came up: none of them is in this side's ike= list.\
                         {common_group} {RUNS_PLUTO}",
                        unique.join("; ")
                    ),
                    evidence(&[
                        Some(first),
                        refused.last().copied(),
                        find(&|e| matches!(e, PlutoEvent::NoLocalProposal { .. })),
                    ]),
                )
                .with_fix(format!(
                    "Libreswan: add one of the peer's transforms to ike= of the connection (ipsec.conf), \
                     or change the peer to offer what ike= lists; the peer offered: {}.",
                    unique.join("; ")
                )),
            ));
        }
    }
    let no_prop = |e: &PlutoEvent| {
        matches!(
            e,
            PlutoEvent::PeerNoProposal | PlutoEvent::NoLocalProposal { .. }
        )
    };
    // The peer's proposals name their protocol: `1:ESP:ENCR=...` is a Child
    // SA's whatever the state (Libreswan 4.3 logs no IKE SA up before it).
    let child_proposals = |e: &PlutoEvent| matches!(e, PlutoEvent::NoLocalProposal { remote } if is_child_proposal(remote));
    let ike_no_prop = |e: &PlutoEvent| no_prop(e) && !child_proposals(e);
    if let Some(p) = find_phase(&ike_no_prop, false) {
        let detail = match &p.event {
            PlutoEvent::NoLocalProposal { remote } if !remote.is_empty() => {
                format!(" none of the peer's IKE proposals ({remote}) is configured here")
            }
            PlutoEvent::NoLocalProposal { .. } => {
                " none of the peer's IKE proposals is configured here".to_owned()
            }
            _ => " the peer answered NO_PROPOSAL_CHOSEN to pluto's IKE proposals".to_owned(),
        };
        let gave_up = find(&|e| matches!(e, PlutoEvent::GaveUp { .. }));
        if let PlutoEvent::NoLocalProposal { remote } = &p.event {
            if let Some(found) = attribute_mismatch(&conn, entries, remote, false, &[Some(p)]) {
                return Some(found);
            }
        }
        return Some((
            rules::P1_PROPOSAL_MISMATCH,
            Detection::new(
                format!("Phase 1 proposals of {conn} do not match:{detail}. {RUNS_PLUTO}"),
                evidence(&[Some(p), gave_up]),
            ),
        ));
    }
    if let Some(p) = find(&|e| matches!(e, PlutoEvent::PfsMismatch)) {
        return Some((
            rules::P2_PFS_MISMATCH,
            Detection::new(
                format!(
                    "PFS settings of {conn} differ: one side wants a DH group in Phase 2, the other \
                     sends none. {RUNS_PLUTO}"
                ),
                evidence(&[Some(p)]),
            ),
        ));
    }
    let ts = |e: &PlutoEvent| matches!(e, PlutoEvent::PeerTsRejected | PlutoEvent::NoTsMatch);
    if let Some(t) = find(&ts) {
        let who = if matches!(t.event, PlutoEvent::NoTsMatch) {
            "pluto found no connection matching the peer's traffic selectors"
        } else {
            "the peer rejected pluto's traffic selectors"
        };
        return Some((
            rules::P2_TS_MISMATCH,
            Detection::new(
                format!("Phase 2 of {conn} failed: {who} (the subnets differ). {RUNS_PLUTO}"),
                evidence(&[established, Some(t)]),
            ),
        ));
    }
    let quick_gave_up = find(
        &|e| matches!(e, PlutoEvent::GaveUp { state, .. } if state.starts_with("STATE_QUICK")),
    );
    let child_refused = find(&|e| matches!(e, PlutoEvent::PeerChildNoProposal));
    if let Some(p) = find_phase(&no_prop, true)
        .or_else(|| find(&child_proposals))
        .or_else(|| find(&|e| matches!(e, PlutoEvent::NoLocalChildProposal)))
        .or(child_refused)
        .or(quick_gave_up)
    {
        // This side refused the peer's proposals, listed (`no local proposal
        // matches remote proposals ...`) or not (4.x's `IKE_AUTH responder
        // matching remote ESP/AH proposals failed`).
        let refused_here = match &p.event {
            PlutoEvent::NoLocalProposal { remote } => Some(Some(remote.as_str())),
            PlutoEvent::NoLocalChildProposal => Some(None),
            _ => None,
        };
        if let Some(remote) = refused_here {
            let context = [established, Some(p)];
            if let Some(remote) = remote {
                if let Some(found) = attribute_mismatch(&conn, entries, remote, true, &context) {
                    return Some(found);
                }
            }
            let mut shown = context.to_vec();
            shown.extend(local_proposals(entries, true).into_iter().take(2).map(Some));
            let listed = remote.map(|r| format!(" ({r})")).unwrap_or_default();
            return Some((
                rules::P2_PROPOSAL_MISMATCH,
                Detection::new(
                    format!(
                        "Phase 2 of {conn} failed: none of the peer's ESP/AH proposals{listed} is \
                         configured here. {RUNS_PLUTO}"
                    ),
                    evidence(&shown),
                ),
            ));
        }
        return Some((
            rules::P2_PROPOSAL_MISMATCH,
            Detection::new(
                format!(
                    "Phase 2 of {conn} failed: the peer accepts none of pluto's ESP/AH proposals. \
                     {RUNS_PLUTO}"
                ),
                evidence(&[established, Some(p), quick_gave_up]),
            ),
        ));
    }
    if established.is_none() {
        if let Some(g) = find(&|e| {
            matches!(
                e,
                PlutoEvent::GaveUp {
                    first_message: true,
                    ..
                }
            )
        }) {
            let first_sent = find(&|e| matches!(e, PlutoEvent::Initiating { child: false }));
            return Some((
                rules::PEER_UNREACHABLE,
                Detection::new(
                    format!(
                        "pluto got no answer from the peer of {conn}: its first IKE message was \
                         retransmitted until it gave up. {RUNS_PLUTO}"
                    ),
                    evidence(&[first_sent, Some(g)]),
                ),
            ));
        }
    }
    if established.is_none() {
        // Still retransmitting the first message when the log ends (a
        // paste of `ipsec auto --up` cut before pluto gives up).
        let first_retransmits: Vec<&PlutoEntry> = entries
            .iter()
            .filter(|e| {
                matches!(
                    e.event,
                    PlutoEvent::Retransmit {
                        first_message: true
                    }
                )
            })
            .collect();
        let answered = entries.iter().any(|e| {
            matches!(
                e.event,
                PlutoEvent::Responding { .. }
                    | PlutoEvent::PeerNoProposal
                    | PlutoEvent::PeerChildNoProposal
                    | PlutoEvent::PeerAuthFailed
                    | PlutoEvent::HashMismatch
                    | PlutoEvent::UndecryptableReply
            )
        });
        if first_retransmits.len() >= 2 && !answered {
            let first_sent = find(&|e| matches!(e, PlutoEvent::Initiating { child: false }));
            return Some((
                rules::PEER_UNREACHABLE,
                Detection::new(
                    format!(
                        "pluto got no answer from the peer of {conn}: its first IKE message was \
                         retransmitted {} time(s) and nothing came back before the log ends. \
                         {RUNS_PLUTO}",
                        first_retransmits.len()
                    ),
                    evidence(&[
                        first_sent,
                        first_retransmits.first().copied(),
                        first_retransmits.last().copied(),
                    ]),
                ),
            ));
        }
        // As responder: the peer starts Main Mode again and again and never
        // sends its second message, so this side's answers do not reach it.
        let restarts: Vec<&PlutoEntry> = entries
            .iter()
            .filter(|e| matches!(e.event, PlutoEvent::Responding { child: false }))
            .collect();
        let states: HashSet<Option<u64>> = restarts.iter().map(|e| e.state).collect();
        if restarts.len() >= 2 && states.len() >= 2 {
            return Some((
                rules::PEER_UNREACHABLE,
                Detection::new(
                    format!(
                        "The peer of {conn} started Phase 1 {} times and never went on to its second \
                         message: pluto's answers do not reach it, or the peer's next message does not \
                         reach pluto (UDP 500/4500 blocked or not NATed back, a firewall or a mobile \
                         carrier in between; with NAT, IKEv2's IKE_AUTH and IKEv1's third message go \
                         to UDP 4500). {RUNS_PLUTO}",
                        restarts.len()
                    ),
                    evidence(&[restarts.first().copied(), restarts.get(1).copied(), restarts.last().copied()]),
                )
                .for_peer(
                    "This side's first IKE message was answered, but the answers never arrive here: \
                     the peer's replies are blocked or not NATed back. (The peer runs Libreswan pluto.)",
                ),
            ));
        }
    }
    let child = find(&|e| matches!(e, PlutoEvent::ChildSaEstablished));
    if let (Some(ike), Some(child)) = (established, child) {
        return Some((
            rules::TUNNEL_ESTABLISHED,
            Detection::new(
                format!("{conn} is up: IKE SA and IPsec SA established. {RUNS_PLUTO}"),
                evidence(&[Some(ike), Some(child)]),
            ),
        ));
    }
    if let Some(child) = child {
        // The IKE SA came up before the excerpt starts: an IPsec SA cannot
        // be established without one.
        return Some((
            rules::TUNNEL_ESTABLISHED,
            Detection::new(
                format!(
                    "{conn} is up: IPsec SA established (its IKE SA came up before this log starts). \
                     {RUNS_PLUTO}"
                ),
                evidence(&[Some(child)]),
            ),
        ));
    }
    // A negotiation started and its end is not in the log.
    let started = find(&|e| {
        matches!(
            e,
            PlutoEvent::Initiating { .. }
                | PlutoEvent::Responding { .. }
                | PlutoEvent::Retransmit { .. }
        )
    });
    if let Some(start) = started {
        let last = entries.last();
        return Some((
            rules::NEGOTIATION_INCOMPLETE,
            Detection::new(
                format!(
                    "A negotiation of {conn} started, but neither its success nor its failure is in \
                     this log: the excerpt ends too early or pluto's log level hides the outcome. \
                     {RUNS_PLUTO}"
                ),
                evidence(&[Some(start), last]),
            ),
        ));
    }
    None
}

/// Which kind of transform of the peer's proposals (`1:IKE:ENCR=AES_CBC_128;
/// INTEG=...;PRF=...;DH=MODP2048`) none of this side's proposals has: the
/// specific finding id and the peer's values.
/// The lines, each once, in log order.
fn evidence(list: &[Option<&PlutoEntry>]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = list.iter().flatten().map(|e| e.evidence.clone()).collect();
    out.sort_by_key(|e| e.line);
    out.dedup_by_key(|e| e.line);
    out
}

/// This connection's own proposals as pluto listed them: IKE, or (Phase 2)
/// ESP/AH.
fn local_proposals(entries: &[PlutoEntry], phase2: bool) -> Vec<&PlutoEntry> {
    entries
        .iter()
        .filter(|e| {
            matches!(&e.event, PlutoEvent::LocalProposal { kind, .. } if (kind == "IKE") != phase2)
        })
        .collect()
}

/// pluto as responder matched none of the peer's proposals (`remote`): the
/// attribute none of its own proposals of that phase has, as the specific
/// finding, with `context` and two of its proposals as evidence.
fn attribute_mismatch<'a>(
    conn: &str,
    entries: &'a [PlutoEntry],
    remote: &str,
    phase2: bool,
    context: &[Option<&'a PlutoEntry>],
) -> Option<(&'static Rule, Detection)> {
    let local = local_proposals(entries, phase2);
    let (id, what) = differing_transform(remote, &local, phase2)?;
    let (phase, kinds) = if phase2 {
        ("Phase 2", "ESP/AH")
    } else {
        ("Phase 1", "IKE")
    };
    let mut shown = context.to_vec();
    shown.extend(local.iter().take(2).map(|e| Some(*e)));
    Some((
        id,
        Detection::new(
            format!(
                "{phase} proposals of {conn} do not match: the peer proposes {what}, which no {kinds} \
                 proposal configured here has. {RUNS_PLUTO}"
            ),
            evidence(&shown),
        )
        .for_peer(proposal_for_peer(kinds, &what, &local)),
    ))
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

#[cfg(test)]
mod tests {
    use crate::catalog::testing::{diagnose, ids};

    #[test]
    fn libreswan_3_main_mode_without_answer_is_peer_unreachable() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: initiating Main Mode\n\
             Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: STATE_MAIN_I1: initiate\n\
             Nov 27 02:34:55 gw pluto[1234]: \"site\" #1: max number of retransmissions (8) reached STATE_MAIN_I1.  No response (or no acceptable response) to our first IKEv1 message\n",
        );
        assert_eq!(ids(&report), ["peer-unreachable"]);
        assert!(report.findings[0].summary.contains("Libreswan pluto"));
        assert_eq!(report.findings[0].evidence.len(), 2);
    }

    #[test]
    fn libreswan_3_established_tunnel() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: STATE_MAIN_I4: ISAKMP SA established {auth=PRESHARED_KEY cipher=aes_128 integ=sha group=MODP2048}\n\
             Nov 27 02:33:56 gw pluto[1234]: \"site\" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode {ESP=>0x5d5f4c3d <0xc2d8b5d1 xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=passive}\n",
        );
        assert_eq!(ids(&report), ["tunnel-established"]);
    }

    #[test]
    fn kernel_refusal_after_negotiation_is_never_a_config_fault() {
        let report = diagnose(
            "pluto.log",
            "Nov 27 02:33:55 gw pluto[1234]: \"site\" #1: initiator established IKE SA; authenticated peer using authby=secret and ID_IPV4_ADDR '192.0.2.74'\n\
             Nov 27 02:33:55 gw pluto[1234]: ERROR: \"site\" #2: netlink response for Add SA esp.cdd70c9c@192.0.2.74: Protocol not supported (errno 93)\n\
             Nov 27 02:33:55 gw pluto[1234]: \"site\" #2: CHILD SA encountered fatal error: INVALID_SYNTAX\n",
        );
        assert_eq!(ids(&report), ["kernel-sa-install-failure"]);
        assert!(report.findings[0].summary.contains("errno 93"));
    }
}
