//! A cheap test that tells which charon messages can never mean anything to
//! diagnosis, so that they need not be parsed.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// Literals of which every message [`crate::parse_charon`] recognises
/// contains at least one (except a traffic selector list item, a message
/// without spaces). They are also the catalogue's signature strings that
/// `grep -F -f` and `rg -F -f` are given in the benchmark.
pub const SIGNATURES: &[&str] = &[
    // Few and distinct: the sieve's SIMD search slows down sharply with
    // the number of literals (62: 70-90 ms per 100 MB, 53: 47-53 ms), so a
    // literal that another contains is left out ("initiating IKE_SA" also
    // finds "reinitiating IKE_SA", "failed" "parsing failed").
    "packet: from ",
    "parsed ",
    "generating ",
    // Not "proposal": charon's "selecting proposal:" and "proposal matches"
    // are a sixth of a busy log and mean nothing here.
    "proposals",
    "selected proposal:",
    "proposal found",
    "no acceptable ",
    "decrypt",
    "behind NAT",
    "faking NAT",
    "DPD",
    "HASH",
    "failed",
    "traffic selectors",
    "Aggressive Mode",
    "DELETE for IKE_SA",
    // every front-end's start line: "Starting IKE charon daemon (strongSwan
    // 5.9.8, ...", "Starting charon-systemd IKE daemon (strongSwan 6.0.1, ..."
    "(strongSwan ",
    "not responding",
    "reauthenticating IKE_SA",
    "notify",
    "lifetime",
    // Not "initiating ": "reinitiating already active tasks" is frequent.
    "initiating IKE_SA",
    "initiating Main Mode",
    // "is initiating a Main Mode IKE_SA", 6.0.6+ "is initiating IKE_SA x[1]"
    "is initiating ",
    "ed between",
    " and TS ",
    // "deleting IKE_SA con[1] between", and "IKE_SA rekey collision lost,
    // deleting redundant IKE_SA con[2]"
    "deleting ",
    "looking for ",
    "retransmit",
    "MAC mismatched",
    "authentication of '",
    "payload length",
    "IDir '",
    // "peer config", "CHILD_SA config", "no IKE config found", "matching ike
    // config", "no config named", "found 1 matching config, but none allows"
    // (no literal may start with a blank or "# ": Teddy's fingerprints of so
    // common a first byte cost a third of the search)
    "config",
    // "unable to install ... in kernel", "unable to add SAD entry", "unable
    // to create netlink socket"
    "unable to ",
    "scheduling re",
    // certificates, keys, EAP, XAuth, IKE versions (see charon::credentials)
    "key found",
    "issuer",
    "not trusted",
    "certificate",
    "crl is stale",
    "entity cert",
    "EAP_NAK",
    // "XAuth secrets", "malformed secret"
    "secret",
    // "received unsupported IKE version 1.0 from ...", and "IKE version 1
    // not supported" (a charon built without IKEv1)
    "IKE version",
    "timed out after",
    // SPI refused by the kernel; old spellings (4.6-5.6: "inacceptable").
    "allocat",
    "inacceptable",
    // configuration refused at load (charon::config_load_failure; the
    // rest of its wordings hold "failed")
    "discarded",
    "not recognized",
    "mandatory in",
    // starter: "# unknown keyword", "# bad value", "### 1 parsing error";
    // "fatal error", "syntax error"
    "unknown keyword",
    "bad value",
    "error",
    "skipped invalid",
    // "received message ID 0, expected 1, ignored": the peer answers with
    // another message than the request's
    "expected ",
    // a crash's backtrace
    "stack frame",
];

/// Whether a charon message may mean something to diagnosis: `false` only
/// when [`crate::parse_charon`] would certainly return
/// [`crate::CharonEvent::Unrecognized`], found in one pass over the message
/// (Aho-Corasick over [`SIGNATURES`]) rather than by trying every wording.
pub fn may_matter(message: &str) -> bool {
    static MATCHER: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    // A traffic selector list item is a message without spaces.
    if !message.trim().contains(' ') {
        return true;
    }
    match MATCHER.get_or_init(|| AhoCorasick::new(SIGNATURES).ok()) {
        Some(matcher) => matcher.is_match(message),
        None => true,
    }
}
