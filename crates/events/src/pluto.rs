//! Libreswan's pluto messages, by the text pluto prints.
//!
//! pluto writes `"CONN" #N: message` (`"CONN"[2] 203.0.113.5 #N: ...` for an
//! instance of a template connection, `"CONN": ...` for the connection
//! itself), sometimes after `ERROR: `. `#N` is pluto's state (serial)
//! number: one per IKE SA and one per Child SA. Both wordings are typed: 4.x
//! (`initiator established IKE SA`, `IKE SA established {...}`, `5 second
//! timeout exceeded after 3 retransmits`) and 3.x, which put the state name
//! first (`STATE_MAIN_I4: ISAKMP SA established`, `max number of
//! retransmissions (8) reached STATE_MAIN_I1`).

/// One pluto message, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum PlutoEvent {
    /// `initiating IKEv2 connection`, `initiating IKEv1 Main Mode connection`,
    /// `initiating Quick Mode ...`, 3.x `STATE_MAIN_I1: initiate`.
    Initiating {
        /// A Child SA (Quick Mode, CREATE_CHILD_SA), not an IKE SA.
        child: bool,
    },
    /// `responding to Main Mode`, `proposal ... chosen from remote proposals`.
    Responding {
        /// A Child SA (Quick Mode, ESP/AH proposal), not an IKE SA.
        child: bool,
    },
    /// The IKE SA is up: `initiator established IKE SA`, `responder
    /// established IKE SA`, `IKE SA established {...}` (IKEv1), 3.x `ISAKMP
    /// SA established`.
    IkeSaEstablished,
    /// A Child SA is up: `established Child SA`, 3.x `IPsec SA established`
    /// / `PARENT SA established`.
    ChildSaEstablished,
    /// The peer answered NO_PROPOSAL_CHOSEN (`received and ignored
    /// notification payload: NO_PROPOSAL_CHOSEN`, `dropping unexpected
    /// IKE_SA_INIT message containing NO_PROPOSAL_CHOSEN notification`,
    /// `IKE_AUTH response rejected Child SA with NO_PROPOSAL_CHOSEN`).
    PeerNoProposal,
    /// The peer refused the Child SA (Phase 2) with NO_PROPOSAL_CHOSEN,
    /// whatever came before in the log: 4.x `IKE_AUTH response rejected
    /// Child SA with NO_PROPOSAL_CHOSEN`, 3.x `dropping unexpected
    /// ISAKMP_v2_IKE_AUTH message containing v2N_NO_PROPOSAL_CHOSEN
    /// notification` (IDr and AUTH came with it: the IKE SA was fine),
    /// 3.25-5.3 `IKE_AUTH response contained the error notification
    /// NO_PROPOSAL_CHOSEN`, `CREATE_CHILD_SA failed with error notification
    /// NO_PROPOSAL_CHOSEN`.
    PeerChildNoProposal,
    /// The peer's identity is not the one this connection requires: IKEv1
    /// `we require IKEv1 peer to have ID '@x', but peer declares 'y'`
    /// (3.x-5.x `ikev1_main.c`), IKEv2 `Peer ID 'x' mismatched on first found
    /// connection and no better connection found` (3.x-4.x).
    IdMismatch {
        /// The identity required, where logged.
        expected: String,
        /// The identity the peer sent.
        got: String,
    },
    /// The peer's signature (certificate or raw key) does not verify with
    /// what this side has for it: `RSA authentication failed` and later
    /// forms (see `parse_body`).
    SignatureFailed {
        /// The message.
        reason: String,
    },
    /// NSS refused to make or check a signature with an algorithm the
    /// system's crypto policy disables: `NSS: SGN_Digest(SHA-1) function
    /// failed: SEC_ERROR_SIGNATURE_ALGORITHM_DISABLED` (RHEL 9 family, 4.x-5.x).
    SignatureAlgorithmDisabled {
        /// NSS's text.
        reason: String,
    },
    /// `no local proposal matches remote proposals 1:IKE:ENCR=...`: this side,
    /// as responder, accepts none of the peer's proposals.
    NoLocalProposal {
        /// The peer's proposals as pluto prints them.
        remote: String,
    },
    /// This side, as IKEv2 responder, accepts none of the peer's Child SA
    /// proposals: `IKE_AUTH responder matching remote ESP/AH proposals
    /// failed, responder SA processing returned STF_FAIL+v2N_NO_PROPOSAL_CHOSEN`
    /// (4.x; recorded with 4.3 in the lab, after `no local proposal matches
    /// remote proposals 1:ESP:...`).
    NoLocalChildProposal,
    /// `we require PFS but Quick I1 SA specifies no GROUP_DESCRIPTION` (or
    /// the other way round).
    PfsMismatch,
    /// `IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED`
    /// (3.x: `v2N_AUTHENTICATION_FAILED`; IKEv1: `received and ignored
    /// notification payload: AUTHENTICATION_FAILED`).
    PeerAuthFailed,
    /// This side, as IKEv2 responder, refused the peer's IKE_AUTH without
    /// saying why: `responding to IKE_AUTH message (ID 1) from A:4500 with
    /// encrypted notification AUTHENTICATION_FAILED` (programs/pluto/
    /// ikev2_send.c, 3.x-5.x; 5.x no longer logs the failed check before
    /// it, e.g. the peer's ID against its certificate's subjectAltName, as
    /// recorded with 5.2 in the lab).
    AuthRefused,
    /// `IKEv1 Aggressive Mode with PSK is vulnerable to dictionary attacks
    /// ...`: this connection uses Aggressive Mode with a pre-shared key.
    AggressivePsk,
    /// The peer's AUTH/HASH does not match the one computed with this side's
    /// key: `authentication failed: computed hash does not match hash
    /// received from peer`, IKEv1 `received Hash Payload does not match
    /// computed value`.
    HashMismatch,
    /// No PSK for an identity: `authentication failed: no PSK found for 'ID'`.
    NoPsk {
        /// The identity.
        id: String,
    },
    /// IKEv1 initiator, Main Mode after the first encrypted message: the
    /// peer's answer does not decrypt (`length of ISAKMP Hash Payload is
    /// larger than can fit`, `Possible authentication failure: no acceptable
    /// response to our first encrypted message`): the keys differ.
    UndecryptableReply,
    /// The peer rejected the traffic selectors (`... rejected Child SA with
    /// TS_UNACCEPTABLE`, IKEv1 `notification payload: INVALID_ID_INFORMATION`).
    PeerTsRejected,
    /// This side found no connection for the peer's traffic selectors (`No
    /// IKEv2 connection found with compatible Traffic Selectors`, IKEv1
    /// `cannot respond to IPsec SA request because no connection is known`).
    NoTsMatch,
    /// `STATE_X: retransmission; will wait N seconds for response`.
    Retransmit {
        /// The state is an initiator's first (`STATE_MAIN_I1`,
        /// `STATE_AGGR_I1`, `STATE_PARENT_I1`, 4.x `STATE_V2_PARENT_I1`, 5.x
        /// `IKE_SA_INIT_I`): nothing has come back from the peer yet.
        first_message: bool,
    },
    /// IKEv1 responder: `Oakley Transform [AES_CBC (128), HMAC_MD5,
    /// MODP2048] refused` (3.x-4.x, `ikev1_spdb_struct.c`; 3.x also with
    /// `OAKLEY_` prefixes): one of the peer's Phase 1 transforms is not
    /// configured here. Printed for each transform tried; a later one may
    /// still be accepted.
    OakleyRefused {
        /// The transform as printed between the brackets.
        transform: String,
    },
    /// XAuth refused the user's credentials: `XAUTH: User NAME: Authentication
    /// Failed: Incorrect Username or Password` and `XAUTH: failure
    /// user(NAME:conn)` (IKEv1 responder, `ikev1_xauth.c`, 3.x-4.x).
    XauthFailed {
        /// The user name, where logged.
        user: String,
    },
    /// pluto answered the peer's Phase 1 and goes on: IKEv1 `STATE_MAIN_R1:
    /// sent MR1, expecting MI2` (3.x-4.x), `sent Main Mode R1` (4.x-5.x),
    /// Aggressive `sent AR1`, IKEv2 `sent IKE_SA_INIT reply` (4.x-5.x), 3.x
    /// `sent v2R1`: a transform was accepted.
    Phase1Answered,
    /// pluto aborted: `ABORT: ASSERTION FAILED: ...` (Libreswan 3.x-5.x
    /// `passert`), Openswan's `ABORT at .../keys.c:488`.
    DaemonCrashed {
        /// The message.
        what: String,
    },
    /// pluto cannot talk to the kernel's IPsec: `FATAL ERROR: Failed to bind
    /// bcast socket in init_netlink() - Perhaps kernel was not compiled with
    /// CONFIG_XFRM` (`kernel_xfrm.c`, 3.x-4.x), `No Kernel XFRM/NETKEY
    /// interface detected`, `kernel interface ... not available`.
    KernelInterfaceFailed {
        /// The message.
        reason: String,
    },
    /// pluto gave up waiting: `N second timeout exceeded after N retransmits`
    /// / 3.x `max number of retransmissions (N) reached STATE_X`.
    GaveUp {
        /// The state it was in, e.g. `STATE_V2_PARENT_I1`.
        state: String,
        /// Nothing came back to the first message of the exchange.
        first_message: bool,
    },
    /// The kernel refused an SA: `netlink response for Add SA ...: Protocol
    /// not supported (errno 93)`, 3.x `ERROR: netlink XFRM_MSG_NEWSA response
    /// ...`, `setup_half_ipsec_sa() hit fail`.
    KernelSaFailed {
        /// The error, e.g. `Protocol not supported (errno 93)`.
        reason: String,
    },
    /// One of this side's configured proposals, listed when a connection is
    /// added: `1:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048`.
    LocalProposal {
        /// `IKE`, `ESP` or `AH`.
        kind: String,
        /// The transforms, e.g. `AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048`.
        transforms: String,
    },
    /// NSS refused the peer's certificate: `NSS: ERROR: IPsec certificate
    /// CN=...,O=...,C=CH invalid: SEC_ERROR_UNKNOWN_ISSUER: Peer's
    /// Certificate issuer is not recognized.`
    CertInvalid {
        /// The certificate's subject as NSS prints it.
        subject: String,
        /// NSS's error code, e.g. `SEC_ERROR_EXPIRED_CERTIFICATE`.
        code: String,
        /// NSS's words for it.
        reason: String,
    },
    /// The peer's certificate does not name the identity it claims: `X509:
    /// authentication failed; peer certificate subjectAltName extension does
    /// not match ID_FQDN 'right.lab.example'`.
    CertIdMismatch {
        /// The identity, e.g. `right.lab.example`.
        id: String,
    },
    /// pluto refused to load a connection or its secrets (`Failed to add
    /// connection "x": ike string error: ...`; see
    /// [`crate::config_load_failure`]).
    ConfigLoadFailed {
        /// What was refused, as logged.
        what: String,
        /// What it will break.
        affects: crate::ConfigPart,
    },
    /// Anything else.
    Unrecognized,
}

