//! One IKE SA's life on one host, as the log shows it.

use std::sync::Arc;

use ipsec_doctor_events::{CharonEvent, Direction, ExchangeMode, Notify, Proposal, ProposalList};

use crate::report::Evidence;

/// IKE version, as far as the log tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeVersion {
    /// IKEv1 (Main/Aggressive Mode, Quick Mode).
    V1,
    /// IKEv2.
    V2,
}

impl IkeVersion {
    /// `ikev1` / `ikev2`.
    pub fn as_str(self) -> &'static str {
        match self {
            IkeVersion::V1 => "ikev1",
            IkeVersion::V2 => "ikev2",
        }
    }
}

/// Who started the negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// This host initiated.
    Initiator,
    /// The peer initiated.
    Responder,
}

/// Phase 1 (IKE SA) or Phase 2 (CHILD SA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// IKE SA / Main or Aggressive Mode.
    One,
    /// CHILD SA / Quick Mode.
    Two,
}

/// One typed line with the line that proves it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What the line means.
    pub event: CharonEvent,
    /// The line.
    pub evidence: Evidence,
}

/// One IKE SA on one host: its lines in order, and what they tell about it.
#[derive(Debug, Clone)]
pub struct Negotiation {
    /// Syslog host name.
    pub host: Option<String>,
    /// The file its first line came from.
    pub origin: Arc<str>,
    /// Connection name, once known.
    pub conn: Option<String>,
    /// The connection name in charon's `<name|id>` log context, the
    /// fallback for [`Negotiation::tunnel_name`] where no event named it:
    /// a CHILD SA rekey on an IKE SA that a rekey created names nothing
    /// else (charon's `ike_sa_t.get_name`, every 5.x and 6.x).
    pub(crate) tag_conn: Option<String>,
    /// This side's address, once known.
    pub local: Option<String>,
    /// The peer's address, once known.
    pub remote: Option<String>,
    /// The identity the peer presented, once known.
    pub remote_id: Option<String>,
    /// IKE version, once known.
    pub version: Option<IkeVersion>,
    /// Who initiated, once known.
    pub role: Option<Role>,
    /// How the IKE SA is set up, once known.
    pub mode: Option<ExchangeMode>,
    /// The typed lines, in order (capped; see [`crate::Limits`]).
    pub entries: Vec<Entry>,
    /// Whether the tunnel had been up before this negotiation started.
    pub was_up_before: bool,
    /// Whether anything arrived from the peer.
    pub heard_from_peer: bool,
    /// Order of creation across the whole input.
    pub(crate) started: u64,
    /// Host line counter at the last line.
    pub(crate) last_activity: u64,
    /// Where in the input the last line was (see `expiry.rs`).
    pub(crate) last_pos: crate::expiry::Pos,
    /// The traffic selector list being printed (`proposing traffic selectors for us:`).
    pub(crate) ts_list_for_us: Option<bool>,
    /// Traffic selectors this side proposes/selects for itself and for the peer.
    pub ts_us: Vec<String>,
    /// See `ts_us`.
    pub ts_other: Vec<String>,
    /// Entries dropped once the cap was reached.
    pub dropped_entries: u64,
    /// Whether an entry says a proposal was refused (see
    /// [`Negotiation::may_have_proposal_failure`]).
    proposal_refused: bool,
}

impl Negotiation {
    pub(crate) fn new(host: Option<String>, origin: Arc<str>, started: u64) -> Negotiation {
        Negotiation {
            host,
            origin,
            conn: None,
            tag_conn: None,
            local: None,
            remote: None,
            remote_id: None,
            version: None,
            role: None,
            mode: None,
            entries: Vec::new(),
            was_up_before: false,
            heard_from_peer: false,
            started,
            last_activity: 0,
            last_pos: crate::expiry::Pos::default(),
            ts_list_for_us: None,
            ts_us: Vec::new(),
            ts_other: Vec::new(),
            dropped_entries: 0,
            proposal_refused: false,
        }
    }

