//! Requests lost after a successful first exchange, shared by
//! `fragmentation-mtu` and `nat-t-blocked`: the peer answered IKE_SA_INIT
//! (IKEv1: the first Main Mode exchanges), then this side's next request was
//! retransmitted and never answered.

use ipsec_doctor_events::{packet_bytes, CharonEvent, Direction};

use crate::negotiation::{Entry, Negotiation, Role};

/// strongSwan's default `fragment_size`: a larger IKE message is split when
/// fragmentation is negotiated, and on many paths a larger UDP datagram is
/// sent as IP fragments.
pub(crate) const FRAGMENT_SIZE: u32 = 1280;

/// What the log shows about the lost requests.
pub(crate) struct Lost<'a> {
    /// The last packet (or message) received from the peer.
    pub last_answer: &'a Entry,
    /// The exchange of the lost request (`IKE_AUTH`, `ID_PROT`), where logged.
    pub exchange: Option<&'a str>,
    /// The largest packet sent after the last answer, and its line.
    pub largest: Option<(u32, &'a Entry)>,
    /// Whether the lost request was split into IKE fragments (`EF(1/2)`).
    pub fragmented: bool,
    /// Whether this side offered IKE fragmentation (`N(FRAG_SUP)`).
    pub offered_fragmentation: bool,
    /// Whether the peer offered IKE fragmentation.
    pub peer_offered_fragmentation: bool,
    /// The first packet to UDP 4500 after the exchanges on UDP 500, if the
    /// lost requests went to 4500 and the answers came from 500.
    pub switched_to_4500: Option<&'a Entry>,
    /// Retransmit / give-up lines.
    pub retransmits: Vec<&'a Entry>,
}

impl Lost<'_> {
    /// Whether the lost request was too big for one packet on many paths.
    pub(crate) fn too_big(&self) -> bool {
        !self.fragmented && self.largest.is_some_and(|(n, _)| n > FRAGMENT_SIZE)
    }
}

/// Requests of `neg` lost after a first exchange that worked, if so.
pub(crate) fn lost_after_first_exchange(neg: &Negotiation) -> Option<Lost<'_>> {
    if neg.role != Some(Role::Initiator) || neg.ike_established_at().is_some() {
        return None;
    }
    let received = |e: &CharonEvent| match e {
        CharonEvent::Packet { direction, .. } | CharonEvent::Message { direction, .. } => {
            *direction == Direction::Received
        }
        _ => false,
    };
    let last_rx = neg.entries.iter().rposition(|e| received(&e.event))?;
    let after = &neg.entries[last_rx + 1..];
    let retransmits: Vec<&Entry> = after
        .iter()
        .filter(|e| {
            matches!(
                e.event,
                CharonEvent::Retransmit { .. }
                    | CharonEvent::GivingUp { .. }
                    | CharonEvent::PeerNotResponding
            )
        })
        .collect();
    if !retransmits.iter().any(|e| {
        matches!(
            e.event,
            CharonEvent::GivingUp { .. } | CharonEvent::PeerNotResponding
        )
    }) {
        return None;
    }
    let lost_exchange = after.iter().find_map(|e| match &e.event {
        CharonEvent::Message {
            direction: Direction::Sent,
            exchange,
            ..
        } => Some(exchange.as_str()),
        _ => None,
    });
    let fragmented = after.iter().any(|e| match &e.event {
        CharonEvent::Message {
            direction: Direction::Sent,
            payloads,
            ..
        } => payloads.iter().any(|p| p.starts_with("EF(") || p == "FRAG"),
        _ => false,
    });
    let has_frag_sup = |direction: Direction| {
        neg.entries.iter().any(|e| match &e.event {
            CharonEvent::Message {
                direction: d,
                payloads,
                ..
            } => *d == direction && payloads.iter().any(|p| p == "N(FRAG_SUP)"),
            _ => false,
        })
    };
    let mut largest: Option<(u32, &Entry)> = None;
    let mut switched = None;
    let sent_to_500_before = neg.entries[..last_rx].iter().any(|e| {
        matches!(&e.event, CharonEvent::Packet { direction: Direction::Sent, to, .. } if to.port == Some(500))
    });
    let answer_from_500 = matches!(
        &neg.entries[last_rx].event,
        CharonEvent::Packet { from, .. } if from.port == Some(500)
    ) || neg.entries[..=last_rx]
        .iter()
        .rev()
        .find_map(|e| match &e.event {
            CharonEvent::Packet {
                direction: Direction::Received,
                from,
                ..
            } => Some(from.port == Some(500)),
            _ => None,
        })
        == Some(true);
    for entry in after {
        if let CharonEvent::Packet {
            direction: Direction::Sent,
            to,
            ..
        } = &entry.event
        {
            if let Some(n) = packet_bytes(&entry.evidence.text) {
                if largest.is_none_or(|(m, _)| n > m) {
                    largest = Some((n, entry));
                }
            }
            if to.port == Some(4500) && sent_to_500_before && answer_from_500 {
                switched.get_or_insert(entry);
            }
        }
    }
    if largest.is_none() && switched.is_none() && lost_exchange.is_none() {
        return None;
    }
    Some(Lost {
        last_answer: &neg.entries[last_rx],
        exchange: lost_exchange,
        largest,
        fragmented,
        offered_fragmentation: has_frag_sup(Direction::Sent),
        peer_offered_fragmentation: has_frag_sup(Direction::Received),
        switched_to_4500: switched,
        retransmits,
    })
}
