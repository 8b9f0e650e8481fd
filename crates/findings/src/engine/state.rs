//! What the engine keeps per host while reading, and how a charon line
//! finds its negotiation.

use hashbrown::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;

use ipsec_doctor_events::CharonEvent;
use ipsec_doctor_logs::Framed;

pub(crate) use crate::facts::{host_key_of, write_host_key};
use crate::facts::{HostFacts, TunnelFacts};
use crate::negotiation::Negotiation;
use crate::pluto::PlutoLog;
use crate::racoon::RacoonLog;
use crate::report::{Beat, Evidence};
use crate::status::StatusHistory;

/// How lines without an IKE SA tag are attached to a negotiation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum SaKey {
    /// charon's `<name|id>` tag, by id: the name appears only once a peer
    /// config is selected (`<1>` becomes `<gw|1>`).
    Tagged(u32),
    /// No tag: the peer's address.
    Peer(String),
    /// No tag and no address yet.
    Unknown,
}

#[derive(Debug, Default, Clone)]
pub(super) struct TunnelState {
    pub(super) first_up: Option<u64>,
    pub(super) local: Option<String>,
    pub(super) remote: Option<String>,
    pub(super) version: Option<&'static str>,
    pub(super) negotiations: u64,
    /// Negotiations whose CHILD SA came up.
    pub(super) established: u64,
    /// The outcomes its status is derived from.
    pub(super) status: StatusHistory,
    /// What the last established negotiation selected.
    pub(super) negotiated: Vec<String>,
    /// The last negotiations, oldest first (at most [`crate::status::FLAP_WINDOW`]).
    pub(super) timeline: VecDeque<Beat>,
    pub(super) ike_lifetime: Option<(u64, Evidence)>,
    /// An establishment this side initiated: the initiating and established lines.
    pub(super) initiated_up: Option<Vec<Evidence>>,
    /// Whether the peer ever initiated to this side.
    pub(super) peer_initiated: bool,
}

#[derive(Clone)]
pub(super) struct HostState {
    pub(super) facts: HostFacts,
    /// Boxed, as the other per-host maps' values: a small map holds at
    /// least four slots, and with tens of thousands of hosts inline values
    /// would be most of the memory.
    pub(super) open: HashMap<SaKey, Box<Negotiation>>,
    pub(super) thread_key: HashMap<u16, SaKey>,
    pub(super) current_untagged: Option<SaKey>,
    pub(super) lines: u64,
    pub(super) tunnels: HashMap<String, Box<TunnelState>>,
    pub(super) tunnel_order: Vec<String>,
    pub(super) racoon: Option<Box<RacoonLog>>,
    pub(super) pluto: Option<Box<PlutoLog>>,
    pub(super) crash_traces: u32,
    pub(super) history: HashMap<String, Box<TunnelFacts>>,
    pub(super) history_order: Vec<String>,
    /// The first packet sent to each peer's port 500, by address (capped).
    pub(super) sent_to_ike_port: HashMap<String, Evidence>,
    /// The line that brought the host, for [`crate::Diagnoser::merge`].
    pub(super) first_at: Option<(Arc<str>, u64)>,
    /// The last traffic selector header or item: an item counts only within
    /// [`crate::sieve::TS_WINDOW`] lines of it (as [`crate::Sieve`] keeps them).
    pub(super) ts_anchor: Option<(Arc<str>, u64)>,
}

impl HostState {
    /// A tunnel's history, registered in order of first appearance.
    pub(super) fn history(&mut self, name: &str, origin: &Arc<str>) -> &mut TunnelFacts {
        if !self.history.contains_key(name) {
            self.history_order.push(name.to_owned());
        }
        let host = self.facts.host.clone();
        self.history.entry(name.to_owned()).or_insert_with(|| {
            Box::new(TunnelFacts {
                host,
                origin: origin.clone(),
                tunnel: name.to_owned(),
                remote: None,
                moments: Vec::new(),
                sent_to_ike_port: None,
                odd_source_port: None,
            })
        })
    }

    /// The tunnel's state, registered in order of first appearance.
    pub(super) fn tunnel(&mut self, name: &str) -> &mut TunnelState {
        if !self.tunnels.contains_key(name) {
            self.tunnel_order.push(name.to_owned());
        }
        self.tunnels.entry(name.to_owned()).or_default()
    }

    /// Which negotiation a line belongs to.
    pub(super) fn route(&mut self, framed: &Framed<'_>, event: &CharonEvent) -> SaKey {
        // A line of one IKE SA about another: the redundant SA of a lost
        // rekey collision is told of under the SA that goes on.
        if let (Some(_), CharonEvent::RekeyCollisionLost { redundant }) = (&framed.ike_sa, event) {
            if let Some(id) = redundant.unique_id {
                return SaKey::Tagged(id);
            }
        }
        if let Some(tag) = &framed.ike_sa {
            if let Some(id) = tag.unique_id {
                let key = SaKey::Tagged(id);
                if let Some(thread) = framed.thread {
                    self.thread_key.insert(thread, key.clone());
                }
                return key;
            }
        }
        if let Some(peer) = peer_of(event) {
            let key = SaKey::Peer(peer);
            // Lines seen before the first address belong to the same exchange.
            if self.current_untagged == Some(SaKey::Unknown) {
                if let Some(neg) = self.open.remove(&SaKey::Unknown) {
                    if !self.open.contains_key(&key) {
                        self.open.insert(key.clone(), neg);
                    }
                }
            }
            if let Some(thread) = framed.thread {
                self.thread_key.insert(thread, key.clone());
            }
            self.current_untagged = Some(key.clone());
            return key;
        }
        if let Some(key) = framed.thread.and_then(|t| self.thread_key.get(&t)) {
            return key.clone();
        }
        let key = self.current_untagged.clone().unwrap_or(SaKey::Unknown);
        if let Some(thread) = framed.thread {
            self.thread_key.insert(thread, key.clone());
        }
        self.current_untagged = Some(key.clone());
        key
    }
}

/// The peer address an event reveals, for logs without IKE SA tags.
fn peer_of(event: &CharonEvent) -> Option<String> {
    use ipsec_doctor_events::Direction;
    match event {
        CharonEvent::InitiatingIkeSa { remote, .. }
        | CharonEvent::PeerInitiating { remote, .. } => Some(remote.clone()),
        CharonEvent::IkeSaEstablished { remote, .. } => Some(remote.addr.clone()),
        CharonEvent::LookingForPeerConfigs { remote, .. } => Some(remote.clone()),
        CharonEvent::Packet {
            direction: Direction::Received,
            from,
            ..
        } => Some(from.addr.clone()),
        CharonEvent::Packet {
            direction: Direction::Sent,
            to,
            ..
        } => Some(to.addr.clone()),
        _ => None,
    }
}

/// A host (name and file) and a tunnel name, for indexing findings.
pub(super) type HostTunnel<'a> = (Option<&'a str>, &'a str, Option<&'a str>);
