//! strongSwan charon messages (5.x), by the text charon's source prints.

use crate::notify::Notify;
use crate::proposal::{Proposal, TransformKind};

/// An IKE SA as charon names it in messages: `con2000[11]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct SaName {
    /// The connection name.
    pub name: String,
    /// The IKE SA's unique id.
    pub unique_id: Option<u32>,
}

/// An address with an optional port: `192.0.2.74[500]`. Addresses stay text:
/// pasted logs redact them as `<ip1>`, `x.x.x.x` or `MY_VPN_IP`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Endpoint {
    /// The address as printed.
    pub addr: String,
    /// The UDP port, where printed.
    pub port: Option<u16>,
}

/// An address with the IKE identity used there: `192.0.2.90[192.0.2.90]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct IdEndpoint {
    /// The address as printed.
    pub addr: String,
    /// The identity as printed (`%any` when none).
    pub id: String,
}

/// Whether a message was sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    /// Received from the peer (`parsed`, `received packet`).
    Received,
    /// Sent to the peer (`generating`, `sending packet`).
    Sent,
}

/// How an IKE SA is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ExchangeMode {
    /// IKEv2 `IKE_SA_INIT`.
    Ikev2,
    /// IKEv1 Main Mode.
    Main,
    /// IKEv1 Aggressive Mode.
    Aggressive,
}

/// Which proposal list a `... proposals:` line prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ProposalList {
    /// What the peer offered.
    Received,
    /// What this side is configured for.
    Configured,
    /// What was chosen.
    Selected,
}