    /// Learns what an event tells about the negotiation, then keeps it.
    pub(crate) fn record(&mut self, event: CharonEvent, evidence: Evidence, cap: usize) {
        use CharonEvent as E;
        match &event {
            E::InitiatingIkeSa { sa, remote, mode } => {
                self.conn.get_or_insert_with(|| sa.name.clone());
                self.remote.get_or_insert_with(|| remote.clone());
                self.role.get_or_insert(Role::Initiator);
                self.mode.get_or_insert(*mode);
                self.version.get_or_insert(version_of_mode(*mode));
            }
            E::PeerInitiating { remote, mode } => {
                self.remote.get_or_insert_with(|| remote.clone());
                self.role.get_or_insert(Role::Responder);
                self.mode.get_or_insert(*mode);
                self.version.get_or_insert(version_of_mode(*mode));
                self.heard_from_peer = true;
            }
            E::IkeSaEstablished { sa, local, remote } => {
                self.conn.get_or_insert_with(|| sa.name.clone());
                self.local.get_or_insert_with(|| local.addr.clone());
                self.remote.get_or_insert_with(|| remote.addr.clone());
                self.remote_id.get_or_insert_with(|| remote.id.clone());
                self.heard_from_peer = true;
            }
            E::IkeSaRekeyed { sa } | E::DeletingIkeSa { sa } => {
                self.conn.get_or_insert_with(|| sa.name.clone());
            }
            E::ChildSaEstablished { name, .. } => {
                self.conn.get_or_insert_with(|| name.clone());
            }
            E::LookingForPeerConfigs {
                local,
                remote,
                remote_id,
                ..
            } => {
                self.local.get_or_insert_with(|| local.clone());
                self.remote.get_or_insert_with(|| remote.clone());
                if let Some(id) = remote_id {
                    self.remote_id = Some(id.clone());
                }
                self.heard_from_peer = true;
            }
            E::Packet {
                direction,
                from,
                to,
            } => match direction {
                Direction::Received => {
                    self.heard_from_peer = true;
                    self.remote.get_or_insert_with(|| from.addr.clone());
                    self.local.get_or_insert_with(|| to.addr.clone());
                }
                Direction::Sent => {
                    self.local.get_or_insert_with(|| from.addr.clone());
                    self.remote.get_or_insert_with(|| to.addr.clone());
                }
            },
            E::Message {
                direction,
                exchange,
                ..
            } => {
                if *direction == Direction::Received {
                    self.heard_from_peer = true;
                }
                if self.version.is_none() {
                    self.version = version_of_exchange(exchange);
                }
            }
            E::NotifyReceived(_)
            | E::ChildNotifyReceived(_)
            | E::InvalidPayloadLength { .. }
            | E::PskMacMismatch { .. } => {
                self.heard_from_peer = true;
            }
            E::SelectedPeerConfig(name) | E::PeerConfigUnacceptable { name, .. } => {
                self.conn.get_or_insert_with(|| name.clone());
            }
            E::TsListHeader { for_us } => self.ts_list_for_us = Some(*for_us),
            E::TsListItem(ts) => {
                match self.ts_list_for_us {
                    Some(true) => push_unique(&mut self.ts_us, ts),
                    Some(false) => push_unique(&mut self.ts_other, ts),
                    None => {}
                }
                // The list items are only useful through the header.
                return;
            }
            _ => {}
        }
        if !matches!(event, E::TsListHeader { .. }) {
            self.ts_list_for_us = None;
        }
        if self.entries.len() >= cap && is_bulk(&event) {
            self.dropped_entries += 1;
            return;
        }
        if self.entries.len() >= cap.saturating_mul(2) {
            self.dropped_entries += 1;
            return;
        }
        self.proposal_refused |= refuses_proposal(&event);
        self.entries.push(Entry { event, evidence });
    }

    /// `false` when no entry shows a refused proposal (this side's `no
    /// proposal found` and kin, or the peer's `NO_PROPOSAL_CHOSEN`): the six
    /// proposal rules then need not look, and most negotiations have none.
    pub(crate) fn may_have_proposal_failure(&self) -> bool {
        self.proposal_refused
    }

    /// The first entry matching `pred`.
    pub fn first(&self, pred: impl Fn(&CharonEvent) -> bool) -> Option<&Entry> {
        self.entries.iter().find(|e| pred(&e.event))
    }

    /// The position of the first entry matching `pred`.
    pub fn position(&self, pred: impl Fn(&CharonEvent) -> bool) -> Option<usize> {
        self.entries.iter().position(|e| pred(&e.event))
    }

    /// Whether any entry matches `pred`.
    pub fn any(&self, pred: impl Fn(&CharonEvent) -> bool) -> bool {
        self.entries.iter().any(|e| pred(&e.event))
    }

