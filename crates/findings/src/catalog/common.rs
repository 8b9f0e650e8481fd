//! Helpers shared by the catalogue's matchers.

use std::collections::BTreeSet;

pub(crate) use ipsec_doctor_events::Attribute;
use ipsec_doctor_events::{CharonEvent, Notify, Proposal, ProposalList, TransformKind};

use crate::negotiation::{Entry, Negotiation, Phase};
use crate::report::Evidence;

/// Evidence from entries, in log order, without repeats.
pub(crate) fn evidence<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = entries.into_iter().map(|e| e.evidence.clone()).collect();
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    out.dedup();
    out
}

/// Whether `text` is an IP address (not a name, not a redacted placeholder).
pub(crate) fn is_ip(text: &str) -> bool {
    text.parse::<std::net::IpAddr>().is_ok()
}

/// A failed proposal selection for one phase, as one side's log shows it.
pub(crate) struct ProposalFailure<'a> {
    /// The lines that show the failure.
    pub entries: Vec<&'a Entry>,
    /// What the peer offered, where logged.
    pub received: Option<&'a [Proposal]>,
    /// What this side is configured for, where logged.
    pub configured: Option<&'a [Proposal]>,
    /// Attributes known to differ.
    pub differing: Vec<Attribute>,
}

/// Finds a proposal failure of `phase` in `neg`: this side found no proposal
/// (`no proposal found`, `no acceptable X found`, `no matching proposal
/// found`), or the peer sent `NO_PROPOSAL_CHOSEN`.
pub(crate) fn proposal_failure(neg: &Negotiation, phase: Phase) -> Option<ProposalFailure<'_>> {
    if !neg.may_have_proposal_failure() {
        return None;
    }
    let mut entries: Vec<&Entry> = Vec::new();
    let mut named: Vec<Attribute> = Vec::new();
    for (i, entry) in neg.entries.iter().enumerate() {
        // The phase is worked out only for failures: most negotiations have none.
        let kind = match &entry.event {
            CharonEvent::NoProposalFound | CharonEvent::NoMatchingChildProposal => None,
            CharonEvent::NoAcceptableTransform(kind) => Some(*kind),
            _ => continue,
        };
        if phase_near(neg, i) != phase {
            continue;
        }
        if let Some(a) = kind.and_then(Attribute::of_kind) {
            if !named.contains(&a) {
                named.push(a);
            }
        }
        entries.push(entry);
    }
    if let Some((i, entry)) = neg.received_notify(&Notify::NoProposalChosen) {
        if neg.phase_at(i) == phase {
            entries.push(entry);
        }
    }
    if entries.is_empty() {
        return None;
    }
    if let Some(sent) = neg.sent_notify(&Notify::NoProposalChosen) {
        entries.push(sent);
    }
    // Only the lists printed with the failure: earlier ones may belong to a
    // selection that succeeded (IKEv2 ignores PFS groups in IKE_AUTH).
    let failed_at = neg
        .entries
        .iter()
        .position(|e| entries.first().is_some_and(|f| std::ptr::eq(e, *f)))
        .unwrap_or(0);
    let near = |list: ProposalList| {
        let window = failed_at.saturating_sub(6)..(failed_at + 7).min(neg.entries.len());
        window
            .filter_map(|j| match &neg.entries[j].event {
                CharonEvent::Proposals { list: l, proposals } if *l == list => {
                    let is_ike = proposals.first()?.protocol() == "IKE";
                    (is_ike == (phase == Phase::One))
                        .then(|| (&neg.entries[j], proposals.as_slice(), j.abs_diff(failed_at)))
                }
                _ => None,
            })
            .min_by_key(|(_, _, distance)| *distance)
            .map(|(e, p, _)| (e, p))
    };
    let received = near(ProposalList::Received);
    let configured = near(ProposalList::Configured);
    if let Some((e, _)) = received {
        entries.push(e);
    }
    if let Some((e, _)) = configured {
        entries.push(e);
    }
    let mut differing = match (received, configured) {
        (Some((_, r)), Some((_, c))) => compare(r, c),
        _ => Vec::new(),
    };
    for a in named {
        if !differing.contains(&a) {
            differing.push(a);
        }
    }
    Some(ProposalFailure {
        entries,
        received: received.map(|(_, p)| p),
        configured: configured.map(|(_, p)| p),
        differing,
    })
}