/// One charon message, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum CharonEvent {
    /// `initiating IKE_SA con[1] to 192.0.2.74` (and the Main/Aggressive Mode forms).
    InitiatingIkeSa {
        /// The IKE SA.
        sa: SaName,
        /// The peer's address.
        remote: String,
        /// IKEv2, Main or Aggressive Mode.
        mode: ExchangeMode,
    },
    /// `192.0.2.90 is initiating an IKE_SA` (a Main/Aggressive Mode IKE_SA).
    PeerInitiating {
        /// The peer's address.
        remote: String,
        /// IKEv2, Main or Aggressive Mode.
        mode: ExchangeMode,
    },
    /// `IKE_SA con[11] established between A[idA]...B[idB]`.
    IkeSaEstablished {
        /// The IKE SA.
        sa: SaName,
        /// This side.
        local: IdEndpoint,
        /// The peer.
        remote: IdEndpoint,
    },
    /// `IKE_SA con[1] rekeyed between ...`.
    IkeSaRekeyed {
        /// The new IKE SA.
        sa: SaName,
    },
    /// `IKE_SA rekey collision lost, deleting redundant IKE_SA con[2]`:
    /// both ends rekeyed at once and the IKE SA this side created is
    /// dropped (its negotiation needs no outcome of its own; the rekey goes
    /// on under the peer's). src/libcharon/sa/ikev2/tasks/ike_rekey.c,
    /// 5.x-6.x (recorded with 6.0.1 in the lab's ikev2-frequent-rekey).
    RekeyCollisionLost {
        /// The redundant IKE SA.
        redundant: SaName,
    },
    /// `received message ID 0, expected 1, ignored`: the peer sent a message
    /// of another exchange than the one awaited (Libreswan 4.3 resending its
    /// IKE_SA_INIT response when its IKE_AUTH failed, lab-recorded);
    /// src/libcharon/sa/ikev2/task_manager_v2.c, 5.x-6.x.
    UnexpectedMessageId {
        /// The message ID received.
        got: u32,
        /// The one awaited.
        expected: u32,
    },
    /// `deleting IKE_SA con[1] between ...`.
    DeletingIkeSa {
        /// The IKE SA.
        sa: SaName,
    },
    /// `CHILD_SA con{2} established with SPIs ... and TS a === b`.
    ChildSaEstablished {
        /// The CHILD_SA's connection name.
        name: String,
        /// Its unique id.
        unique_id: Option<u32>,
        /// Local traffic selectors as printed.
        local_ts: String,
        /// Remote traffic selectors as printed.
        remote_ts: String,
    },
    /// `received proposals: ...`, `configured proposals: ...`, `selected proposal: ...`.
    Proposals {
        /// Which list.
        list: ProposalList,
        /// The proposals.
        proposals: Vec<Proposal>,
    },
    /// `no acceptable ENCRYPTION_ALGORITHM found`.
    NoAcceptableTransform(TransformKind),
    /// `no proposal found` (IKEv1 Phase 1), `no acceptable proposal found`,
    /// `received proposals unacceptable` (IKEv2).
    NoProposalFound,
    /// `no matching proposal found, sending NO_PROPOSAL_CHOSEN` (IKEv1 Quick Mode).
    NoMatchingChildProposal,
    /// `received NO_PROPOSAL_CHOSEN error notify` and the IKEv2 `notify error` forms.
    NotifyReceived(Notify),
    /// `received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built`: the peer's
    /// notify refused a CHILD_SA (Phase 2), whatever came before it in the
    /// log (strongSwan 5.x-6.x `child_create.c`).
    ChildNotifyReceived(Notify),
    /// charon has no kernel interface to install SAs with: `unable to create
    /// netlink socket` (kernel-netlink, 4.x-6.x; in containers without
    /// CAP_NET_ADMIN). (The plugin loader's `... has unmet dependency:
    /// CUSTOM:kernel-ipsec` that follows is left to it: one literal less for
    /// the sieve.)
    KernelInterfaceUnavailable {
        /// The message, for the finding's explanation.
        what: String,
    },
    /// `parsed QUICK_MODE request 12 [ HASH SA No ID ID ]` / `generating ...`.
    Message {
        /// Parsed (received) or generated (sent).
        direction: Direction,
        /// `IKE_SA_INIT`, `IKE_AUTH`, `QUICK_MODE`, `INFORMATIONAL_V1`, ...
        exchange: String,
        /// Request or response.
        request: bool,
        /// The payload list, notifies as `N(NO_PROP)`.
        payloads: Payloads,
    },
    /// `sending packet: from A[500] to B[500] (236 bytes)` / `received packet: ...`.
    Packet {
        /// Sent or received.
        direction: Direction,
        /// Source.
        from: Endpoint,
        /// Destination.
        to: Endpoint,
    },
    /// `retransmit 2 of request with message ID 0` / `sending retransmit 2 of ...`.
    Retransmit {
        /// Which retransmit.
        count: u32,
        /// The request's message ID (`retransmit 2 of request with message
        /// ID 0`): 0 is the first exchange of an IKE SA.
        message_id: Option<u32>,
    },
    /// `giving up after 5 retransmits`.
    GivingUp {
        /// How many retransmits were sent.
        retransmits: u32,
    },
    /// `peer not responding, trying again (2/3)` / `establishing IKE_SA failed, peer not responding`.
    PeerNotResponding,
    /// `looking for peer configs matching A[idA]...B[idB]` (also `pre-shared key peer configs`).
    LookingForPeerConfigs {
        /// This side's address.
        local: String,
        /// The identity the peer expects this side to have (IKEv2 IDr), where logged.
        local_id: Option<String>,
        /// The peer's address.
        remote: String,
        /// The identity the peer presented, where known.
        remote_id: Option<String>,
    },
    /// `no peer config found` (IKEv1), `no matching peer config found` (IKEv2).
    NoPeerConfig,
    /// `no IKE config found for A...B, sending NO_PROPOSAL_CHOSEN`.
    NoIkeConfig {
        /// The address the packet was sent to (this side).
        local: String,
        /// The peer.
        remote: String,
    },
    /// `found matching ike config: %any...%any with prio 2`.
    MatchedIkeConfig {
        /// Local address pattern of the matched config.
        local: String,
        /// Remote address pattern of the matched config.
        remote: String,
    },
    /// The responder's chosen peer config refused the peer's authentication:
    /// `selected peer config 'name' unacceptable: non-matching authentication
    /// done` (`inacceptable` in 4.6.0-5.6.3; IKEv2 `ike_auth.c`, IKEv1 XAuth
    /// `xauth.c`).
    PeerConfigUnacceptable {
        /// The peer config.
        name: String,
        /// charon's reason, where given.
        reason: String,
    },
    /// `selected peer config 'name'`.
    SelectedPeerConfig(String),
    /// `tried 1 shared key for 'a' - 'b', but MAC mismatched`.
    PskMacMismatch {
        /// How many keys were tried.
        tried: u32,
    },
    /// `no shared key found for 'a' - 'b'`.
    NoSharedKey,
    /// `authentication of 'x' with pre-shared key successful` (not `(myself)`).
    PeerAuthenticated,
    /// IKEv1 `calculated HASH does not match HASH payload`.
    HashMismatch,
    /// `invalid HASH_V1 payload length, decryption failed?`.
    InvalidPayloadLength {
        /// The payload named, e.g. `HASH_V1`.
        payload: String,
    },
    /// `could not decrypt payloads`.
    CouldNotDecrypt,
    /// `message parsing failed`.
    MessageParsingFailed,
    /// `remote host is behind NAT`.
    RemoteBehindNat,
    /// `local host is behind NAT, sending keep alives`.
    LocalBehindNat,
    /// `faking NAT situation to enforce UDP encapsulation`.
    FakingNat,
    /// `IDir '192.0.2.10' does not match to '203.0.113.245'`.
    IdirMismatch {
        /// The identity the peer sent.
        received: String,
        /// The identity this side expected.
        expected: String,
    },
    /// `Aggressive Mode PSK disabled for security reasons`, and 5.9's `found 1
    /// matching config, but none allows pre-shared key authentication using
    /// Aggressive Mode`.
    AggressivePskDisabled,
    /// `received DELETE for IKE_SA con[1]`.
    DeleteReceived,
    /// `Starting IKE charon daemon (strongSwan 5.9.8, ...)`, or another
    /// front-end's `Starting charon-systemd IKE daemon (strongSwan ...`:
    /// unique ids start again.
    DaemonStarting,
    /// `looking for a child config for A === B`.
    LookingForChildConfig {
        /// Traffic selectors for this side as printed.
        local_ts: String,
        /// Traffic selectors for the peer as printed.
        remote_ts: String,
    },
    /// `proposing traffic selectors for us:` / `... for other:`; the selectors follow on their own lines.
    TsListHeader {
        /// `us` (true) or `other` (false).
        for_us: bool,
    },
    /// A line holding only a traffic selector, e.g. ` 192.168.48.0/24|/0`.
    TsListItem(String),
    /// `no matching CHILD_SA config found`, `no acceptable traffic selectors found`.
    NoMatchingChildConfig,
    /// `traffic selectors A === B unacceptable`.
    TsUnacceptable {
        /// Local selectors as printed.
        local_ts: String,
        /// Remote selectors as printed.
        remote_ts: String,
    },
    /// `unable to install inbound and outbound IPsec SA (SAD) in kernel`, `... (SPD) ...`.
    SaInstallFailed {
        /// The message, for the finding's explanation.
        what: String,
    },
    /// `sending DPD request`.
    DpdRequest,
    /// IKEv1 `DPD check timed out, enforcing DPD action`.
    DpdTimedOut,
    /// `scheduling rekeying in 13525s` / `scheduling reauthentication in ...`.
    SchedulingRekey {
        /// Reauthentication rather than rekeying.
        reauth: bool,
        /// Seconds until then.
        seconds: u64,
    },
    /// `maximum IKE_SA lifetime 14525s`.
    MaxLifetime {
        /// Seconds.
        seconds: u64,
    },
    /// IKEv1 `received 3600s lifetime, configured 28800s` and `received lifetime Ns does not match configured lifetime Ms`.
    LifetimeDiffers {
        /// What the peer proposed.
        received: u64,
        /// What this side has.
        configured: u64,
    },
    /// `rekeying failed` forms: `rekeying IKE_SA failed, peer not responding`,
    /// `reauthenticating IKE_SA failed`, and `IKE_SA`/`CHILD_SA rekeying
    /// failed` in any wording but the retry below.
    RekeyFailed,
    /// `CHILD_SA rekeying failed, trying again in 13 seconds` (or `IKE_SA`):
    /// charon put the rekey off and tries again, after the peer answered
    /// TEMPORARY_FAILURE (both ends rekeyed at once) or refused it. A
    /// failure only if the retry fails too.
    RekeyRetry {
        /// Seconds until charon tries again.
        seconds: u32,
    },
    /// `initiating ... ` for a rekey or reauth: `reauthenticating IKE_SA con[1]`, `reinitiating IKE_SA con[1]`.
    Reinitiating,
    /// `no trusted RSA public key found for 'id'`: the peer's certificate
    /// (chain) does not verify for the identity it claims.
    NoTrustedPublicKey {
        /// `RSA`, `ECDSA`, `ED25519`, `ANY`, ...
        key_type: String,
        /// The identity the key was looked for.
        id: String,
    },
    /// `no issuer certificate found for "DN"`.
    NoIssuerCert {
        /// The certificate whose issuer is missing.
        subject: String,
    },
    /// `issuer is "DN"` (after `no issuer certificate found`).
    IssuerIs(String),
    /// `self-signed certificate "DN" is not trusted`.
    UntrustedSelfSigned {
        /// The certificate.
        subject: String,
    },
    /// `subject certificate invalid (valid from T1 to T2)` (or `issuer ...`).
    CertificateInvalid {
        /// `subject` (the end entity) or `issuer` (a CA of the chain).
        which: String,
        /// Start of validity as printed.
        not_before: String,
        /// End of validity as printed.
        not_after: String,
    },
    /// `certificate was revoked on T, reason: R`: a CRL (or OCSP response)
    /// revokes the peer's certificate (src/libstrongswan/plugins/revocation/
    /// revocation_validator.c, 5.x-6.x; lab-recorded with a CRL of the lab's
    /// CA).
    CertRevoked {
        /// When, as printed.
        on: String,
        /// The reason as printed (`key compromise`).
        reason: String,
    },
    /// `crl is stale: since T`.
    CrlStale {
        /// When the CRL's validity ended, as printed.
        since: String,
    },
    /// `constraint check failed: ...`.
    ConstraintCheckFailed(String),
    /// `received end entity cert "DN"`.
    ReceivedEndEntityCert(String),
    /// `using certificate "DN"` / `using trusted certificate "DN"`: a
    /// certificate that holds the identity the peer claims.
    UsingCertificate(String),
    /// `no private key found for 'id'`.
    NoPrivateKey {
        /// The identity this side authenticates as.
        id: String,
    },
    /// EAP authentication failed, one of several messages.
    EapFailure {
        /// What the message says went wrong.
        kind: EapFailureKind,
        /// The EAP method, where named (`EAP_MSCHAPV2`).
        method: Option<String>,
        /// The user, where named.
        user: Option<String>,
    },
    /// `XAuth authentication of 'alice' failed` (also `(myself)`), `none of 1
    /// found XAuth secrets for 'a' - 'alice' matched`, `destroying IKE_SA
    /// after failed XAuth authentication`.
    XauthFailed {
        /// The XAuth user, where named.
        user: Option<String>,
        /// Whether this side is the XAuth client (`(myself)`).
        myself: bool,
    },
    /// `looking for an IKEv1 config for A...B`: the IKE version the peer speaks.
    LookingForIkeConfig {
        /// 1 or 2 (0: any).
        version: u8,
    },
    /// `IKE version 1 not supported`: this charon was built without that
    /// IKE version, so it cannot even create the IKE SA
    /// (src/libcharon/sa/ike_sa.c, ike_sa_create; recorded with Debian
    /// sid's strongSwan 6.1.0, built without IKEv1).
    IkeVersionNotBuilt {
        /// The IKE major version asked for.
        version: u8,
    },
    /// `received unsupported IKE version 1.0 from A, sending INVALID_MAJOR_VERSION`.
    UnsupportedIkeVersion {
        /// The version as printed, e.g. `1.0`.
        version: String,
        /// The peer.
        from: String,
    },
    /// A message that means nothing to diagnosis.
    Unrecognized,
    /// IKEv1 responder: `found 1 matching config, but none allows pre-shared
    /// key authentication using Main Mode` (`main_mode.c`/`aggressive_mode.c`,
    /// 5.0-6.x): a config for the peer exists, with another mode or
    /// authentication method.
    NoConfigAllows {
        /// The peer's authentication, e.g. `pre-shared key`.
        auth: String,
        /// `Main` or `Aggressive`.
        mode: String,
    },
    /// charon was asked for a connection it has not loaded: `no config
    /// named 'con1'` (stroke, 4.x-6.x).
    NoConfigNamed {
        /// The name asked for.
        name: String,
    },
    /// charon crashed: `dumping 11 stack frame addresses:` (libstrongswan
    /// `backtrace.c`, printed by the signal handler, 4.x-6.x).
    DaemonCrashed {
        /// The message.
        what: String,
    },
    /// The daemon or its loader refused a connection, secret or certificate
    /// (see [`config_load_failure`]).
    ConfigLoadFailed {
        /// What was refused, as logged.
        what: String,
        /// What it will break.
        affects: ConfigPart,
    },
}

