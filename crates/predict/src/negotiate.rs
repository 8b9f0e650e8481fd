//! strongSwan's negotiation rules, applied to configurations.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use ipsec_doctor_config::{Identity, IdentityKind, Tunnel};
pub(crate) use ipsec_doctor_events::Attribute;
use ipsec_doctor_events::{Proposal, TransformKind};

/// Parses canonical proposal strings (`IKE:AES_CBC_256/...`).
pub(crate) fn proposals(list: &[String]) -> Vec<Proposal> {
    list.iter().filter_map(|p| Proposal::parse(p)).collect()
}

fn set(p: &Proposal, kind: TransformKind) -> BTreeSet<&str> {
    p.of_kind(kind).into_iter().collect()
}

/// The outcome of selecting proposals.
pub(crate) enum Selection {
    /// Selected, in charon's notation.
    Chosen(String),
    /// No proposal matches; the attributes for which no pair of proposals
    /// has an algorithm in common (empty when each attribute alone could
    /// match but no single proposal pair does).
    NoMatch(Vec<Attribute>),
}

/// Selects a proposal as a strongSwan responder does by default: its own
/// configured proposals in order, the first one sharing an algorithm of
/// every transform type with one of the initiator's. `ignore_dh` models
/// IKEv2's first CHILD SA, created in IKE_AUTH without a key exchange.
pub(crate) fn select(initiator: &[Proposal], responder: &[Proposal], ignore_dh: bool) -> Selection {
    let kinds: &[TransformKind] = if ignore_dh {
        &[
            TransformKind::Encryption,
            TransformKind::Integrity,
            TransformKind::Prf,
            TransformKind::Esn,
        ]
    } else {
        &[
            TransformKind::Encryption,
            TransformKind::Integrity,
            TransformKind::Prf,
            TransformKind::KeyExchange,
            TransformKind::Esn,
        ]
    };
    for r in responder {
        for i in initiator {
            if r.protocol() != i.protocol() {
                continue;
            }
            let mut chosen = Vec::new();
            let ok = kinds.iter().all(|&k| {
                let (rs, is) = (set(r, k), set(i, k));
                if rs.is_empty() && is.is_empty() {
                    return true;
                }
                // The responder's order decides.
                match r.of_kind(k).into_iter().find(|t| is.contains(t)) {
                    Some(t) => {
                        chosen.push(t.to_owned());
                        true
                    }
                    None => false,
                }
            });
            if ok {
                return Selection::Chosen(format!("{}:{}", r.protocol(), chosen.join("/")));
            }
        }
    }
    let differing = [Attribute::Encryption, Attribute::Hash, Attribute::DhGroup]
        .into_iter()
        .filter(|a| !(ignore_dh && *a == Attribute::DhGroup))
        .filter(|a| {
            a.kinds().iter().any(|&k| {
                !initiator.iter().any(|i| {
                    responder.iter().any(|r| {
                        let (rs, is) = (set(r, k), set(i, k));
                        (rs.is_empty() && is.is_empty()) || !rs.is_disjoint(&is)
                    })
                })
            })
        })
        .collect();
    Selection::NoMatch(differing)
}

/// Every transform of the kinds of `attribute` in a list.
pub(crate) fn transforms(list: &[Proposal], attribute: Attribute) -> BTreeSet<String> {
    list.iter()
        .flat_map(|p| attribute.kinds().iter().flat_map(move |&k| p.of_kind(k)))
        .map(str::to_owned)
        .collect()
}

/// The identity a side presents: its configured local id, or its address.
pub(crate) fn presented_identity(t: &Tunnel) -> Option<Identity> {
    match &t.local_id {
        Some(id) if id.kind != IdentityKind::Any => Some(id.clone()),
        _ => t
            .local_addrs
            .iter()
            .find_map(|a| a.parse::<IpAddr>().ok())
            .map(|ip| Identity::parse(&ip.to_string())),
    }
}