/// The phase of a selection line: charon prints `no acceptable X found`
/// between `selecting proposal:` and the `received/configured proposals`
/// lines, so the nearest proposal list says which protocol was selected.
fn phase_near(neg: &Negotiation, index: usize) -> Phase {
    let window = index.saturating_sub(4)..(index + 5).min(neg.entries.len());
    let nearest = window
        .filter_map(|j| match &neg.entries[j].event {
            CharonEvent::Proposals { proposals, .. } => proposals
                .first()
                .map(|p| (j.abs_diff(index), p.protocol() == "IKE")),
            _ => None,
        })
        .min_by_key(|(distance, _)| *distance);
    match nearest {
        Some((_, true)) => Phase::One,
        Some((_, false)) => Phase::Two,
        None => neg.phase_at(index),
    }
}

/// Attributes for which no offered transform is configured.
fn compare(received: &[Proposal], configured: &[Proposal]) -> Vec<Attribute> {
    [Attribute::Encryption, Attribute::Hash, Attribute::DhGroup]
        .into_iter()
        .filter(|a| {
            a.kinds().iter().any(|&kind| {
                let r = transforms(received, kind);
                let c = transforms(configured, kind);
                !(r.is_empty() && c.is_empty()) && r.is_disjoint(&c)
            })
        })
        .collect()
}

/// Every transform of `kind` in a proposal list.
pub(crate) fn transforms(list: &[Proposal], kind: TransformKind) -> BTreeSet<String> {
    list.iter()
        .flat_map(|p| p.of_kind(kind).into_iter().map(str::to_owned))
        .collect()
}