/// What a refused configuration breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum ConfigPart {
    /// The Phase 1 (IKE) proposal.
    Phase1Proposal,
    /// The Phase 2 (ESP/AH) proposal or PFS setting.
    Phase2Proposal,
    /// A secret, certificate or key: authentication.
    Credentials,
    /// The connection (or the whole configuration) as such.
    Connection,
}

/// Which part of the configuration a refusal names, by the option or the
/// proposal kind in it.
fn refused_part(m: &str, default: ConfigPart) -> ConfigPart {
    use ConfigPart as P;
    let has = |w: &str| m.contains(w);
    if has("esp=")
        || has("esp string")
        || has("phase2alg")
        || has("esp_proposals")
        || has("ah_proposals")
        || has("ESP ")
        || has("PFS")
    {
        P::Phase2Proposal
    } else if has("ike=") || has("ike string") || has("IKE ") || has("proposals") {
        P::Phase1Proposal
    } else {
        default
    }
}

/// A configuration Libreswan's pluto or whack refused to load (3.x-5.x,
/// Openswan 2.6; docs/wordings/config-load.tsv). `None` for any other
/// message.
pub fn libreswan_config_load_failure(m: &str) -> Option<(ConfigPart, &str)> {
    use ConfigPart as P;
    let m = m.trim();
    let part = |default| refused_part(m, default);
    // Libreswan pluto: `Failed to add connection "x": ike string error: ...`
    // (3.21-3.32), `"x": failed to add connection: ...` (4.0+), Openswan
    // and 3.0-3.20 `ike string error: ...`, `esp string error`, `got 0
    // transforms for ike="..."`; algorithm parsing `... algorithm 'x' is not
    // supported|recognized` (3.27-5.3), `... is invalid as PFS policy is
    // disabled` (3.25), `either all or no ESP proposals should specify DH`.
    if m.starts_with("Failed to add connection")
        || m.contains("failed to add connection")
        || m.contains("string error: ")
        || m.starts_with("got 0 transforms for")
        || m.contains("either all or no ") && m.contains(" proposals should specify")
    {
        return Some((part(P::Connection), m));
    }
    if m.contains("certificate '") && m.contains("not found in the NSS database")
        || m.starts_with("no secrets filename matched")
        || m.starts_with("problem with secrets file")
    {
        return Some((P::Credentials, m));
    }
    None
}