/// Whether identity `presented` satisfies the expected identity; `None`
/// expected (or `%any`) accepts everything.
pub(crate) fn identity_matches(expected: Option<&Identity>, presented: Option<&Identity>) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    if expected.kind == IdentityKind::Any {
        return true;
    }
    let Some(presented) = presented else {
        return true;
    };
    match (&expected.kind, &presented.kind) {
        (IdentityKind::Address(a), IdentityKind::Address(b)) => a == b,
        _ => {
            let (e, p) = (expected.value.trim(), presented.value.trim());
            if let Some(suffix) = e.strip_prefix('*') {
                return p
                    .to_ascii_lowercase()
                    .ends_with(&suffix.to_ascii_lowercase());
            }
            match expected.kind {
                IdentityKind::Asn1Dn => normalize_dn(e) == normalize_dn(p),
                _ => e.eq_ignore_ascii_case(p),
            }
        }
    }
}

fn normalize_dn(dn: &str) -> String {
    dn.split([',', '/'])
        .map(|rdn| rdn.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|rdn| !rdn.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `id` is one of the tunnel's own addresses.
pub(crate) fn is_own_address(t: &Tunnel, id: &Identity) -> bool {
    match id.kind {
        IdentityKind::Address(ip) => t
            .local_addrs
            .iter()
            .any(|a| a.parse::<IpAddr>().ok() == Some(ip)),
        _ => false,
    }
}

/// Traffic selectors of one end of a CHILD SA; an empty list is the
/// tunnel's own address (`dynamic`).
pub(crate) fn selectors(list: &[IpNet], addrs: &[String]) -> Vec<IpNet> {
    if !list.is_empty() {
        return list.to_vec();
    }
    addrs
        .iter()
        .filter_map(|a| a.parse::<IpAddr>().ok())
        .map(IpNet::from)
        .collect()
}

pub(crate) use ipsec_doctor_findings::intersects;

/// `10.0.0.0/24, 10.0.1.0/24`.
pub(crate) fn show(list: &[IpNet]) -> String {
    if list.is_empty() {
        "(dynamic, address unknown)".to_owned()
    } else {
        list.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[&str]) -> Vec<Proposal> {
        list.iter().filter_map(|s| Proposal::parse(s)).collect()
    }

    #[test]
    fn responder_order_decides_the_selected_proposal() {
        let i = p(&["IKE:AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]);
        let r = p(&["IKE:AES_CBC_256/AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]);
        let Selection::Chosen(chosen) = select(&i, &r, false) else {
            panic!()
        };
        assert_eq!(
            chosen,
            "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"
        );
    }

    #[test]
    fn a_differing_dh_group_is_named() {
        let i = p(&["IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]);
        let r = p(&["IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_8192"]);
        let Selection::NoMatch(diff) = select(&i, &r, false) else {
            panic!()
        };
        assert_eq!(diff, [Attribute::DhGroup]);
    }

    #[test]
    fn ikev2_first_child_sa_ignores_pfs() {
        let i = p(&["ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"]);
        let r = p(&["ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"]);
        assert!(matches!(select(&i, &r, true), Selection::Chosen(_)));
        assert!(
            matches!(select(&i, &r, false), Selection::NoMatch(d) if d == [Attribute::DhGroup])
        );
    }

    #[test]
    fn identities() {
        let ip = Identity::parse("192.0.2.10");
        assert!(identity_matches(Some(&Identity::parse("%any")), Some(&ip)));
        assert!(!identity_matches(
            Some(&Identity::parse("203.0.113.245")),
            Some(&ip)
        ));
        assert!(identity_matches(
            Some(&Identity::parse("*.example.org")),
            Some(&Identity::parse("gw.example.org"))
        ));
        assert!(identity_matches(
            Some(&Identity::parse("C=CH, O=Lab, CN=moon")),
            Some(&Identity::parse("C=CH,O=Lab,CN=moon"))
        ));
    }
}
