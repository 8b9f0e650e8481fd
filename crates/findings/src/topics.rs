//! What `ipsec-doctor explain TOPIC` finds: a finding or a guide by its id
//! (in any case), else every finding and guide a keyword names (the words
//! of a finding's id, their synonyms, a guide's keywords), else the ids the
//! topic is a near miss of.

use crate::catalog::CATALOG;
use crate::guides::{Guide, GUIDES};
use crate::rule::Rule;

/// One finding or guide.
#[derive(Debug, Clone, Copy)]
pub enum Topic {
    /// A finding of the catalogue.
    Rule(&'static Rule),
    /// A guide.
    Guide(&'static Guide),
}

impl Topic {
    /// Its id.
    pub fn id(&self) -> &'static str {
        match self {
            Topic::Rule(rule) => rule.id,
            Topic::Guide(guide) => guide.id,
        }
    }

    /// Its one-line title.
    pub fn title(&self) -> &'static str {
        match self {
            Topic::Rule(rule) => rule.title,
            Topic::Guide(guide) => guide.title,
        }
    }
}

/// What a topic asked for finds.
#[derive(Debug, Clone)]
pub enum Found {
    /// One finding or guide: its id, or the only one a keyword names.
    One(Topic),
    /// Several that a keyword names, findings first, in catalogue order.
    Several(Vec<Topic>),
    /// Nothing by that name; these ids are close to it.
    NearMisses(Vec<&'static str>),
    /// Nothing at all.
    Nothing,
}

/// Words of finding ids that name no topic on their own.
const NOT_KEYWORDS: &[&str] = &[
    "mismatch", "failure", "failed", "p1", "p2", "not", "in", "log", "reached",
];

/// Words users type for a word of the finding ids.
const SYNONYMS: &[(&str, &str)] = &[
    ("secret", "psk"),
    ("pre-shared-key", "psk"),
    ("preshared", "psk"),
    ("pre-shared", "psk"),
    ("certificate", "cert"),
    ("certificates", "cert"),
    ("certs", "cert"),
    ("x509", "cert"),
    ("dead-peer-detection", "dpd"),
    ("dead-peer", "dpd"),
    ("nat-t", "nat"),
    ("nat-traversal", "nat"),
    ("natt", "nat"),
    ("fragment", "fragmentation"),
    ("fragments", "fragmentation"),
    ("rekey", "renegotiation"),
    ("rekeying", "renegotiation"),
    ("proposals", "proposal"),
    ("algorithm", "proposal"),
    ("algorithms", "proposal"),
    ("cipher", "encryption"),
    ("identity", "id"),
    ("identities", "id"),
    ("identifier", "id"),
    ("diffie-hellman", "dh"),
    ("lifetimes", "lifetime"),
    ("traffic-selector", "ts"),
    ("traffic-selectors", "ts"),
    ("subnet", "ts"),
    ("subnets", "ts"),
    ("segfault", "crash"),
];

/// The topic asked for: case-insensitive, spaces and underscores count as
/// hyphens (`explain "PSK mismatch"`).
pub fn find_topic(asked: &str) -> Found {
    let topic = crate::guides::normalize(asked);
    if topic.is_empty() {
        return Found::Nothing;
    }
    if let Some(rule) = CATALOG.iter().find(|r| r.id == topic) {
        return Found::One(Topic::Rule(rule));
    }
    if let Some(guide) = GUIDES.iter().find(|g| g.id == topic) {
        return Found::One(Topic::Guide(guide));
    }
    let word = SYNONYMS
        .iter()
        .find(|(typed, _)| *typed == topic)
        .map_or(topic.as_str(), |(_, word)| word);
    let mut named: Vec<Topic> = CATALOG
        .iter()
        .filter(|r| {
            r.id.split('-')
                .filter(|w| !NOT_KEYWORDS.contains(w))
                .any(|w| w == word)
        })
        .map(|r| Topic::Rule(r))
        .collect();
    named.extend(
        GUIDES
            .iter()
            .filter(|g| g.keywords.contains(&topic.as_str()) || g.keywords.contains(&word))
            .map(Topic::Guide),
    );
    match named.len() {
        0 => {}
        1 => return Found::One(named[0]),
        _ => return Found::Several(named),
    }
    let ids = CATALOG
        .iter()
        .map(|r| r.id)
        .chain(GUIDES.iter().map(|g| g.id));
    let near: Vec<&'static str> = ids
        .filter(|id| {
            (topic.len() >= 3 && id.contains(topic.as_str())) || edit_distance(id, &topic) <= 2
        })
        .collect();
    if near.is_empty() {
        Found::Nothing
    } else {
        Found::NearMisses(near)
    }
}

/// Levenshtein distance, in bytes (ids are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(found: &Found) -> Vec<&'static str> {
        match found {
            Found::One(t) => vec![t.id()],
            Found::Several(ts) => ts.iter().map(Topic::id).collect(),
            Found::NearMisses(ids) => ids.clone(),
            Found::Nothing => Vec::new(),
        }
    }

    #[test]
    fn ids_are_found_in_any_case_and_with_spaces() {
        for asked in ["PSK-MISMATCH", "psk mismatch", " Psk_Mismatch "] {
            assert!(
                matches!(find_topic(asked), Found::One(Topic::Rule(r)) if r.id == "psk-mismatch"),
                "{asked}"
            );
        }
        assert!(matches!(find_topic("MSS"), Found::One(Topic::Guide(g)) if g.id == "mss"));
    }

    #[test]
    fn a_keyword_finds_every_finding_and_guide_it_names() {
        assert_eq!(ids(&find_topic("psk")), ["psk-mismatch"]);
        assert_eq!(ids(&find_topic("secret")), ["psk-mismatch"]);
        let nat = ids(&find_topic("nat"));
        assert!(
            nat.contains(&"nat-id-mismatch") && nat.contains(&"nat-t-blocked"),
            "{nat:?}"
        );
        let dpd = ids(&find_topic("dpd"));
        assert!(
            dpd.contains(&"dpd-timeout") && dpd.contains(&"dpd-drop-embedded"),
            "{dpd:?}"
        );
        let cert = ids(&find_topic("certificate"));
        assert!(
            cert.len() >= 5 && cert.iter().all(|id| id.starts_with("cert-")),
            "{cert:?}"
        );
        assert_eq!(ids(&find_topic("pfs")), ["p2-pfs-mismatch"]);
        let proposal = ids(&find_topic("proposal"));
        assert!(
            proposal.contains(&"p1-proposal-mismatch")
                && proposal.contains(&"p2-proposal-mismatch")
        );
    }

    #[test]
    fn fragmentation_lists_the_finding_before_the_guide() {
        let found = ids(&find_topic("fragmentation"));
        assert_eq!(found.first(), Some(&"fragmentation-mtu"), "{found:?}");
        assert!(found.contains(&"mss"), "{found:?}");
    }

    #[test]
    fn a_near_miss_is_told_what_it_is_near() {
        assert!(
            matches!(find_topic("psk-mismach"), Found::NearMisses(ids) if ids == ["psk-mismatch"])
        );
        assert!(matches!(find_topic("xyzzy"), Found::Nothing));
        assert!(matches!(find_topic(""), Found::Nothing));
    }

    #[test]
    fn every_synonym_names_something() {
        for (typed, _) in SYNONYMS {
            assert!(
                matches!(find_topic(typed), Found::One(_) | Found::Several(_)),
                "{typed} names nothing"
            );
        }
    }
}
