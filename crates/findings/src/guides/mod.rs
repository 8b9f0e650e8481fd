//! Guides: the seed's checklists for what logs cannot show. Each guide is a
//! text file next to this module, in the project's own words, reachable by
//! id and by keywords through `ipsec-doctor explain TOPIC`.

/// A guide operators read with `ipsec-doctor explain ID`.
#[derive(Debug)]
pub struct Guide {
    /// The id findings link to.
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// Words a user may type instead of the id.
    pub keywords: &'static [&'static str],
    /// The text.
    pub text: &'static str,
}

/// Every guide.
#[rustfmt::skip]
pub static GUIDES: &[Guide] = &[
    Guide { id: "debugging", title: "Setting IPsec log levels for diagnosis (strongSwan and racoon)", keywords: &["logging", "log-levels", "loglevel", "log-level", "debug", "diag", "racoon-debug", "verbose"], text: include_str!("debugging.txt") },
    Guide { id: "renegotiation", title: "Tunnels that fail after a Phase 1 or Phase 2 expiry", keywords: &["rekey", "rekeying", "expiry", "renegotiation-errors"], text: include_str!("renegotiation.txt") },
    Guide { id: "shrew", title: "Debugging the Shrew Soft VPN Client", keywords: &["shrewsoft", "shrew-soft", "shrew-soft-vpn", "vpn-client", "trace"], text: include_str!("shrew.txt") },
    Guide { id: "mss", title: "Packet loss with certain protocols: MTU and MSS clamping", keywords: &["mtu", "clamping", "fragmentation", "packet-loss", "smb", "rdp"], text: include_str!("mss.txt") },
    Guide { id: "some-hosts", title: "Some hosts work across the tunnel, others do not", keywords: &["some-hosts-work", "gateway", "default-gateway", "subnet-mask", "netmask", "mask", "routing"], text: include_str!("some-hosts.txt") },
    Guide { id: "overlapping-networks", title: "ESP arrives but the traffic never reaches the LAN", keywords: &["enc0", "route-conflict", "overlapping-subnets", "overlap", "openvpn-conflict"], text: include_str!("overlapping-networks.txt") },
];

/// A topic as ids and keywords are written: trimmed, lower case, spaces and
/// underscores as hyphens.
pub(crate) fn normalize(topic: &str) -> String {
    topic
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect()
}

/// The guide for an id or keyword (case-insensitive; spaces and underscores
/// count as hyphens, so `explain "subnet mask"` works too).
pub fn find(topic: &str) -> Option<&'static Guide> {
    let topic = normalize(topic);
    GUIDES
        .iter()
        .find(|g| g.id == topic)
        .or_else(|| GUIDES.iter().find(|g| g.keywords.contains(&topic.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{rule_by_id, CATALOG};

    #[test]
    fn every_see_also_resolves_to_a_rule_or_a_guide() {
        for rule in CATALOG {
            for target in rule.see_also {
                if let crate::rule::SeeAlso::Guide(id) = target {
                    assert!(
                        find(id).is_some_and(|g| g.id == *id),
                        "{} links to unknown guide {id}",
                        rule.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_guide_by_id_and_by_keyword() {
        for guide in GUIDES {
            assert_eq!(find(guide.id).map(|g| g.id), Some(guide.id));
            assert!(!guide.keywords.is_empty(), "{}", guide.id);
            for keyword in guide.keywords {
                assert_eq!(find(keyword).map(|g| g.id), Some(guide.id), "{keyword}");
                // `explain` tries rules first: a keyword must not hide behind one.
                assert!(rule_by_id(keyword).is_none(), "{keyword} is a rule id");
            }
            assert!(
                rule_by_id(guide.id).is_none(),
                "{} is also a rule id",
                guide.id
            );
            assert!(guide.text.len() > 400, "{} is too short", guide.id);
        }
    }

    #[test]
    fn the_topics_operators_type() {
        for (topic, id) in [
            ("mss", "mss"),
            ("mtu", "mss"),
            ("clamping", "mss"),
            ("MTU", "mss"),
            ("shrew", "shrew"),
            ("shrewsoft", "shrew"),
            ("some-hosts", "some-hosts"),
            ("gateway", "some-hosts"),
            ("subnet-mask", "some-hosts"),
            ("subnet mask", "some-hosts"),
            ("loglevel", "debugging"),
            ("debugging", "debugging"),
            ("renegotiation", "renegotiation"),
            ("overlapping-networks", "overlapping-networks"),
            ("enc0", "overlapping-networks"),
        ] {
            assert_eq!(find(topic).map(|g| g.id), Some(id), "{topic}");
        }
        assert!(find("no-such-topic").is_none());
    }

    #[test]
    fn the_mss_guide_has_a_bisection_procedure() {
        let text = find("mss").map(|g| g.text).unwrap_or_default();
        assert!(text.contains("1300"));
        assert!(text.contains("ping -M do -s"));
        assert!(text.contains("ping -D -s"));
        assert!(text.contains("Bisect"));
    }

    #[test]
    fn debugging_covers_racoon() {
        let text = find("debugging").map(|g| g.text).unwrap_or_default();
        assert!(text.contains("racoon debug mode"));
        assert!(text.contains("System > Advanced > Miscellaneous"));
    }
}