    /// Every entry matching `pred`.
    pub fn all<'a>(
        &'a self,
        pred: impl Fn(&CharonEvent) -> bool + 'a,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| pred(&e.event))
    }

    /// Position of the IKE SA's establishment, if it was established.
    pub fn ike_established_at(&self) -> Option<usize> {
        self.position(|e| matches!(e, CharonEvent::IkeSaEstablished { .. }))
    }

    /// Whether a CHILD SA came up.
    pub fn child_established(&self) -> bool {
        self.any(|e| matches!(e, CharonEvent::ChildSaEstablished { .. }))
    }

    /// The algorithms selected, in log order (IKE, then ESP/AH): the first
    /// proposal of each `selected proposal:` line.
    pub fn negotiated(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| match &e.event {
                CharonEvent::Proposals {
                    list: ProposalList::Selected,
                    proposals,
                    ..
                } => proposals.first().map(ToString::to_string),
                _ => None,
            })
            .collect()
    }

    /// Which phase the entry at `index` belongs to: Phase 2 once the IKE SA
    /// is up (IKEv2 builds the first CHILD SA inside IKE_AUTH, which also
    /// comes after the IKE SA's keys are in place) or once a Quick Mode or
    /// CREATE_CHILD_SA exchange or an ESP proposal has been seen.
    pub fn phase_at(&self, index: usize) -> Phase {
        // A notify that refused a CHILD_SA says its phase itself.
        if let Some(Entry {
            event: CharonEvent::ChildNotifyReceived(_),
            ..
        }) = self.entries.get(index)
        {
            return Phase::Two;
        }
        let before = &self.entries[..index.min(self.entries.len())];
        let phase_two = before.iter().any(|e| match &e.event {
            CharonEvent::IkeSaEstablished { .. } => true,
            CharonEvent::Message { exchange, .. } => is_phase2_exchange(exchange),
            CharonEvent::Proposals { proposals, .. } => {
                proposals.iter().any(|p| p.protocol() != "IKE")
            }
            _ => false,
        });
        if phase_two {
            Phase::Two
        } else {
            Phase::One
        }
    }

    /// The notifies the peer sent, as `received X notify` lines or in the
    /// payload list of a parsed message.
    pub fn received_notify(&self, notify: &Notify) -> Option<(usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| brings_notify(&e.event, notify))
    }

    /// Whether this side sent the notify.
    pub fn sent_notify(&self, notify: &Notify) -> Option<&Entry> {
        self.first(|e| match e {
            CharonEvent::Message {
                direction: Direction::Sent,
                payloads,
                ..
            } => payloads.iter().any(|p| payload_is(p, notify)),
            _ => false,
        })
    }

    /// The last proposal list of the given kind and protocol family
    /// (`IKE` for Phase 1; anything else for Phase 2).
    pub fn proposals(&self, list: ProposalList, phase: Phase) -> Option<(&Entry, &[Proposal])> {
        self.entries.iter().rev().find_map(|e| match &e.event {
            CharonEvent::Proposals { list: l, proposals } if *l == list => {
                let first = proposals.first()?;
                let is_ike = first.protocol() == "IKE";
                (is_ike == (phase == Phase::One)).then_some((e, proposals.as_slice()))
            }
            _ => None,
        })
    }

    /// Name of the tunnel for reports: the connection name, else the peer.
    pub fn tunnel_name(&self) -> Option<String> {
        let named = |c: &&String| !c.is_empty() && c.as_str() != "(unnamed)";
        self.conn
            .as_ref()
            .filter(named)
            .or(self.tag_conn.as_ref().filter(named))
            .cloned()
            .or_else(|| self.remote.as_deref().map(unnamed_tunnel))
    }
}

/// `N(NO_PROP)` → the notify.
/// Whether an exchange carries a Phase 2 (Child SA) negotiation.
pub(crate) fn is_phase2_exchange(exchange: &str) -> bool {
    matches!(exchange, "QUICK_MODE" | "CREATE_CHILD_SA")
}

fn refuses_proposal(event: &CharonEvent) -> bool {
    match event {
        CharonEvent::NoProposalFound
        | CharonEvent::NoMatchingChildProposal
        | CharonEvent::NoAcceptableTransform(_) => true,
        event => brings_notify(event, &Notify::NoProposalChosen),
    }
}

/// Whether the line tells of the peer's `notify`: a `received X notify`
/// line, or a parsed message whose payload list carries it.
fn brings_notify(event: &CharonEvent, notify: &Notify) -> bool {
    match event {
        CharonEvent::NotifyReceived(n) | CharonEvent::ChildNotifyReceived(n) => n == notify,
        CharonEvent::Message {
            direction: Direction::Received,
            payloads,
            ..
        } => payloads.iter().any(|p| payload_is(p, notify)),
        _ => false,
    }
}

/// Whether a payload of a message line (`N(NO_PROP)`) is `notify`.
fn payload_is(payload: &str, notify: &Notify) -> bool {
    payload
        .strip_prefix("N(")
        .and_then(|p| p.strip_suffix(')'))
        .is_some_and(|name| notify.is_named(name))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if list.len() < 64 && !list.iter().any(|i| i == item) {
        list.push(item.to_owned());
    }
}

fn version_of_mode(mode: ExchangeMode) -> IkeVersion {
    match mode {
        ExchangeMode::Ikev2 => IkeVersion::V2,
        ExchangeMode::Main | ExchangeMode::Aggressive => IkeVersion::V1,
    }
}

fn version_of_exchange(exchange: &str) -> Option<IkeVersion> {
    match exchange {
        "IKE_SA_INIT" | "IKE_AUTH" | "CREATE_CHILD_SA" | "INFORMATIONAL" => Some(IkeVersion::V2),
        "ID_PROT" | "AGGRESSIVE" | "QUICK_MODE" | "INFORMATIONAL_V1" | "TRANSACTION" => {
            Some(IkeVersion::V1)
        }
        _ => None,
    }
}

/// Events that repeat in bulk on long-lived SAs and matter only in their first occurrences.
fn is_bulk(event: &CharonEvent) -> bool {
    matches!(
        event,
        CharonEvent::Packet { .. }
            | CharonEvent::Message { .. }
            | CharonEvent::Retransmit { .. }
            | CharonEvent::DpdRequest
            | CharonEvent::SchedulingRekey { .. }
            | CharonEvent::MaxLifetime { .. }
    )
}

/// The name of a tunnel whose log names no connection (the responder
/// refused before choosing a configuration): `peer ADDRESS`.
pub fn unnamed_tunnel(remote: &str) -> String {
    format!("peer {remote}")
}