/// A configuration strongSwan's charon or its loaders (vici, stroke,
/// starter, swanctl; 4.6-6.x) refused to load
/// (docs/wordings/config-load.tsv). `None` for any other message.
pub fn config_load_failure(m: &str) -> Option<(ConfigPart, &str)> {
    use ConfigPart as P;
    let m = m.trim();
    let part = |default| refused_part(m, default);
    // strongSwan: swanctl `loading connection 'x' failed: ...`, vici
    // `invalid value for: proposals, config discarded`, `unknown option: x,
    // config discarded`, `unable to load certificate: x`, stroke `skipped
    // invalid proposal string: x`, proposal parsing `algorithm 'x' not
    // recognized`, `a DH group is mandatory in IKE proposals`, starter `#
    // unknown keyword 'x'`, `# bad value: x=y`, `# ignored conn 'x' due to 1
    // parsing error`, `unable to start strongSwan -- fatal errors in
    // config`, yacc `/etc/ipsec.conf:6: syntax error, ...`.
    if m.starts_with("loading connection '")
        || m.ends_with(", config discarded")
        || m.starts_with("skipped invalid proposal string")
        || m.starts_with("algorithm '") && m.ends_with("not recognized")
        || m.contains(" is mandatory in ") && m.contains(" proposals")
        || m.contains("encryption algorithms can't be contained in the same")
        || m.starts_with("# unknown keyword")
        || m.starts_with("# bad value")
        || m.starts_with("# ignored conn")
        || m.contains("fatal errors in config")
        || m.starts_with("can't reload config file due to errors")
        || m.contains(": syntax error, unexpected")
        || m.contains("ipsec.conf:") && m.contains("syntax error")
    {
        return Some((part(P::Connection), m));
    }
    if m.starts_with("unable to load certificate")
        || m.contains("malformed secret")
        || m.starts_with("opening secrets file '")
        || m.starts_with("loading shared secret failed")
        || m.starts_with("loading certificate from '") && m.ends_with("failed")
        || m.starts_with("loading private key from '") && m.ends_with("failed")
        || m.starts_with("expanding file expression '") && m.ends_with("failed")
    {
        return Some((P::Credentials, m));
    }
    None
}

/// What an EAP failure message says went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum EapFailureKind {
    /// The credentials did not verify (wrong password or secret).
    Credentials,
    /// The method offered was refused (`sending EAP_NAK`).
    MethodRefused,
    /// The RADIUS server did not answer.
    RadiusUnreachable,
    /// The RADIUS server rejected the user.
    RadiusRejected,
    /// The method failed without saying why.
    Failed,
}

/// The payloads of an IKE message as charon lists them (`SA KE No
/// N(NAT_D)`), kept as one string: charon prints such a list for every
/// message, and a string per payload made them costly to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Payloads(String);

impl Payloads {
    /// From charon's list between the brackets, separated by blanks.
    pub fn from_list(list: &str) -> Payloads {
        // As charon writes it: names between single spaces.
        let trimmed = list.trim_matches(' ');
        let bytes = trimmed.as_bytes();
        let single_spaced = bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
            && !bytes.windows(2).any(|pair| pair == b"  ");
        if single_spaced {
            return Payloads(trimmed.to_owned());
        }
        let mut joined = String::with_capacity(list.len());
        for payload in list.split_whitespace() {
            if !joined.is_empty() {
                joined.push(' ');
            }
            joined.push_str(payload);
        }
        Payloads(joined)
    }

    /// Each payload, e.g. `SA`, `N(NO_PROP)`.
    pub fn iter(&self) -> std::str::SplitAsciiWhitespace<'_> {
        self.0.split_ascii_whitespace()
    }
}