/// One pluto line: the connection and state it names, and its event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlutoLine {
    /// The connection name (without quotes and instance number).
    pub connection: Option<String>,
    /// The state serial number (`#3`).
    pub state: Option<u64>,
    /// Whether the line began with `ERROR:`.
    pub error: bool,
    /// What the message means.
    pub event: PlutoEvent,
}

/// Types one pluto message (the text after `pluto[PID]: `).
pub fn parse_pluto(message: &str) -> PlutoLine {
    let mut rest = message.trim();
    let mut error = false;
    if let Some(r) = rest.strip_prefix("ERROR: ") {
        error = true;
        rest = r;
    }
    // 5.4 puts `warning: ` before the connection prefix (`log.c`).
    if let Some(r) = rest.strip_prefix("warning: ") {
        rest = r;
    }
    let (connection, state, body) = split_prefix(rest);
    if let Some(r) = body.strip_prefix("ERROR: ") {
        error = true;
        let event = match parse_body(r) {
            // 3.22-3.32 print NSS's refusal of a certificate after `ERROR: `
            // (`ERROR: Issuer certificate is invalid.`, `nss_cert_verify.c`).
            PlutoEvent::Unrecognized => {
                certificate(&format!("ERROR: {r}")).unwrap_or(PlutoEvent::Unrecognized)
            }
            event => event,
        };
        return PlutoLine {
            connection,
            state,
            error,
            event,
        };
    }
    PlutoLine {
        connection,
        state,
        error,
        event: parse_body(body),
    }
}

