//! ipsec-tools' racoon messages (pfSense 2.1 and older), by the text racoon
//! prints.
//!
//! racoon writes `LEVEL: message`, where pfSense's racoon adds the Phase 1
//! description and the address the message is about as bracketed tags in
//! front: `[Site-B]: [203.0.113.5] INFO: ...`, `[Self]: INFO: ...` or
//! `[203.0.113.5] ERROR: ...`. [`parse_racoon`] takes the tags and the level
//! off and types the rest.

/// racoon's log level word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum RacoonLevel {
    /// `ERROR:`
    Error,
    /// `WARNING:`
    Warning,
    /// `NOTIFY:`
    Notify,
    /// `INFO:`
    Info,
    /// `DEBUG:` / `DEBUG2:` (racoon's debug mode).
    Debug,
}

/// One racoon message, typed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum RacoonEvent {
    /// No pre-shared key for the peer: `couldn't find the pskey for
    /// 192.0.2.1.`, or any error racoon reports from `oakley_skeyid()`,
    /// the function that derives SKEYID from the pre-shared key
    /// (ipsec-tools `oakley.c`, 0.6-0.8; racoon's file log names the
    /// function: `ERROR: oakley.c:2054:oakley_skeyid(): ...`).
    PskNotFound,
    /// `failed to pre-process packet.` (also `failed to pre-process ph2 packet`).
    PreProcessFailed,
    /// `failed to get sainfo.`: no Phase 2 definition matches the peer's IDs.
    SainfoNotFound,
    /// `libipsec failed pfkey align (Invalid sadb message)`.
    PfkeyAlign,
    /// `pfkey DELETE received`.
    PfkeyDelete,
    /// `unsupported PF_KEY message REGISTER`: normal.
    PfkeyRegister,
    /// `none message must be encrypted`.
    NoneMustBeEncrypted,
    /// `can't start the quick mode, there is no ISAKMP-SA`.
    NoIsakmpSa,
    /// `request for establishing IPsec-SA was queued due to no phase1 found.`
    QueuedNoPhase1,
    /// `pfkey ADD failed: Invalid argument` / `pfkey UPDATE failed: ...`.
    PfkeyAddUpdateFailed {
        /// `ADD` or `UPDATE`.
        operation: String,
        /// The error text, e.g. `Invalid argument`.
        reason: String,
    },
    /// `attribute has been modified.`
    AttributeModified,
    /// `sendto (Operation not permitted)`.
    SendtoFailed {
        /// The error text in the parentheses.
        reason: String,
    },
    /// `sendfromto failed`.
    SendfromtoFailed,
    /// `phase1 negotiation failed due to send error.`
    Phase1SendError,
    /// Any message naming `INVALID-PAYLOAD-TYPE`.
    InvalidPayloadType,
    /// `initiate new phase 1 negotiation: A[500]<=>B[500]`.
    Phase1Initiate {
        /// This side.
        local: String,
        /// The peer.
        remote: String,
    },
    /// `respond new phase 1 negotiation: A[500]<=>B[500]`.
    Phase1Respond {
        /// This side.
        local: String,
        /// The peer.
        remote: String,
    },
    /// `initiate new phase 2 negotiation: A[500]<=>B[500]` / `respond new phase 2 ...`.
    Phase2Start {
        /// This side.
        local: String,
        /// The peer.
        remote: String,
    },
    /// `ISAKMP-SA established A[500]-B[500] spi:...`.
    IsakmpSaEstablished {
        /// This side.
        local: String,
        /// The peer.
        remote: String,
    },
    /// `IPsec-SA established: ESP/Tunnel A[500]->B[500] spi=...`.
    IpsecSaEstablished,
    /// `DPD: remote (ISAKMP-SA spi=...) seems to be dead.`
    DpdDead,
    /// `phase1 negotiation failed ...` (other than the send error),
    /// `phase2 negotiation failed ...`, `give up to get IPsec-SA ...`: a
    /// failure that names no cause.
    NegotiationFailed,
    /// racoon will not read its pre-shared key file: `/etc/racoon/psk.txt
    /// has weak file permission`, `failed to open pre_share_key file
    /// /etc/racoon/psk.txt` (ipsec-tools `localconf.c`/`oakley.c`, 0.6-0.8).
    PskFileUnreadable {
        /// The message.
        what: String,
    },
    /// Anything else.
    Unrecognized,
}