/// `AES_CBC_128, AES_CBC_256` or `none`.
pub(crate) fn join_or_none(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "none".to_owned()
    } else {
        set.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `IKE:A/B, IKE:C/D`.
pub(crate) fn list(proposals: &[Proposal]) -> String {
    proposals
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The detection for one attribute of one phase, if it differs.
pub(crate) fn attribute_mismatch(
    neg: &Negotiation,
    phase: Phase,
    attribute: Attribute,
    setting: &str,
) -> Option<crate::rule::Detection> {
    let failure = proposal_failure(neg, phase)?;
    if !failure.differing.contains(&attribute) {
        return None;
    }
    let kinds = attribute.kinds();
    let mut peer_summary = None;
    let mut summary = match (failure.received, failure.configured) {
        (Some(r), Some(c)) => {
            let label = |name: String| {
                if attribute == Attribute::DhGroup {
                    dh_label(&name)
                } else {
                    name
                }
            };
            let theirs: BTreeSet<String> = kinds
                .iter()
                .flat_map(|&k| transforms(r, k))
                .map(label)
                .collect();
            let ours: BTreeSet<String> = kinds
                .iter()
                .flat_map(|&k| transforms(c, k))
                .map(label)
                .collect();
            peer_summary = Some(format!(
                "This side proposes {}; the peer is configured for {} (its proposals: {}). Offered {}: {}; \
                 accepted by the peer: {}. Make {setting} the same on both ends.",
                list(r),
                join_or_none(&ours),
                list(c),
                setting,
                join_or_none(&theirs),
                join_or_none(&ours),
            ));
            format!(
                "The peer proposes {}; this side is configured for {} (configured proposals: {}). \
                 Offered {}: {}; accepted here: {}.",
                list(r),
                join_or_none(&ours),
                list(c),
                setting,
                join_or_none(&theirs),
                join_or_none(&ours),
            )
        }
        _ => format!("No proposal offered an acceptable {setting}."),
    };
    summary.push_str(&format!(" Make {setting} the same on both ends."));
    let mut detection =
        crate::rule::Detection::new(summary, evidence(failure.entries.iter().copied()));
    detection.peer_summary = peer_summary;
    if let Some(r) = failure.received {
        if let Some(keywords) = keywords(r.first()?) {
            let option = if phase == Phase::One {
                "proposals"
            } else {
                "esp_proposals"
            };
            detection = detection.with_fix(format!(
                "To accept what the peer proposes, set {option} = {keywords} in swanctl.conf \
                 (ipsec.conf: {}={keywords}), or change the peer to match this side.",
                if phase == Phase::One { "ike" } else { "esp" }
            ));
        }
    }
    Some(detection)
}

/// A charon proposal back in swanctl keywords, e.g. `aes128-sha1-modp1024`.
pub(crate) fn keywords(proposal: &Proposal) -> Option<String> {
    let mut out = Vec::new();
    for t in proposal.transforms() {
        let k = match t {
            "NO_EXT_SEQ" => continue,
            "EXT_SEQ" => "esn".to_owned(),
            "3DES_CBC" => "3des".to_owned(),
            "DES_CBC" => "des".to_owned(),
            "CHACHA20_POLY1305" => "chacha20poly1305".to_owned(),
            "HMAC_MD5_96" => "md5".to_owned(),
            "HMAC_SHA1_96" => "sha1".to_owned(),
            "HMAC_SHA2_256_128" => "sha256".to_owned(),
            "HMAC_SHA2_384_192" => "sha384".to_owned(),
            "HMAC_SHA2_512_256" => "sha512".to_owned(),
            "AES_XCBC_96" => "aesxcbc".to_owned(),
            "PRF_HMAC_MD5" => "prfmd5".to_owned(),
            "PRF_HMAC_SHA1" => "prfsha1".to_owned(),
            "PRF_HMAC_SHA2_256" => "prfsha256".to_owned(),
            "PRF_HMAC_SHA2_384" => "prfsha384".to_owned(),
            "PRF_HMAC_SHA2_512" => "prfsha512".to_owned(),
            "CURVE_25519" => "x25519".to_owned(),
            "CURVE_448" => "x448".to_owned(),
            other => {
                if let Some(bits) = other.strip_prefix("AES_CBC_") {
                    format!("aes{bits}")
                } else if let Some(rest) = other.strip_prefix("AES_GCM_") {
                    let (icv, bits) = rest.split_once('_')?;
                    format!("aes{bits}gcm{icv}")
                } else if let Some(bits) = other.strip_prefix("MODP_") {
                    format!("modp{bits}")
                } else if let Some(bits) = other.strip_prefix("ECP_") {
                    format!("ecp{bits}")
                } else {
                    return None;
                }
            }
        };
        out.push(k);
    }
    // swanctl derives the PRF from the integrity algorithm; a PRF equal to it is implied.
    let implied: Vec<String> = out
        .iter()
        .filter(|k| ["md5", "sha1", "sha256", "sha384", "sha512"].contains(&k.as_str()))
        .map(|k| format!("prf{k}"))
        .collect();
    out.retain(|k| !implied.contains(k));
    Some(out.join("-"))
}

/// pfSense's DH group number for a key exchange method.
fn dh_group_number(name: &str) -> Option<u8> {
    Some(match name {
        "MODP_768" => 1,
        "MODP_1024" => 2,
        "MODP_1536" => 5,
        "MODP_2048" => 14,
        "MODP_3072" => 15,
        "MODP_4096" => 16,
        "MODP_6144" => 17,
        "MODP_8192" => 18,
        "ECP_256" => 19,
        "ECP_384" => 20,
        "ECP_521" => 21,
        "MODP_1024_160" => 22,
        "MODP_2048_224" => 23,
        "MODP_2048_256" => 24,
        "ECP_192" => 25,
        "ECP_224" => 26,
        "ECP_224_BP" => 27,
        "ECP_256_BP" => 28,
        "ECP_384_BP" => 29,
        "ECP_512_BP" => 30,
        "CURVE_25519" => 31,
        "CURVE_448" => 32,
        _ => return None,
    })
}

/// `MODP_2048 (group 14)`.
pub(crate) fn dh_label(name: &str) -> String {
    match dh_group_number(name) {
        Some(n) => format!("{name} (group {n})"),
        None => name.to_owned(),
    }
}

/// Whether the negotiation failed before any IKE SA came up.
pub(crate) fn before_ike_up(neg: &Negotiation, index: usize) -> bool {
    neg.ike_established_at().is_none_or(|up| index < up)
}

/// Evidence lines in log order, without repeats.
pub(crate) fn sorted(lines: impl IntoIterator<Item = Evidence>) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = lines.into_iter().collect();
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    out.dedup();
    out
}

/// Whether an exchange establishes an IKE SA (rather than working on one).
fn establishes_ike_sa(exchange: &str) -> bool {
    matches!(
        exchange,
        "IKE_SA_INIT" | "IKE_AUTH" | "ID_PROT" | "AGGRESSIVE"
    )
}

/// charon gave up retransmitting on an IKE SA that was up before the log
/// starts: the give-up comes before any start of an establishment in this
/// negotiation (a tagged excerpt of a DPD or other INFORMATIONAL exchange,
/// where the DPD lines themselves are below the log level). The give-up's
/// index.
pub(crate) fn gave_up_on_an_earlier_sa(neg: &Negotiation) -> Option<usize> {
    let gave_up = neg.position(|e| matches!(e, CharonEvent::GivingUp { .. }))?;
    let started = neg.entries[..gave_up].iter().any(|e| match &e.event {
        CharonEvent::InitiatingIkeSa { .. } | CharonEvent::PeerInitiating { .. } => true,
        CharonEvent::Message { exchange, .. } => establishes_ike_sa(exchange),
        CharonEvent::Retransmit { message_id, .. } => *message_id == Some(0),
        _ => false,
    });
    // charon says "establishing IKE_SA failed, peer not responding" only of
    // an SA still connecting.
    let connecting = neg.any(|e| matches!(e, CharonEvent::PeerNotResponding));
    (!started
        && !connecting
        && neg.ike_established_at().is_none()
        && !neg.was_up_before
        && gave_up > 0)
        .then_some(gave_up)
}