/// `"conn"[1] 192.0.2.1 #3: body` -> (conn, 3, body).
fn split_prefix(s: &str) -> (Option<String>, Option<u64>, &str) {
    let Some(after) = s.strip_prefix('"') else {
        return (None, None, s);
    };
    let Some((name, tail)) = after.split_once('"') else {
        return (None, None, s);
    };
    let Some((head, body)) = tail.split_once(": ") else {
        return (
            Some(name.to_owned()),
            None,
            tail.trim_start_matches(':').trim(),
        );
    };
    // head: "", "[1] 192.0.2.1", " #3", "[1] 192.0.2.1 #3"
    let state = head
        .rsplit_once('#')
        .and_then(|(_, n)| n.trim().parse::<u64>().ok());
    (Some(name.to_owned()), state, body)
}

fn parse_body(body: &str) -> PlutoEvent {
    // 3.x puts the state name first: "STATE_MAIN_I4: ISAKMP SA established";
    // 5.1+ names IKEv2 states without "STATE_" ("IKE_SA_INIT_I: ...").
    let (state_name, text) = match body.split_once(": ") {
        Some((st, t)) if is_state_name(st) => (Some(st), t),
        _ => (None, body),
    };
    if let Some(ev) = local_proposal(text) {
        return ev;
    }
    if let Some((affects, what)) = crate::libreswan_config_load_failure(body) {
        return PlutoEvent::ConfigLoadFailed {
            what: what.to_owned(),
            affects,
        };
    }
    // 5.4 IKEv2: `retransmitting IKE_SA_INIT request; will wait 0.5 seconds
    // for response` (`ikev2_retransmit.c`).
    if let Some(r) = text.strip_prefix("retransmitting ") {
        if r.contains("; will wait ") {
            return PlutoEvent::Retransmit {
                first_message: r.starts_with("IKE_SA_INIT "),
            };
        }
    }
    if text.contains("retransmission; will wait") {
        let first_message = state_name.is_some_and(|st| {
            st.ends_with("_I1") || st == "IKE_SA_INIT_I" || st.starts_with("IKE_SA_INIT_I ")
        });
        return PlutoEvent::Retransmit { first_message };
    }
    if let Some(r) = text.strip_prefix("XAUTH: User ") {
        if let Some((user, _)) = r.split_once(": Authentication Failed") {
            return PlutoEvent::XauthFailed {
                user: user.to_owned(),
            };
        }
    }
    if let Some(r) = text.strip_prefix("XAUTH: failure user(") {
        let user = r.split([':', ')']).next().unwrap_or("");
        return PlutoEvent::XauthFailed {
            user: user.to_owned(),
        };
    }
    if let Some(r) = text.strip_prefix("Oakley Transform [") {
        if let Some((transform, tail)) = r.rsplit_once(']') {
            if tail.trim_start().starts_with("refused") {
                return PlutoEvent::OakleyRefused {
                    transform: transform.to_owned(),
                };
            }
        }
    }
    if text.contains("init_netlink()") && text.contains("Failed to bind")
        || text.contains("No Kernel XFRM/NETKEY interface detected")
        || text.contains("No XFRM kernel interface detected")
    {
        return PlutoEvent::KernelInterfaceFailed {
            reason: text.trim_start_matches("FATAL ERROR: ").to_owned(),
        };
    }
    if let Some(ev) = gave_up(state_name, text) {
        return ev;
    }
    if text.contains("netlink response for Add SA")
        || text.contains("netlink XFRM_MSG_NEWSA response")
        || text.contains("netlink XFRM_MSG_UPDSA response")
    {
        let reason = text.rsplit_once(": ").map_or("", |(_, r)| r).to_owned();
        let reason = reason
            .strip_prefix("included errno ")
            .map_or(reason.clone(), str::to_owned);
        return PlutoEvent::KernelSaFailed { reason };
    }
    if text.starts_with("responding to IKE_AUTH message") {
        if text.ends_with("with encrypted notification AUTHENTICATION_FAILED") {
            return PlutoEvent::AuthRefused;
        }
        // 4.3 as responder: the peer's traffic selectors refused, with no
        // other line saying so (lab ikev2-pluto-responder-p2-ts-mismatch)
        if text.ends_with("with encrypted notification TS_UNACCEPTABLE") {
            return PlutoEvent::NoTsMatch;
        }
    }
    if text.starts_with("setup_half_ipsec_sa() hit fail") {
        return PlutoEvent::KernelSaFailed {
            reason: String::new(),
        };
    }
    if text.starts_with("initiating ") || text == "initiate" {
        let child = text.starts_with("initiating Quick Mode")
            || text.starts_with("initiating Child SA")
            || text.starts_with("initiating CREATE_CHILD_SA");
        return PlutoEvent::Initiating { child };
    }
    if text.starts_with("responding to ") && text.contains(" Mode") {
        return PlutoEvent::Responding {
            child: text.starts_with("responding to Quick Mode"),
        };
    }
    if text.starts_with("proposal ") && text.contains(" chosen from remote proposals") {
        return PlutoEvent::Responding {
            child: !text.contains(":IKE="),
        };
    }
    // 4.7+ `initiator|responder established IKE SA`, 4.5-4.6 `established
    // IKE SA; authenticated using authby=...`, IKEv1 `IKE SA established`,
    // 3.x `sent MR3|AI2|MI3, ISAKMP SA established` after the state name.
    if text.starts_with("initiator established IKE SA")
        || text.starts_with("responder established IKE SA")
        || text.starts_with("established IKE SA")
        || text.starts_with("IKE SA established")
        || text.contains("ISAKMP SA established")
    {
        return PlutoEvent::IkeSaEstablished;
    }
    if text.contains("established Child SA")
        || text.contains("IPsec SA established")
        || text.contains("PARENT SA established")
    {
        return PlutoEvent::ChildSaEstablished;
    }
    if let Some(remote) = text.strip_prefix("no local proposal matches remote proposals ") {
        return PlutoEvent::NoLocalProposal {
            remote: remote.to_owned(),
        };
    }
    if text.contains("no acceptable Oakley Transform") {
        return PlutoEvent::NoLocalProposal {
            remote: String::new(),
        };
    }
    if let Some(r) = text.strip_prefix("we require IKEv1 peer to have ID '") {
        if let Some((expected, got)) = r.split_once("', but peer declares '") {
            return PlutoEvent::IdMismatch {
                expected: expected.to_owned(),
                got: got.trim_end_matches('\'').to_owned(),
            };
        }
    }
    if let Some(r) = text.strip_prefix("Peer ID '") {
        if let Some((got, _)) = r.split_once("' mismatched on first found connection") {
            return PlutoEvent::IdMismatch {
                expected: String::new(),
                got: got.to_owned(),
            };
        }
    }
    if text.contains("SEC_ERROR_SIGNATURE_ALGORITHM_DISABLED") {
        return PlutoEvent::SignatureAlgorithmDisabled {
            reason: text.trim_start_matches("NSS: ").to_owned(),
        };
    }
    // IKEv1 responder, 4.x-5.x (`ikev1_quick.c`): `Quick Mode request
    // rejected, peer requested lease but proposed local selector X does not
    // match connection Y`.
    if text.starts_with("Quick Mode request rejected") {
        return PlutoEvent::NoTsMatch;
    }
    // 4.5-5.3 `CHILD SA failed: NO_PROPOSAL_CHOSEN` / `: TS_UNACCEPTABLE`;
    // `state transition 'Initiator: process IKE_AUTH response' failed with
    // TS_UNACCEPTABLE` (4.x).
    if let Some(notify) = text.strip_prefix("CHILD SA failed: ").or_else(|| {
        text.strip_prefix("state transition '")
            .and_then(|r| r.split_once("' failed with "))
            .map(|(_, n)| n)
    }) {
        match notify.trim() {
            "NO_PROPOSAL_CHOSEN" | "v2N_NO_PROPOSAL_CHOSEN" => {
                return PlutoEvent::PeerChildNoProposal
            }
            "TS_UNACCEPTABLE" | "v2N_TS_UNACCEPTABLE" => return PlutoEvent::PeerTsRejected,
            _ => {}
        }
    }
    // IKEv1 PFS, the other direction (every version): `Quick Mode I1
    // message KE payload requires a GROUP_DESCRIPTION attribute in SA`.
    if text.contains("KE payload requires a GROUP_DESCRIPTION attribute") {
        return PlutoEvent::PfsMismatch;
    }
    // 3.x: a failed transition names the notification pluto sends, after
    // the state: `STATE_MAIN_I3: INVALID_ID_INFORMATION` (the peer's
    // identity is refused).
    if state_name.is_some_and(|st| st.starts_with("STATE_MAIN") || st.starts_with("STATE_AGGR"))
        && text == "INVALID_ID_INFORMATION"
    {
        return PlutoEvent::IdMismatch {
            expected: String::new(),
            got: String::new(),
        };
    }
    // The peer's signature does not verify: 3.0-3.27 `RSA authentication
    // failed`, 3.22-3.25 `Digital Signature authentication failed`, 4.5+
    // `authentication failed: using RSA with SHA2_512 for 'id' tried ...`
    // and `authentication failed: no certificate matched ...`.
    if text == "RSA authentication failed"
        || text == "Digital Signature authentication failed"
        || text.starts_with("authentication failed: using ")
        || text.starts_with("authentication failed: no certificate matched")
    {
        return PlutoEvent::SignatureFailed {
            reason: text.to_owned(),
        };
    }
    if text.contains("NO_PROPOSAL_CHOSEN")
        && (text.contains("IKE_AUTH message containing")
            || text.contains("rejected Child SA with NO_PROPOSAL_CHOSEN")
            || text.contains("error notification NO_PROPOSAL_CHOSEN")
            || text.contains("response for Child SA"))
    {
        return PlutoEvent::PeerChildNoProposal;
    }
    // The kernel refused a policy: `ERROR: netlink XFRM_MSG_NEWPOLICY
    // response for flow ... included errno 17: File exists` (Openswan 2.6,
    // 3.0-4.4), `kernel: xfrm XFRM_MSG_UPDPOLICY ... response for flow
    // (in): Operation not supported (errno 95)` (4.6+), and at start-up
    // `FATAL ERROR: kernel: could not insert ... bypass policy` (4.x).
    if text.starts_with("sent MR1")
        || text.starts_with("sent Main Mode R1")
        || text.starts_with("sent AR1")
        || text.starts_with("sent Aggressive Mode R1")
        || text.starts_with("sent IKE_SA_INIT reply")
        || text.starts_with("sent v2R1")
    {
        return PlutoEvent::Phase1Answered;
    }
    if text.starts_with("ABORT: ") || text.starts_with("ABORT at ") {
        return PlutoEvent::DaemonCrashed {
            what: text.to_owned(),
        };
    }
    if text.starts_with("FATAL ERROR: kernel:") {
        return PlutoEvent::KernelInterfaceFailed {
            reason: text.trim_start_matches("FATAL ERROR: ").to_owned(),
        };
    }
    // 5.4: `netlink response for XFRM_MSG_NEWSA esp.SPI@ADDR: Protocol not
    // supported (errno 93)`.
    if let Some(r) = text.strip_prefix("netlink response for XFRM_MSG_NEWSA ") {
        let reason = r.split_once(": ").map_or("", |(_, reason)| reason);
        return PlutoEvent::KernelSaFailed {
            reason: reason.to_owned(),
        };
    }
    if text.contains("XFRM_MSG_") && text.contains(" response for flow") {
        let reason = text.rsplit_once("): ").map_or(text, |(_, r)| r);
        let reason = reason.rsplit_once(": ").map_or(reason, |(_, r)| r);
        return PlutoEvent::KernelSaFailed {
            reason: reason.to_owned(),
        };
    }
    match peer_notification(text) {
        Some("NO_PROPOSAL_CHOSEN" | "v2N_NO_PROPOSAL_CHOSEN") if text.contains("IKE_AUTH") => {
            return PlutoEvent::PeerChildNoProposal
        }
        Some("NO_PROPOSAL_CHOSEN" | "v2N_NO_PROPOSAL_CHOSEN") => return PlutoEvent::PeerNoProposal,
        Some("AUTHENTICATION_FAILED" | "v2N_AUTHENTICATION_FAILED") => {
            return PlutoEvent::PeerAuthFailed
        }
        Some("INVALID_ID_INFORMATION" | "TS_UNACCEPTABLE" | "v2N_TS_UNACCEPTABLE") => {
            return PlutoEvent::PeerTsRejected
        }
        _ => {}
    }
    // Debug lines (`| ...`, plutodebug) are not messages.
    if text.starts_with("| ") {
        return PlutoEvent::Unrecognized;
    }
    if text.contains("responder matching remote ESP/AH proposals failed") {
        return PlutoEvent::NoLocalChildProposal;
    }
    if text.contains("NO_PROPOSAL_CHOSEN") && text.contains("v2N_NO_PROPOSAL_CHOSEN") {
        return PlutoEvent::PeerNoProposal;
    }
    if text.starts_with("we require PFS but") || text.contains("we don't want PFS") {
        return PlutoEvent::PfsMismatch;
    }
    // 3.28+ `IKE SA authentication request rejected by peer: X`; 3.25-3.27
    // `IKE SA authentication request rejected: X`.
    if text.contains("AUTHENTICATION_FAILED")
        && (text.contains("rejected by peer")
            || text.contains("authentication request rejected")
            || text.contains("v2N_AUTHENTICATION_FAILED"))
    {
        return PlutoEvent::PeerAuthFailed;
    }
    if text.starts_with("IKEv1 Aggressive Mode with PSK is vulnerable") {
        return PlutoEvent::AggressivePsk;
    }
    if let Some(id) = text.strip_prefix("authentication failed: no PSK found for ") {
        return PlutoEvent::NoPsk {
            id: id.trim_matches('\'').to_owned(),
        };
    }
    // IKEv1, every version (`ikev1_spdb_struct.c`): ``Can't authenticate: no
    // preshared key found for `A' and `B'``.
    if let Some(ids) = text.strip_prefix("Can't authenticate: no preshared key found for ") {
        return PlutoEvent::NoPsk {
            id: ids.replace(['`', '\''], ""),
        };
    }
    // IKEv1, every version and Openswan 2.6 (`ikev1.c`): the classic wrong
    // pre-shared key, `probable authentication failure (mismatch of
    // preshared secrets?): malformed payload in packet`.
    if text.starts_with("probable authentication failure (mismatch of preshared secrets?)") {
        return PlutoEvent::UndecryptableReply;
    }
    if text.starts_with("authentication failed: computed hash does not match")
        || text.starts_with("received Hash Payload does not match computed value")
        || text.contains("AUTH mismatch")
    {
        return PlutoEvent::HashMismatch;
    }
    if text.contains("length of ISAKMP Hash Payload is larger than can fit") {
        return PlutoEvent::UndecryptableReply;
    }
    if text.contains("TS_UNACCEPTABLE") && text.contains("rejected Child SA")
        || text.contains("v2N_TS_UNACCEPTABLE")
        || text.contains("error notification TS_UNACCEPTABLE")
        || text.contains("was rejected with TS_UNACCEPTABLE")
    {
        return PlutoEvent::PeerTsRejected;
    }
    if let Some(event) = certificate(text) {
        return event;
    }
    // `No IKEv2 connection found with compatible Traffic Selectors` (and a
    // lower-case `no` in 4.6 and 5.0-5.3); 5.4 `Child SA's Traffic Selector
    // request {...} does not match any IKEv2 connection; responding with
    // TS_UNACCEPTABLE` (`ikev2_ts.c`).
    if text.starts_with("No IKEv2 connection found with compatible Traffic Selectors")
        || text.starts_with("no IKEv2 connection found with compatible Traffic Selectors")
        || text.starts_with("cannot respond to IPsec SA request because no connection is known")
        || text.starts_with("Child SA's Traffic Selector request")
            && text.contains("responding with TS_UNACCEPTABLE")
    {
        return PlutoEvent::NoTsMatch;
    }
    PlutoEvent::Unrecognized
}