impl RacoonEvent {
    /// Whether racoon logging this means something went wrong (used to tell
    /// a log that only shows benign messages).
    pub fn is_problem(&self) -> bool {
        !matches!(
            self,
            RacoonEvent::PfkeyRegister
                | RacoonEvent::Phase1Initiate { .. }
                | RacoonEvent::Phase1Respond { .. }
                | RacoonEvent::Phase2Start { .. }
                | RacoonEvent::IsakmpSaEstablished { .. }
                | RacoonEvent::IpsecSaEstablished
                | RacoonEvent::Unrecognized
        )
    }
}

/// A racoon line's message taken apart: its tags, its level and its event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RacoonLine {
    /// The bracketed tags in front of the level, in order (`Site-B`, `203.0.113.5`, `Self`).
    pub tags: Vec<String>,
    /// The level, where the message has one.
    pub level: Option<RacoonLevel>,
    /// The message, typed.
    pub event: RacoonEvent,
}

impl RacoonLine {
    /// Whether the message has racoon's shape: a level word, or a message
    /// only racoon prints. Lines from an unnamed program need this to be
    /// taken for racoon's.
    pub fn looks_like_racoon(&self) -> bool {
        self.level.is_some() || self.event == RacoonEvent::InvalidPayloadType
    }

    /// The peer this line is about, as printed: a tag holding an address
    /// (unless the line is about `[Self]`), else the remote address of an
    /// event that names both ends.
    pub fn peer(&self) -> Option<&str> {
        if !self.tags.iter().any(|t| t == "Self") {
            if let Some(tag) = self.tags.iter().find(|t| is_address(t)) {
                return Some(tag);
            }
        }
        match &self.event {
            RacoonEvent::Phase1Initiate { remote, .. }
            | RacoonEvent::Phase1Respond { remote, .. }
            | RacoonEvent::Phase2Start { remote, .. }
            | RacoonEvent::IsakmpSaEstablished { remote, .. } => Some(remote),
            _ => None,
        }
    }

    /// The Phase 1 description pfSense's racoon puts first (`[Site-B]:`), if any.
    pub fn description(&self) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| *t != "Self" && !is_address(t))
            .map(String::as_str)
    }
}

/// Parses one racoon message (the text after `racoon:` or after the
/// timestamp of racoon's own log file).
pub fn parse_racoon(message: &str) -> RacoonLine {
    let mut rest = message.trim();
    let mut tags = Vec::new();
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        let tag = &inner[..close];
        if tag.is_empty() || tag.len() > 128 || tags.len() >= 4 {
            break;
        }
        tags.push(tag.to_owned());
        let after = &inner[close + 1..];
        rest = after.strip_prefix(':').unwrap_or(after).trim_start();
    }
    let mut level = None;
    for (word, l) in [
        ("ERROR:", RacoonLevel::Error),
        ("WARNING:", RacoonLevel::Warning),
        ("NOTIFY:", RacoonLevel::Notify),
        ("INFO:", RacoonLevel::Info),
        ("DEBUG:", RacoonLevel::Debug),
        ("DEBUG2:", RacoonLevel::Debug),
    ] {
        if let Some(r) = rest.strip_prefix(word) {
            level = Some(l);
            rest = r.trim_start();
            break;
        }
    }
    RacoonLine {
        tags,
        level,
        event: parse_event(rest),
    }
}

