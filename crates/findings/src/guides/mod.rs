//! Guides: the seed's checklists for what logs cannot show. Each guide is a
//! text file next to this module, in the project's own words, reachable by
//! id and by keywords through `ipsec-doctor explain TOPIC`.

/// A guide operators read with `ipsec-doctor explain ID`.
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
    Guide { id: "debugging", title: "Setting IPsec log levels for diagnosis", keywords: &["logging", "log-levels", "loglevel", "debug", "diag"], text: include_str!("debugging.txt") },
    Guide { id: "renegotiation", title: "Tunnels that fail after a Phase 1 or Phase 2 expiry", keywords: &["rekey", "rekeying", "expiry", "renegotiation-errors"], text: include_str!("renegotiation.txt") },
];

/// The guide for an id or keyword (case-insensitive).
pub fn find(topic: &str) -> Option<&'static Guide> {
    let topic = topic.trim().to_ascii_lowercase();
    GUIDES
        .iter()
        .find(|g| g.id == topic)
        .or_else(|| GUIDES.iter().find(|g| g.keywords.contains(&topic.as_str())))
}