/// `STATE_MAIN_I1`, and 5.1+'s `IKE_SA_INIT_I`, `IKE_AUTH_R`,
/// `ESTABLISHED_IKE_SA`: capitals, digits and underscores with one
/// underscore at least.
fn is_state_name(word: &str) -> bool {
    word.len() >= 4
        && word.contains('_')
        && word.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && word
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !matches!(word, "NSS_ERROR")
}

/// A notification the peer sent and pluto ignored or reported, IKEv1 and
/// IKEv2, across versions: 3.27-5.1 `received and ignored notification
/// payload: X`; 3.3-5.1 `ignoring informational payload X, msgid=...,
/// length=...`; Openswan 2.6/3.0 `ignoring informational payload, type X
/// msgid=...`; 5.2+ `ignoring unsecured informational payload X, length=...`
/// and `ignoring secured informational payload X, ...`; 5.2+ `ignoring
/// IKE_SA_INIT response containing X notification`; 3.25-5.0 `dropping
/// unexpected IKE_SA_INIT message containing X notification`.
fn peer_notification(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("received and ignored notification payload: ")
        .or_else(|| text.strip_prefix("ignoring informational payload, type "))
        .or_else(|| text.strip_prefix("ignoring informational payload "))
        .or_else(|| text.strip_prefix("ignoring unsecured informational payload "))
        .or_else(|| text.strip_prefix("ignoring secured informational payload "))
        .or_else(|| text.strip_prefix("ignoring IKE_SA_INIT response containing "))
        .or_else(|| text.strip_prefix("dropping unexpected IKE_SA_INIT message containing "))
        .or_else(|| {
            text.strip_prefix("dropping unexpected ")
                .and_then(|r| r.split_once(" message containing "))
                .map(|(_, r)| r)
        })?;
    let name = rest.split([',', ' ']).next()?;
    (!name.is_empty()).then_some(name)
}