fn parse_event(m: &str) -> RacoonEvent {
    use RacoonEvent as E;
    let m = m.trim();
    let bare = m.trim_end_matches('.');
    if bare.starts_with("couldn't find the pskey") || m.contains(":oakley_skeyid(): ") {
        return E::PskNotFound;
    }
    if bare.ends_with("has weak file permission")
        || bare.starts_with("failed to open pre_share_key file")
    {
        return E::PskFileUnreadable {
            what: bare.to_owned(),
        };
    }
    if m.contains("INVALID-PAYLOAD-TYPE") {
        return E::InvalidPayloadType;
    }
    if bare.starts_with("failed to pre-process") {
        return E::PreProcessFailed;
    }
    if bare.starts_with("failed to get sainfo") {
        return E::SainfoNotFound;
    }
    if m.contains("failed pfkey align") {
        return E::PfkeyAlign;
    }
    if bare.starts_with("pfkey DELETE received") {
        return E::PfkeyDelete;
    }
    if bare.starts_with("unsupported PF_KEY message REGISTER") {
        return E::PfkeyRegister;
    }
    if bare.starts_with("none message must be encrypted") {
        return E::NoneMustBeEncrypted;
    }
    // 0.8-0.9 also `..., there is no valid ISAKMP-SA, COOKIES`.
    if bare.starts_with("can't start the quick mode, there is no ISAKMP-SA")
        || bare.starts_with("can't start the quick mode, there is no valid ISAKMP-SA")
    {
        return E::NoIsakmpSa;
    }
    // ipsec-tools 0.7: `request for establishing IPsec-SA was queued due to
    // no phase1 found.`; 0.8: `IPsec-SA request for 192.0.2.1 queued due to
    // no phase1 found.`
    if bare.contains("queued due to no phase1 found") {
        return E::QueuedNoPhase1;
    }
    if let Some(r) = m.strip_prefix("pfkey ") {
        if let Some((operation, reason)) = r.split_once(" failed: ") {
            if !operation.is_empty()
                && operation.len() <= 16
                && operation.bytes().all(|b| b.is_ascii_uppercase())
            {
                return E::PfkeyAddUpdateFailed {
                    operation: operation.to_owned(),
                    reason: reason.trim().trim_end_matches('.').to_owned(),
                };
            }
        }
    }
    if bare.starts_with("attribute has been modified") {
        return E::AttributeModified;
    }
    if let Some(r) = m.strip_prefix("sendto (") {
        let reason = r.split(')').next().unwrap_or("");
        return E::SendtoFailed {
            reason: reason.to_owned(),
        };
    }
    if bare.starts_with("sendfromto failed") {
        return E::SendfromtoFailed;
    }
    if bare.starts_with("phase1 negotiation failed due to send error") {
        return E::Phase1SendError;
    }
    if let Some(r) = m
        .strip_prefix("initiate new phase 1 negotiation: ")
        .or_else(|| m.strip_prefix("respond new phase 1 negotiation: "))
    {
        if let Some((local, remote)) = pair(r, "<=>") {
            return if m.starts_with("initiate") {
                E::Phase1Initiate { local, remote }
            } else {
                E::Phase1Respond { local, remote }
            };
        }
    }
    if let Some(r) = m
        .strip_prefix("initiate new phase 2 negotiation: ")
        .or_else(|| m.strip_prefix("respond new phase 2 negotiation: "))
    {
        if let Some((local, remote)) = pair(r, "<=>") {
            return E::Phase2Start { local, remote };
        }
    }
    if let Some(r) = m.strip_prefix("ISAKMP-SA established ") {
        if let Some((local, remote)) = pair(r.split(' ').next().unwrap_or(""), "-") {
            return E::IsakmpSaEstablished { local, remote };
        }
    }
    if m.starts_with("IPsec-SA established") {
        return E::IpsecSaEstablished;
    }
    if m.starts_with("DPD: remote") && m.contains("seems to be dead") {
        return E::DpdDead;
    }
    if m.starts_with("phase1 negotiation failed")
        || m.starts_with("phase2 negotiation failed")
        || m.starts_with("give up to get IPsec-SA")
        // 0.8-0.9: `A[0]->B[0] give up to get IPsec-SA due to time up to wait.`
        || m.contains(" give up to get IPsec-SA")
    {
        return E::NegotiationFailed;
    }
    E::Unrecognized
}