impl serde::Serialize for Payloads {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The size of a `sending packet: ... (1236 bytes)` / `received packet`
/// line: the message alone or the whole log line (also a journal JSON record).
pub fn packet_bytes(line: &str) -> Option<u32> {
    let end = line.rfind(" bytes)")?;
    let (_, n) = line[..end].rsplit_once('(')?;
    n.parse().ok()
}

/// Parses one charon message (the text after the thread, group and IKE SA tag).
pub fn parse_charon(message: &str) -> CharonEvent {
    let m = message.trim();
    parse_inner(m)
        .or_else(|| {
            config_load_failure(m).map(|(affects, what)| CharonEvent::ConfigLoadFailed {
                what: what.to_owned(),
                affects,
            })
        })
        .unwrap_or(CharonEvent::Unrecognized)
}

fn parse_inner(m: &str) -> Option<CharonEvent> {
    use CharonEvent as E;
    // Ordered by how often charon prints them at the recommended log levels.
    if let Some(rest) = m.strip_prefix("received packet: from ") {
        return packet(Direction::Received, rest);
    }
    if let Some(rest) = m.strip_prefix("sending packet: from ") {
        return packet(Direction::Sent, rest);
    }
    if let Some(rest) = m.strip_prefix("parsed ") {
        return message_line(Direction::Received, rest);
    }
    if let Some(rest) = m.strip_prefix("generating ") {
        return message_line(Direction::Sent, rest);
    }
    if let Some(rest) = m.strip_prefix("received proposals: ") {
        return Some(proposals(ProposalList::Received, rest));
    }
    if let Some(rest) = m.strip_prefix("configured proposals: ") {
        return Some(proposals(ProposalList::Configured, rest));
    }
    if let Some(rest) = m.strip_prefix("selected proposal: ") {
        return Some(proposals(ProposalList::Selected, rest));
    }
    if let Some(rest) = m.strip_prefix("no acceptable ") {
        if let Some(kind) = rest
            .strip_suffix(" found")
            .and_then(TransformKind::from_transform_type)
        {
            return Some(E::NoAcceptableTransform(kind));
        }
        return match rest {
            "proposal found" => Some(E::NoProposalFound),
            "traffic selectors found" => Some(E::NoMatchingChildConfig),
            _ => None,
        };
    }
    match m {
        // `received proposals inacceptable`: 4.6.0-5.6.3 (`ike_init.c`).
        "no proposal found"
        | "received proposals unacceptable"
        | "received proposals inacceptable" => return Some(E::NoProposalFound),
        "no peer config found" | "no matching peer config found" => return Some(E::NoPeerConfig),
        "could not decrypt payloads" => return Some(E::CouldNotDecrypt),
        "message parsing failed" => return Some(E::MessageParsingFailed),
        "remote host is behind NAT" => return Some(E::RemoteBehindNat),
        "local host is behind NAT, sending keep alives" => return Some(E::LocalBehindNat),
        "faking NAT situation to enforce UDP encapsulation" => return Some(E::FakingNat),
        "sending DPD request" => return Some(E::DpdRequest),
        "calculated HASH does not match HASH payload" | "received HASH payload does not match" => {
            return Some(E::HashMismatch)
        }
        "establishing IKE_SA failed, peer not responding" => return Some(E::PeerNotResponding),
        "rekeying IKE_SA failed, peer not responding" | "reauthenticating IKE_SA failed" => {
            return Some(E::RekeyFailed)
        }
        "proposing traffic selectors for us:" | "selecting traffic selectors for us:" => {
            return Some(E::TsListHeader { for_us: true })
        }
        "proposing traffic selectors for other:" | "selecting traffic selectors for other:" => {
            return Some(E::TsListHeader { for_us: false })
        }
        _ => {}
    }
    if m.starts_with("Aggressive Mode PSK disabled for")
        || (m.starts_with("found ")
            && m.ends_with("using Aggressive Mode")
            && m.contains("but none allows"))
    {
        return Some(E::AggressivePskDisabled);
    }
    if let Some(rest) = m.strip_prefix("received message ID ") {
        if let Some((got, rest)) = rest.split_once(", expected ") {
            if let Some(expected) = rest.strip_suffix(", ignored") {
                return Some(E::UnexpectedMessageId {
                    got: got.trim().parse().ok()?,
                    expected: expected.trim().parse().ok()?,
                });
            }
        }
    }
    if m.starts_with("received DELETE for IKE_SA") {
        return Some(E::DeleteReceived);
    }
    if let Some(name) = m.strip_prefix("IKE_SA rekey collision lost, deleting redundant IKE_SA ") {
        let (redundant, _) = sa_name(name.trim())?;
        return Some(E::RekeyCollisionLost { redundant });
    }
    // Every front-end names itself, then the version: "Starting IKE charon
    // daemon (strongSwan 5.9.8, ..." (charon, 5.0+), "Starting
    // charon-systemd IKE daemon (strongSwan 6.0.1, ..." (charon-systemd,
    // recorded in the lab with 5.9.1-6.1.0), "Starting IKEv2 charon daemon
    // (strongSwan 4.6.4)" (4.x), "Starting IKE service (strongSwan ..."
    // (Android, charon-svc). src/charon*/, src/libcharon/daemon.c.
    if m.starts_with("Starting ") && m.contains(" (strongSwan ") {
        return Some(E::DaemonStarting);
    }
    if m.starts_with("no matching CHILD_SA config found") {
        return Some(E::NoMatchingChildConfig);
    }
    if m.starts_with("DPD check timed out") {
        return Some(E::DpdTimedOut);
    }
    if m.starts_with("no matching proposal found") {
        // IKEv1 Quick Mode prints it with `, sending NO_PROPOSAL_CHOSEN` as
        // responder and alone as initiator; IKEv2 IKE_SA_INIT adds `trying
        // alternative config`.
        return Some(if m.contains("alternative") {
            E::NoProposalFound
        } else {
            E::NoMatchingChildProposal
        });
    }
    if m.starts_with("peer not responding") {
        return Some(E::PeerNotResponding);
    }
    // 5.5.0+ `creating CHILD_SA failed, trying again in N seconds` (a
    // TEMPORARY_FAILURE answer, as for a rekey).
    if let Some(seconds) = m
        .strip_prefix("creating CHILD_SA failed, trying again in ")
        .and_then(|r| r.strip_suffix(" seconds"))
        .and_then(|n| n.parse().ok())
    {
        return Some(E::RekeyRetry { seconds });
    }
    if let Some(rest) = m
        .strip_prefix("IKE_SA rekeying failed")
        .or_else(|| m.strip_prefix("CHILD_SA rekeying failed"))
    {
        let retry = rest
            .strip_prefix(", trying again in ")
            .and_then(|r| r.strip_suffix(" seconds"))
            .and_then(|n| n.parse().ok());
        return Some(match retry {
            Some(seconds) => E::RekeyRetry { seconds },
            None => E::RekeyFailed,
        });
    }
    if let Some(rest) = m
        .strip_prefix("reauthenticating IKE_SA ")
        .or_else(|| m.strip_prefix("reinitiating IKE_SA "))
    {
        let _ = rest;
        return Some(E::Reinitiating);
    }
    if let Some(event) = credentials(m) {
        return Some(event);
    }
    if let Some(rest) = m.strip_prefix("received ") {
        return received(rest);
    }
    if let Some(rest) = m.strip_prefix("initiating ") {
        return initiating(rest);
    }
    if let Some(rest) = m.strip_prefix("IKE_SA ") {
        return ike_sa_line(rest);
    }
    if let Some(rest) = m
        .strip_prefix("CHILD_SA ")
        .or_else(|| m.strip_prefix("outbound CHILD_SA "))
        // 5.5.3+ while rekeying (`child_rekey.c`: `%sCHILD_SA ...`).
        .or_else(|| m.strip_prefix("inbound CHILD_SA "))
    {
        return child_sa_line(rest);
    }
    if let Some(rest) = m.strip_prefix("deleting IKE_SA ") {
        let (sa, _) = sa_name(rest.split(' ').next()?)?;
        return Some(E::DeletingIkeSa { sa });
    }
    if let Some(rest) = m.strip_prefix("looking for ") {
        return looking_for(rest);
    }
    if let Some(rest) = m
        .strip_prefix("retransmit ")
        .or_else(|| m.strip_prefix("sending retransmit "))
    {
        if rest.contains(" of RADIUS ") {
            return Some(eap(EapFailureKind::RadiusUnreachable, None, None));
        }
        let count = rest.split(' ').next()?.parse().ok()?;
        // `... of request with message ID 0` (IKEv2), `sending retransmit 2
        // of request message ID 0, seq 1` (IKEv1).
        let message_id = rest.rsplit_once("message ID ").and_then(|(_, id)| {
            let digits = id.bytes().take_while(u8::is_ascii_digit).count();
            id[..digits].parse().ok()
        });
        return Some(E::Retransmit { count, message_id });
    }
    if let Some(rest) = m.strip_prefix("giving up after ") {
        let retransmits = rest.split(' ').next()?.parse().ok()?;
        if rest.ends_with("retransmits") {
            return Some(E::GivingUp { retransmits });
        }
        return None;
    }
    if let Some(rest) = m.strip_prefix("tried ") {
        if m.ends_with("but MAC mismatched") {
            let tried = rest.split(' ').next()?.parse().ok()?;
            return Some(E::PskMacMismatch { tried });
        }
        return None;
    }
    if m.starts_with("no shared key found for") {
        return Some(E::NoSharedKey);
    }
    if let Some(rest) = m.strip_prefix("authentication of '") {
        if !rest.contains("(myself)") && rest.ends_with("successful") {
            return Some(E::PeerAuthenticated);
        }
        return None;
    }
    if let Some(rest) = m.strip_prefix("invalid ") {
        let payload = rest.strip_suffix(" payload length, decryption failed?")?;
        return Some(E::InvalidPayloadLength {
            payload: payload.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("IDir '") {
        let (received, rest) = rest.split_once("' does not match to '")?;
        let expected = rest.strip_suffix('\'')?;
        return Some(E::IdirMismatch {
            received: received.to_owned(),
            expected: expected.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("no IKE config found for ") {
        let pair = rest.split(',').next()?;
        let (local, remote) = pair.split_once("...")?;
        return Some(E::NoIkeConfig {
            local: local.to_owned(),
            remote: remote.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("found matching ike config: ") {
        let pair = rest.split(" with prio").next()?;
        let (local, remote) = pair.split_once("...")?;
        return Some(E::MatchedIkeConfig {
            local: local.to_owned(),
            remote: remote.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("selected peer config ") {
        for word in ["' unacceptable", "' inacceptable"] {
            if let Some((name, tail)) = rest.split_once(word) {
                return Some(E::PeerConfigUnacceptable {
                    name: name.trim_start_matches('\'').to_owned(),
                    reason: tail.trim_start_matches(':').trim().to_owned(),
                });
            }
        }
        let name = rest.trim_matches(|c| c == '\'' || c == '"');
        return Some(E::SelectedPeerConfig(name.to_owned()));
    }
    if let Some(rest) = m.strip_prefix("traffic selectors ") {
        // `%#R === %#R unacceptable` (5.7.0+), `inacceptable` (5.3.4-5.6.3),
        // `%#R=== %#R inacceptable` (4.6.0-5.3.3); `child_create.c`.
        let pair = rest
            .strip_suffix(" unacceptable")
            .or_else(|| rest.strip_suffix(" inacceptable"))?;
        let (local_ts, remote_ts) = pair.split_once("=== ")?;
        let local_ts = local_ts.trim_end();
        return Some(E::TsUnacceptable {
            local_ts: local_ts.trim().to_owned(),
            remote_ts: remote_ts.trim().to_owned(),
        });
    }
    if m.starts_with("unable to install") && m.ends_with("in kernel") {
        return Some(E::SaInstallFailed { what: m.to_owned() });
    }
    // The kernel refuses an SPI for the CHILD_SA: `allocating SPI failed:
    // Operation not supported (95)` (kernel-netlink), `unable to allocate
    // SPIs from kernel` (child_create.c), IKEv1 `allocating SPI failed`
    // (quick_mode.c); 4.6.0-6.x.
    // kernel-netlink (4.x-6.x): `unable to add SAD entry with SPI c1c2c3c4
    // (FAILED)`, `unable to update SAD entry with SPI ...`, `unable to add
    // policy 10.0.0.0/24 === 10.1.0.0/24 out`: the kernel refused the SA or
    // policy itself (charon's summary line follows at level 1).
    if m.starts_with("unable to add SAD entry")
        || m.starts_with("unable to update SAD entry")
        || m.starts_with("unable to add policy")
    {
        return Some(E::SaInstallFailed { what: m.to_owned() });
    }
    if let Some(r) = m.strip_prefix("found ") {
        if let Some((_, tail)) = r.split_once(" matching config") {
            if let Some(rest) = tail.split_once("but none allows ").map(|(_, x)| x) {
                if let Some((auth, mode)) = rest.split_once(" authentication using ") {
                    return Some(E::NoConfigAllows {
                        auth: auth.to_owned(),
                        mode: mode.trim_end_matches(" Mode").to_owned(),
                    });
                }
            }
        }
    }
    if let Some(name) = m.strip_prefix("no config named ") {
        return Some(E::NoConfigNamed {
            name: name.trim_matches('\'').to_owned(),
        });
    }
    if m.starts_with("dumping ") && m.ends_with(" stack frame addresses:") {
        return Some(E::DaemonCrashed { what: m.to_owned() });
    }
    if m.starts_with("allocating SPI failed") || m == "unable to allocate SPIs from kernel" {
        return Some(E::SaInstallFailed { what: m.to_owned() });
    }
    if m.starts_with("unable to create netlink socket") {
        return Some(E::KernelInterfaceUnavailable { what: m.to_owned() });
    }
    if let Some(rest) = m.strip_prefix("scheduling rekeying in ") {
        return Some(E::SchedulingRekey {
            reauth: false,
            seconds: seconds(rest)?,
        });
    }
    if let Some(rest) = m.strip_prefix("scheduling reauthentication in ") {
        return Some(E::SchedulingRekey {
            reauth: true,
            seconds: seconds(rest)?,
        });
    }
    if let Some(rest) = m.strip_prefix("maximum IKE_SA lifetime ") {
        return Some(E::MaxLifetime {
            seconds: seconds(rest)?,
        });
    }
    // 6.0.6+ (`ike_init.c`): `192.0.2.1 is initiating IKE_SA gw[3]`.
    if let Some((remote, sa)) = m.split_once(" is initiating IKE_SA ") {
        if !remote.contains(' ') && sa_name(sa).is_some() {
            return Some(E::PeerInitiating {
                remote: remote.to_owned(),
                mode: ExchangeMode::Ikev2,
            });
        }
    }
    if let Some(rest) = m.strip_suffix(" is initiating an IKE_SA") {
        return Some(E::PeerInitiating {
            remote: rest.to_owned(),
            mode: ExchangeMode::Ikev2,
        });
    }
    if let Some((remote, mode)) = m
        .ends_with(" Mode IKE_SA")
        .then(|| m.split_once(" is initiating a "))
        .flatten()
    {
        let mode = match mode {
            "Main Mode IKE_SA" => ExchangeMode::Main,
            "Aggressive Mode IKE_SA" => ExchangeMode::Aggressive,
            _ => return None,
        };
        return Some(E::PeerInitiating {
            remote: remote.to_owned(),
            mode,
        });
    }
    if looks_like_traffic_selector(m) {
        return Some(E::TsListItem(m.to_owned()));
    }
    None
}

fn received(rest: &str) -> Option<CharonEvent> {
    use CharonEvent as E;
    // IKEv1: `received NO_PROPOSAL_CHOSEN error notify`; IKEv2: `received
    // AUTHENTICATION_FAILED notify error` and `received TS_UNACCEPTABLE notify,
    // no CHILD_SA built`.
    // ... and `received NO_PROPOSAL_CHOSEN notify in aborted CHILD_CREATE
    // task` (a CHILD_SA refused while another task ran, 5.x-6.x).
    for suffix in [
        " error notify",
        " notify error",
        " notify error, destroying IKE_SA",
        " notify, no CHILD_SA built",
        " notify in aborted CHILD_CREATE task",
    ] {
        if let Some(name) = rest.strip_suffix(suffix) {
            if name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                let notify = Notify::from_name(name);
                return Some(if suffix.contains("CHILD") {
                    E::ChildNotifyReceived(notify)
                } else {
                    E::NotifyReceived(notify)
                });
            }
        }
    }
    // IKEv1 lifetimes: `received 3600s lifetime, configured 28800s` and
    // `received lifetime 3600s does not match configured lifetime 28800s`.
    if let Some(r) = rest.strip_prefix("lifetime ") {
        let (received, r) = r.split_once("s does not match configured lifetime ")?;
        let configured = r.trim_end_matches('s');
        return Some(E::LifetimeDiffers {
            received: received.parse().ok()?,
            configured: configured.parse().ok()?,
        });
    }
    if let Some((received, r)) = rest.split_once("s lifetime, configured ") {
        return Some(E::LifetimeDiffers {
            received: received.parse().ok()?,
            configured: r.trim_end_matches('s').parse().ok()?,
        });
    }
    None
}

fn eap(kind: EapFailureKind, method: Option<&str>, user: Option<&str>) -> CharonEvent {
    CharonEvent::EapFailure {
        kind,
        method: method.map(str::to_owned),
        user: user.map(str::to_owned),
    }
}

/// `'x'` or `"x"` → `x`.
fn quoted(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix(['\'', '"'])
        .and_then(|t| t.strip_suffix(['\'', '"']))
        .unwrap_or(t)
}

/// Certificate, private key, EAP and XAuth messages.
fn credentials(m: &str) -> Option<CharonEvent> {
    use CharonEvent as E;
    use EapFailureKind as K;
    if let Some(rest) = m.strip_prefix("no trusted ") {
        let (key_type, id) = rest.split_once(" public key found for ")?;
        return Some(E::NoTrustedPublicKey {
            key_type: key_type.to_owned(),
            id: quoted(id).to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("no issuer certificate found for ") {
        return Some(E::NoIssuerCert {
            subject: quoted(rest).to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("issuer is ") {
        return Some(E::IssuerIs(quoted(rest).to_owned()));
    }
    if let Some(rest) = m.strip_prefix("self-signed certificate ") {
        let subject = rest.strip_suffix(" is not trusted")?;
        return Some(E::UntrustedSelfSigned {
            subject: quoted(subject).to_owned(),
        });
    }
    // (The cheap test first: most messages get this far.)
    if let Some((which, rest)) = m
        .ends_with(')')
        .then(|| m.split_once(" certificate invalid (valid from "))
        .flatten()
    {
        let (not_before, not_after) = rest.strip_suffix(')')?.split_once(" to ")?;
        return Some(E::CertificateInvalid {
            which: which.to_owned(),
            not_before: not_before.to_owned(),
            not_after: not_after.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("certificate was revoked on ") {
        let (on, reason) = rest.split_once(", reason: ").unwrap_or((rest, ""));
        return Some(E::CertRevoked {
            on: on.to_owned(),
            reason: reason.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("crl is stale: since ") {
        return Some(E::CrlStale {
            since: rest.to_owned(),
        });
    }
    if let Some(rest) = m.strip_prefix("constraint check failed: ") {
        return Some(E::ConstraintCheckFailed(rest.to_owned()));
    }
    if let Some(rest) = m.strip_prefix("received end entity cert ") {
        return Some(E::ReceivedEndEntityCert(quoted(rest).to_owned()));
    }
    if let Some(rest) = m
        .strip_prefix("using certificate ")
        .or_else(|| m.strip_prefix("using trusted certificate "))
    {
        return Some(E::UsingCertificate(quoted(rest).to_owned()));
    }
    if let Some(rest) = m.strip_prefix("no private key found for ") {
        return Some(E::NoPrivateKey {
            id: quoted(rest).to_owned(),
        });
    }
    // IKEv1 (5.0+, `pubkey_v1_authenticator.c`): `no RSA private key found
    // for 'id'` (also ECDSA, ED25519).
    if let Some((kind, rest)) = m
        .strip_prefix("no ")
        .and_then(|r| r.split_once(" private key found for "))
    {
        if !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Some(E::NoPrivateKey {
                id: quoted(rest).to_owned(),
            });
        }
    }
    if let Some(rest) = m.strip_prefix("XAuth authentication of ") {
        let (user, myself) = match rest.strip_suffix(" (myself) failed") {
            Some(user) => (user, true),
            None => (rest.strip_suffix(" failed")?, false),
        };
        return Some(E::XauthFailed {
            user: Some(quoted(user).to_owned()),
            myself,
        });
    }
    if m.starts_with("none of ")
        && m.contains(" found XAuth secrets for ")
        && m.ends_with("matched")
    {
        let user = m
            .rsplit_once(" - ")
            .map(|(_, u)| quoted(u.trim_end_matches("matched")).to_owned());
        return Some(E::XauthFailed {
            user,
            myself: false,
        });
    }
    if m == "destroying IKE_SA after failed XAuth authentication" {
        return Some(E::XauthFailed {
            user: None,
            myself: false,
        });
    }
    // EAP (libcharon/sa/ikev2/authenticators/eap_authenticator.c, the
    // eap-mschapv2, eap-md5 and eap-radius plugins).
    if let Some(rest) = m.strip_prefix("EAP method ") {
        if let Some((method, user)) = rest.split_once(" failed for peer ") {
            return Some(eap(K::Credentials, Some(method), Some(quoted(user))));
        }
    }
    if let Some(method) = m
        .strip_suffix(" method failed")
        .filter(|_| m.contains("EAP"))
    {
        let method = method.rsplit(' ').next().filter(|w| w.starts_with("EAP_"));
        return Some(eap(K::Failed, method, None));
    }
    if m.starts_with("EAP-MS-CHAPv2 verification failed")
        || m.starts_with("EAP-MS-CHAPv2 failed with error ERROR_AUTHENTICATION_FAILURE")
    {
        return Some(eap(K::Credentials, Some("EAP_MSCHAPV2"), None));
    }
    if m == "EAP-MD5 verification failed" {
        return Some(eap(K::Credentials, Some("EAP_MD5"), None));
    }
    if m.starts_with("verification of AUTH payload with") && m.ends_with("EAP MSK failed") {
        return Some(eap(K::Credentials, None, None));
    }
    if m == "received EAP_FAILURE, EAP authentication failed" {
        return Some(eap(K::Failed, None, None));
    }
    if let Some(rest) = m.strip_suffix(", sending EAP_NAK") {
        let method = rest
            .split(' ')
            .find(|w| w.starts_with("EAP_"))
            .map(|w| w.trim_end_matches(','));
        return Some(eap(K::MethodRefused, method, None));
    }
    if let Some(rest) = m.strip_prefix("RADIUS authentication of ") {
        let user = rest.strip_suffix(" failed")?;
        return Some(eap(K::RadiusRejected, None, Some(quoted(user))));
    }
    if m.starts_with("RADIUS ") && m.contains(" timed out after ") {
        return Some(eap(K::RadiusUnreachable, None, None));
    }
    if let Some(version) = m
        .strip_prefix("IKE version ")
        .and_then(|rest| rest.strip_suffix(" not supported"))
    {
        return Some(E::IkeVersionNotBuilt {
            version: version.trim().parse().ok()?,
        });
    }
    if let Some(rest) = m.strip_prefix("received unsupported IKE version ") {
        let (version, rest) = rest.split_once(" from ")?;
        let from = rest.split(',').next()?;
        return Some(E::UnsupportedIkeVersion {
            version: version.to_owned(),
            from: from.to_owned(),
        });
    }
    None
}

fn initiating(rest: &str) -> Option<CharonEvent> {
    let (mode, rest) = if let Some(r) = rest.strip_prefix("Main Mode IKE_SA ") {
        (ExchangeMode::Main, r)
    } else if let Some(r) = rest.strip_prefix("Aggressive Mode IKE_SA ") {
        (ExchangeMode::Aggressive, r)
    } else if let Some(r) = rest.strip_prefix("IKE_SA ") {
        (ExchangeMode::Ikev2, r)
    } else {
        return None;
    };
    let (name, remote) = rest.split_once(" to ")?;
    let (sa, _) = sa_name(name)?;
    Some(CharonEvent::InitiatingIkeSa {
        sa,
        remote: remote.trim().to_owned(),
        mode,
    })
}

/// `con2000[11] established between A[idA]...B[idB]`.
fn ike_sa_line(rest: &str) -> Option<CharonEvent> {
    let (name, rest) = rest.split_once(' ')?;
    let (sa, _) = sa_name(name)?;
    if let Some(pair) = rest.strip_prefix("established between ") {
        let (local, remote) = endpoints(pair)?;
        return Some(CharonEvent::IkeSaEstablished { sa, local, remote });
    }
    if rest.starts_with("rekeyed between ") {
        return Some(CharonEvent::IkeSaRekeyed { sa });
    }
    None
}

/// `con2000{2} established with SPIs cf4973bf_i c1cbfdf2_o and TS A === B`.
fn child_sa_line(rest: &str) -> Option<CharonEvent> {
    let (name, rest) = rest.split_once(' ')?;
    let (name, id) = name.split_once('{')?;
    let unique_id = id.strip_suffix('}')?.parse().ok();
    if !rest.starts_with("established") {
        return None;
    }
    let (_, ts) = split_once_str(rest, " and TS ")?;
    let (local_ts, remote_ts) = split_once_str(ts, " === ")?;
    Some(CharonEvent::ChildSaEstablished {
        name: name.to_owned(),
        unique_id,
        local_ts: local_ts.trim().to_owned(),
        remote_ts: remote_ts.trim().to_owned(),
    })
}

/// `peer configs matching A[idA]...B[idB]`, `pre-shared key peer configs
/// matching A...B[idB]`, `a child config for TS === TS`.
fn looking_for(rest: &str) -> Option<CharonEvent> {
    if let Some(pair) = rest.strip_prefix("a child config for ") {
        let (local_ts, remote_ts) = pair.split_once(" === ")?;
        return Some(CharonEvent::LookingForChildConfig {
            local_ts: local_ts.trim().to_owned(),
            remote_ts: remote_ts.trim().to_owned(),
        });
    }
    if let Some(r) = rest
        .strip_prefix("an IKEv")
        .or_else(|| rest.strip_prefix("a IKEv"))
    {
        let version = match r.split(' ').next()? {
            "1" => 1,
            "2" => 2,
            "1/2" => 0,
            _ => return None,
        };
        return Some(CharonEvent::LookingForIkeConfig { version });
    }
    let (_, pair) = rest.split_once("peer configs matching ")?;
    let (local, remote) = pair.split_once("...")?;
    let (local_addr, local_id) = split_bracket(local);
    let (remote_addr, remote_id) = split_bracket(remote);
    Some(CharonEvent::LookingForPeerConfigs {
        local: local_addr.to_owned(),
        local_id: local_id.filter(|id| *id != "%any").map(str::to_owned),
        remote: remote_addr.to_owned(),
        remote_id: remote_id.map(str::to_owned),
    })
}

fn proposals(list: ProposalList, rest: &str) -> CharonEvent {
    CharonEvent::Proposals {
        list,
        proposals: Proposal::parse_list(rest),
    }
}

/// `192.0.2.90[500] to 192.0.2.74[500] (236 bytes)`.
fn packet(direction: Direction, rest: &str) -> Option<CharonEvent> {
    let (from, rest) = split_once_str(rest, " to ")?;
    let to = split_once_str(rest, " (").map_or(rest, |(to, _)| to);
    let endpoint = |text: &str| {
        let (addr, port) = split_bracket(text.trim());
        Endpoint {
            addr: addr.to_owned(),
            port: port.and_then(|p| p.parse().ok()),
        }
    };
    Some(CharonEvent::Packet {
        direction,
        from: endpoint(from),
        to: endpoint(to),
    })
}

/// `QUICK_MODE request 316948142 [ HASH SA No ID ID ]`.
fn message_line(direction: Direction, rest: &str) -> Option<CharonEvent> {
    let mut words = rest.splitn(4, ' ');
    let exchange = words.next()?;
    let request = match words.next()? {
        "request" => true,
        "response" => false,
        _ => return None,
    };
    let _id = words.next()?;
    let payloads = words
        .next()
        .map(|p| Payloads::from_list(p.trim_start_matches('[').trim_end_matches(']')))
        .unwrap_or_default();
    Some(CharonEvent::Message {
        direction,
        exchange: exchange.to_owned(),
        request,
        payloads,
    })
}

/// `con2000[11]` → name and id; also returns the rest after `]`.
fn sa_name(text: &str) -> Option<(SaName, &str)> {
    let (name, rest) = text.split_once('[')?;
    let (id, rest) = rest.split_once(']')?;
    Some((
        SaName {
            name: name.to_owned(),
            unique_id: id.parse().ok(),
        },
        rest,
    ))
}

/// `A[idA]...B[idB]`.
fn endpoints(pair: &str) -> Option<(IdEndpoint, IdEndpoint)> {
    let (local, remote) = pair.split_once("]...")?;
    let local = format!("{local}]");
    let make = |text: &str| {
        let (addr, id) = split_bracket(text.trim());
        IdEndpoint {
            addr: addr.to_owned(),
            id: id.unwrap_or("%any").to_owned(),
        }
    };
    Some((make(&local), make(remote)))
}

/// `addr[inner]` → (`addr`, `Some(inner)`); `addr` → (`addr`, `None`).
/// `str::split_once` with a string separator. The standard one sets up a
/// two-way searcher at every call, and packet lines are the most frequent
/// that diagnosis parses; their separators start with a byte that is rare
/// in them (a space), so each occurrence of it is tried in turn.
pub(crate) fn split_once_str<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let (bytes, sep) = (text.as_bytes(), separator.as_bytes());
    let first = *sep.first()?;
    let mut from = 0;
    while let Some(i) = memchr::memchr(first, &bytes[from..]) {
        let at = from + i;
        if bytes[at..].starts_with(sep) {
            // The separator is whole characters: both cuts are boundaries.
            return Some((&text[..at], &text[at + sep.len()..]));
        }
        from = at + 1;
    }
    None
}

fn split_bracket(text: &str) -> (&str, Option<&str>) {
    match text.split_once('[') {
        Some((addr, inner)) if inner.ends_with(']') => (addr, Some(&inner[..inner.len() - 1])),
        _ => (text, None),
    }
}

/// `13525s` → 13525.
fn seconds(text: &str) -> Option<u64> {
    text.trim().trim_end_matches('s').parse().ok()
}

/// `192.168.48.0/24|/0`, `10.0.0.1/32[udp/500]`, `dynamic`, `0.0.0.0/0`.
fn looks_like_traffic_selector(m: &str) -> bool {
    if m.is_empty() || m.len() > 200 || m.contains(' ') {
        return false;
    }
    let first = m.split(['[', '|']).next().unwrap_or(m);
    m == "dynamic"
        || (first.contains('/')
            && first
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'/')))
}

#[cfg(test)]
mod tests;