fn certificate(text: &str) -> Option<PlutoEvent> {
    if let Some(r) = text.strip_prefix("NSS: ERROR: IPsec certificate ") {
        let (subject, tail) = r.split_once(" invalid: ")?;
        let (code, reason) = tail.split_once(": ").unwrap_or((tail, ""));
        return Some(PlutoEvent::CertInvalid {
            subject: subject.to_owned(),
            code: code.to_owned(),
            reason: reason.trim_end_matches('.').to_owned(),
        });
    }
    // 3.22-3.32 `ERROR: <NSS text>`, 4.0-4.5 `NSS ERROR: <NSS text>`, 4.0+
    // `NSS: end certificate invalid` (`nss_cert_verify.c`).
    if text.starts_with("NSS: end certificate invalid") {
        return Some(PlutoEvent::CertInvalid {
            subject: String::new(),
            code: "SEC_ERROR_UNKNOWN_ISSUER".to_owned(),
            reason: "end certificate invalid".to_owned(),
        });
    }
    for prefix in ["NSS ERROR: ", "ERROR: "] {
        if let Some(reason) = text.strip_prefix(prefix) {
            if reason.contains("certificate") || reason.contains("Certificate") {
                let expired = reason.contains("expired") || reason.contains("not yet valid");
                let code = if expired {
                    "SEC_ERROR_EXPIRED_CERTIFICATE"
                } else {
                    "SEC_ERROR_UNKNOWN_ISSUER"
                };
                return Some(PlutoEvent::CertInvalid {
                    subject: String::new(),
                    code: code.to_owned(),
                    reason: reason.trim_end_matches('.').to_owned(),
                });
            }
        }
    }
    // 4.6+ `X509: authentication failed; peer certificate subjectAltName
    // extension does not match ID_FQDN 'x'`; 3.30-4.4 without "peer " and
    // the X509 prefix; `certificate contains no subjectAltName extension to
    // match ID_FQDN 'x'` (3.30+), `... matching 'x'` (3.28-3.29).
    // 3.x-4.x: `certificate does not contain ID_IP subjectAltName=192.0.2.1`.
    if let Some(r) = text.strip_prefix("certificate does not contain ID_") {
        let id = r.split_once("subjectAltName=").map_or(r, |(_, id)| id);
        return Some(PlutoEvent::CertIdMismatch { id: id.to_owned() });
    }
    let (_, claimed) = text
        .split_once("certificate subjectAltName extension does not match ")
        .or_else(|| text.split_once("certificate contains no subjectAltName extension to match "))
        .or_else(|| {
            text.split_once("certificate contains no subjectAltName extension matching ")
        })?;
    // `ID_FQDN 'right.lab.example'`
    let id = claimed
        .split_once('\'')
        .map_or(claimed, |(_, id)| id.trim_end_matches('\''));
    Some(PlutoEvent::CertIdMismatch { id: id.to_owned() })
}