/// `192.0.2.1[500]<=>203.0.113.5[500]` → the two addresses without ports.
fn pair(text: &str, separator: &str) -> Option<(String, String)> {
    let text = text.split_whitespace().next()?;
    let (a, b) = text.split_once(separator)?;
    let addr = |s: &str| {
        let s = s.split('[').next().unwrap_or(s).trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    Some((addr(a)?, addr(b)?))
}

/// An IPv4 or IPv6 address as racoon prints it, possibly with `[port]`.
fn is_address(text: &str) -> bool {
    let addr = text.split('[').next().unwrap_or(text);
    addr.parse::<std::net::IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_tags_and_events() {
        let l = parse_racoon("ERROR: failed to get sainfo.");
        assert_eq!(l.level, Some(RacoonLevel::Error));
        assert_eq!(l.event, RacoonEvent::SainfoNotFound);
        assert_eq!(l.peer(), None);

        let l = parse_racoon("[203.0.113.5] ERROR: failed to pre-process packet.");
        assert_eq!(l.event, RacoonEvent::PreProcessFailed);
        assert_eq!(l.peer(), Some("203.0.113.5"));

        let l = parse_racoon("[Self]: [192.0.2.1] INFO: unsupported PF_KEY message REGISTER");
        assert_eq!(l.event, RacoonEvent::PfkeyRegister);
        assert_eq!(l.peer(), None, "an address next to [Self] is this side's");

        let l = parse_racoon(
            "[Site-B]: [203.0.113.5] INFO: DPD: remote (ISAKMP-SA spi=1a2b:3c4d) seems to be dead.",
        );
        assert_eq!(l.event, RacoonEvent::DpdDead);
        assert_eq!(l.peer(), Some("203.0.113.5"));
        assert_eq!(l.description(), Some("Site-B"));
    }

    #[test]
    fn seed_messages() {
        let cases: &[(&str, RacoonEvent)] = &[
            ("ERROR: libipsec failed pfkey align (Invalid sadb message)", RacoonEvent::PfkeyAlign),
            ("ERROR: pfkey DELETE received", RacoonEvent::PfkeyDelete),
            ("ERROR: none message must be encrypted", RacoonEvent::NoneMustBeEncrypted),
            ("ERROR: can't start the quick mode, there is no ISAKMP-SA", RacoonEvent::NoIsakmpSa),
            ("INFO: request for establishing IPsec-SA was queued due to no phase1 found.", RacoonEvent::QueuedNoPhase1),
            ("WARNING: attribute has been modified.", RacoonEvent::AttributeModified),
            ("ERROR: sendfromto failed", RacoonEvent::SendfromtoFailed),
            ("ERROR: phase1 negotiation failed due to send error.", RacoonEvent::Phase1SendError),
            ("ERROR: notification INVALID-PAYLOAD-TYPE received in informational exchange.", RacoonEvent::InvalidPayloadType),
            ("ERROR: phase1 negotiation failed due to time up. 4f2b1c0e9a8d7c6b:0000000000000000", RacoonEvent::NegotiationFailed),
        ];
        for (text, want) in cases {
            assert_eq!(&parse_racoon(text).event, want, "{text}");
        }
        assert_eq!(
            parse_racoon("ERROR: pfkey UPDATE failed: Invalid argument").event,
            RacoonEvent::PfkeyAddUpdateFailed {
                operation: "UPDATE".into(),
                reason: "Invalid argument".into()
            }
        );
        assert_eq!(
            parse_racoon("ERROR: sendto (Operation not permitted)").event,
            RacoonEvent::SendtoFailed {
                reason: "Operation not permitted".into()
            }
        );
    }

    #[test]
    fn addresses_of_negotiations() {
        let l = parse_racoon(
            "INFO: initiate new phase 1 negotiation: 192.0.2.1[500]<=>203.0.113.5[500]",
        );
        assert_eq!(l.peer(), Some("203.0.113.5"));
        let l = parse_racoon("INFO: ISAKMP-SA established 192.0.2.1[500]-203.0.113.5[500] spi:4f2b1c0e9a8d7c6b:a1b2c3d4e5f60718");
        assert_eq!(
            l.event,
            RacoonEvent::IsakmpSaEstablished {
                local: "192.0.2.1".into(),
                remote: "203.0.113.5".into()
            }
        );
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for text in [
            "[",
            "[]",
            "[[[[[[",
            "[a]:[b]:[c]:[d]:[e] ERROR:",
            "pfkey  failed: ",
            "sendto (",
            "ISAKMP-SA established -",
            "initiate new phase 1 negotiation: <=>",
            "é[ü]:ERROR:ß",
        ] {
            let _ = parse_racoon(text);
        }
        assert!(!parse_racoon("Accepted publickey for root").looks_like_racoon());
    }
}