/// `1:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048`
fn local_proposal(text: &str) -> Option<PlutoEvent> {
    let (num, rest) = text.trim().split_once(':')?;
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (kind, transforms) = rest.split_once('=')?;
    if !matches!(kind, "IKE" | "ESP" | "AH") || transforms.contains(' ') {
        return None;
    }
    Some(PlutoEvent::LocalProposal {
        kind: kind.to_owned(),
        transforms: transforms.to_owned(),
    })
}

fn gave_up(state_name: Option<&str>, text: &str) -> Option<PlutoEvent> {
    // 4.x: "STATE_V2_PARENT_I1: 5 second timeout exceeded after 3 retransmits.  ..."
    // 3.x: "max number of retransmissions (8) reached STATE_MAIN_I1.  ..."
    // 3.23-5.x: "STATE_MAIN_I1: max number of retransmissions (2) reached
    // after 1 seconds.  ..." (the state comes first).
    let state = if text.contains(" second timeout exceeded after ") {
        state_name.unwrap_or("").to_owned()
    } else if let Some(r) = text.strip_prefix("max number of retransmissions") {
        match state_name {
            Some(st) => st.to_owned(),
            None => r
                .split_once(" reached ")
                .map(|(_, s)| s.split(['.', ' ']).next().unwrap_or("").to_owned())
                .filter(|s| s != "after")
                .unwrap_or_default(),
        }
    } else {
        return None;
    };
    if text.contains("Possible authentication failure")
        || text.contains("possible authentication failure")
    {
        return Some(PlutoEvent::UndecryptableReply);
    }
    let first_message = text.contains("No response (or no acceptable response) to our first");
    Some(PlutoEvent::GaveUp {
        state,
        first_message,
    })
}

impl PlutoLine {
    /// Whether the line looks like pluto's (names a quoted connection).
    pub fn names_connection(&self) -> bool {
        self.connection.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let l = parse_pluto(r#""gw-gw" #1: initiating IKEv2 connection"#);
        assert_eq!(l.connection.as_deref(), Some("gw-gw"));
        assert_eq!(l.state, Some(1));
        assert_eq!(l.event, PlutoEvent::Initiating { child: false });
        let l = parse_pluto(
            r#""rw"[3] 203.0.113.5 #12: responding to Main Mode from unknown peer 203.0.113.5"#,
        );
        assert_eq!(l.connection.as_deref(), Some("rw"));
        assert_eq!(l.state, Some(12));
        assert_eq!(l.event, PlutoEvent::Responding { child: false });
        let l = parse_pluto(r#""gw-gw": added IKEv2 connection"#);
        assert_eq!((l.connection.as_deref(), l.state), (Some("gw-gw"), None));
        let l = parse_pluto("listening for IKE messages");
        assert_eq!(l.connection, None);
        assert_eq!(l.event, PlutoEvent::Unrecognized);
        assert_eq!(parse_pluto(r#"""#).event, PlutoEvent::Unrecognized);
        assert_eq!(parse_pluto(r#""x" #: "#).state, None);
    }

    #[test]
    fn libreswan_4_lines() {
        let k = parse_pluto(
            r#"ERROR: "gw-gw" #2: netlink response for Add SA esp.cdd70c9c@192.0.2.74: Protocol not supported (errno 93)"#,
        );
        assert!(k.error);
        assert_eq!(k.state, Some(2));
        assert_eq!(
            k.event,
            PlutoEvent::KernelSaFailed {
                reason: "Protocol not supported (errno 93)".into()
            }
        );
        for (line, want) in [
            ("initiator established IKE SA; authenticated peer using authby=secret and ID_IPV4_ADDR '192.0.2.74'", PlutoEvent::IkeSaEstablished),
            ("IKE SA established {auth=PRESHARED_KEY cipher=AES_CBC_128 integ=HMAC_SHA2_256 group=MODP2048}", PlutoEvent::IkeSaEstablished),
            ("initiator established Child SA using #1; IPsec tunnel [192.168.48.0-192.168.48.255:0-65535 0] -> [10.42.42.0-10.42.42.255:0-65535 0] {ESP=>0x1234 <0x5678 xfrm=AES_CBC_128-HMAC_SHA2_256_128 DPD=passive}", PlutoEvent::ChildSaEstablished),
            ("IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED", PlutoEvent::PeerAuthFailed),
            ("responding to IKE_AUTH message (ID 1) from 192.0.2.74:4500 with encrypted notification TS_UNACCEPTABLE", PlutoEvent::NoTsMatch),
            ("IKE_AUTH responder matching remote ESP/AH proposals failed, responder SA processing returned STF_FAIL+v2N_NO_PROPOSAL_CHOSEN", PlutoEvent::NoLocalChildProposal),
            // Libreswan 5.2 as responder (lab: ikev2-pluto-responder-cert-id-mismatch)
            ("responding to IKE_AUTH message (ID 1) from 192.0.2.74:4500 with encrypted notification AUTHENTICATION_FAILED", PlutoEvent::AuthRefused),
            ("authentication failed: computed hash does not match hash received from peer ID_IPV4_ADDR '192.0.2.74'", PlutoEvent::HashMismatch),
            ("IKE_AUTH response rejected Child SA with TS_UNACCEPTABLE", PlutoEvent::PeerTsRejected),
            ("No IKEv2 connection found with compatible Traffic Selectors", PlutoEvent::NoTsMatch),
            ("received and ignored notification payload: NO_PROPOSAL_CHOSEN", PlutoEvent::PeerNoProposal),
            ("received and ignored notification payload: INVALID_ID_INFORMATION", PlutoEvent::PeerTsRejected),
            ("dropping unexpected IKE_SA_INIT message containing NO_PROPOSAL_CHOSEN notification; message payloads: N; missing payloads: SA,KE,Ni", PlutoEvent::PeerNoProposal),
            ("43811-byte length of ISAKMP Hash Payload is larger than can fit", PlutoEvent::UndecryptableReply),
            ("STATE_MAIN_I3: 5 second timeout exceeded after 3 retransmits.  Possible authentication failure: no acceptable response to our first encrypted message", PlutoEvent::UndecryptableReply),
            ("STATE_V2_PARENT_I1: retransmission; will wait 1 seconds for response", PlutoEvent::Retransmit { first_message: true }),
            ("we require PFS but Quick I1 SA specifies no GROUP_DESCRIPTION", PlutoEvent::PfsMismatch),
        ] {
            assert_eq!(parse_pluto(&format!("\"gw-gw\" #1: {line}")).event, want, "{line}");
        }
        assert_eq!(
            parse_pluto(r#""gw-gw" #1: STATE_V2_PARENT_I1: 5 second timeout exceeded after 3 retransmits.  No response (or no acceptable response) to our first IKEv2 message"#).event,
            PlutoEvent::GaveUp { state: "STATE_V2_PARENT_I1".into(), first_message: true }
        );
        assert_eq!(
            parse_pluto(r#""gw-gw" #1: no local proposal matches remote proposals 1:IKE:ENCR=AES_CBC_128;INTEG=HMAC_SHA2_256_128"#).event,
            PlutoEvent::NoLocalProposal { remote: "1:IKE:ENCR=AES_CBC_128;INTEG=HMAC_SHA2_256_128".into() }
        );
    }

    #[test]
    fn local_proposals() {
        assert_eq!(
            parse_pluto(r#""gw-gw":   1:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048"#)
                .event,
            PlutoEvent::LocalProposal {
                kind: "IKE".into(),
                transforms: "AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048".into()
            }
        );
        assert_eq!(
            parse_pluto(r#""gw-gw": 1:XYZ=A"#).event,
            PlutoEvent::Unrecognized
        );
    }

    #[test]
    fn libreswan_3_lines() {
        assert_eq!(
            parse_pluto(r#""gw" #1: STATE_MAIN_I4: ISAKMP SA established {auth=PRESHARED_KEY cipher=aes_128 integ=sha group=MODP2048}"#).event,
            PlutoEvent::IkeSaEstablished
        );
        assert_eq!(
            parse_pluto(r#""gw" #2: STATE_QUICK_I2: sent QI2, IPsec SA established tunnel mode {ESP/NAT=>0x5d5f4c3d <0xc2d8b5d1 xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=203.0.113.5:4500 DPD=passive}"#).event,
            PlutoEvent::ChildSaEstablished
        );
        assert_eq!(
            parse_pluto(r#""gw" #1: max number of retransmissions (8) reached STATE_MAIN_I1.  No response (or no acceptable response) to our first IKEv1 message"#).event,
            PlutoEvent::GaveUp { state: "STATE_MAIN_I1".into(), first_message: true }
        );
        assert_eq!(
            parse_pluto(r#""gw" #1: STATE_MAIN_I1: initiate"#).event,
            PlutoEvent::Initiating { child: false }
        );
        assert_eq!(
            parse_pluto(r#"ERROR: netlink XFRM_MSG_NEWSA response for flow esp.1234@192.0.2.74 included errno 93: Protocol not supported"#).event,
            PlutoEvent::KernelSaFailed { reason: "Protocol not supported".into() }
        );
    }

    #[test]
    fn libreswan_4_certificate_failures_seen_in_the_lab() {
        let p = |m: &str| parse_pluto(m).event;
        assert_eq!(
            p("\"gw-gw\" #1: NSS: ERROR: IPsec certificate CN=right.lab.example,O=ipsec-doctor lab,C=CH invalid: SEC_ERROR_UNKNOWN_ISSUER: Peer's Certificate issuer is not recognized."),
            PlutoEvent::CertInvalid {
                subject: "CN=right.lab.example,O=ipsec-doctor lab,C=CH".into(),
                code: "SEC_ERROR_UNKNOWN_ISSUER".into(),
                reason: "Peer's Certificate issuer is not recognized".into(),
            }
        );
        assert_eq!(
            p("\"gw-gw\" #1: X509: authentication failed; peer certificate subjectAltName extension does not match ID_FQDN 'right.lab.example'"),
            PlutoEvent::CertIdMismatch { id: "right.lab.example".into() }
        );
    }

    #[test]
    fn libreswan_4_aggressive_mode_refused() {
        let p = |m: &str| parse_pluto(m).event;
        assert_eq!(
            p("\"gw-gw\" #1: IKEv1 Aggressive Mode with PSK is vulnerable to dictionary attacks and is cracked on large scale by TLA's"),
            PlutoEvent::AggressivePsk
        );
        assert_eq!(
            p("\"gw-gw\" #1: received and ignored notification payload: AUTHENTICATION_FAILED"),
            PlutoEvent::PeerAuthFailed
        );
    }
}
