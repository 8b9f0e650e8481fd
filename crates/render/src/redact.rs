//! Redaction of a report, so that it can be shared (`--redact`).
//!
//! A report quotes the user's logs: evidence lines, summaries and fix steps
//! carry the addresses of both gateways and their subnets, syslog host
//! names, connection names, the identities the peers claim (FQDNs,
//! `user@fqdn`, X.509 subjects, key ids, XAuth/EAP user names) and, where a
//! configuration or a `config.xml` was pasted, pre-shared keys. [`redact`]
//! replaces each of them with a typed placeholder:
//!
//! - addresses: `IPv4-1`, `IPv6-1` (a `/prefix`, a `:port`, a `%zone` stay
//!   as they were: `10.1.2.0/24` becomes `IPv4-3/24`);
//! - syslog host names: `HOST-1`;
//! - connection and CHILD_SA names: `TUNNEL-1` (a tunnel named after its
//!   peer, `peer 192.0.2.11`, keeps `peer `: `peer IPv4-2`);
//! - identities: `ID-1`, for an FQDN, `@fqdn`, an e-mail address, a whole
//!   distinguished name (`C=CH, O=strongSwan, CN=moon.strongswan.org` is one
//!   value), a key id, a user name;
//! - secrets: `<redacted secret>`, never numbered, so that not even whether
//!   two secrets are equal can be read from the output (the diagnosis says
//!   so where it matters).
//!
//! The same value gets the same placeholder everywhere in the report
//! (numbered in the order redaction meets them: the findings first, then
//! the tunnels), so the redacted report
//! still tells which line is about which peer, and the two ends of a tunnel
//! still pair up. An address keeps its family but nothing of its value, so
//! no placeholder can be taken for (or collide with) a real address.
//!
//! In each text, secrets are looked for first (`secret = ...`,
//! `: PSK "..."`, `: XAUTH "..."`, `<pre-shared-key>`, `<PreSharedKey>`,
//! charon's key dumps), then the wordings that carry identities and names
//! (`authentication of '...'`, `IDir '...' does not match to '...'`,
//! `addr[identity]`, pluto's `ID_FQDN '...'` and `peer ID is ...`,
//! certificate subjects in quotes, charon's `<name|1>`, pluto's
//! `"name"[1]`, `id = ...` in a pasted configuration), e-mail addresses
//! and `@fqdn`s, then the values the report's own fields hold (host names,
//! tunnel names, peers): wherever they stand as whole tokens (a tunnel `lan`
//! is not found in `vlan`, a host `fw` not in `fw-hq`). Last come
//! free-standing addresses, distinguished names and FQDNs. Where two
//! overlap, the one found first is taken.
//!
//! Kept as they are: evidence paths and line numbers (the file names are the
//! user's own choice), finding ids, titles and severities, timestamps,
//! algorithm and proposal names (`IKE:AES_CBC_128/HMAC_SHA1_96/...`), file
//! names (`swanctl.conf`, `ipsec.secrets`), strongswan.conf settings
//! (`charon.fragment_size`), version strings, ports, SPIs, the unspecified
//! address `0.0.0.0` / `::` and netmasks (`255.255.255.0`), which name no
//! host but matter for a traffic selector. Fix steps taken verbatim from the
//! catalogue hold no input, so only the known values are looked for there.
//!
//! A placeholder matches none of the patterns, and one already in a text is
//! left alone: redacting a redacted report changes nothing. Log text is
//! untrusted: any input is handled without panicking; the patterns are
//! compiled once and each text is scanned by each of them, so the cost grows
//! with the size of the report, not of the log.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv6Addr;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use ipsec_doctor_findings::{Evidence, Report};
use regex::Regex;

/// What a secret becomes.
const SECRET: &str = "<redacted secret>";

/// The kind of a redacted value, which names its placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ipv4,
    Ipv6,
    Host,
    Tunnel,
    Id,
}

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Ipv4 => 0,
            Kind::Ipv6 => 1,
            Kind::Host => 2,
            Kind::Tunnel => 3,
            Kind::Id => 4,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Kind::Ipv4 => "IPv4",
            Kind::Ipv6 => "IPv6",
            Kind::Host => "HOST",
            Kind::Tunnel => "TUNNEL",
            Kind::Id => "ID",
        }
    }
}

/// Returns a copy of the report with addresses, identities, host and tunnel
/// names, and secrets replaced by placeholders (`IPv4-1`, `IPv6-1`,
/// `HOST-1`, `TUNNEL-1`, `ID-1`, `<redacted secret>`), the same value by the
/// same placeholder everywhere in the report. Finding ids, titles,
/// severities, evidence paths and line numbers, counts and algorithm names
/// are kept: the diagnosis reads the same. See the module documentation for
/// what is matched.
pub fn redact(report: &Report) -> Report {
    let mut redactor = Redactor::new(report);
    let mut out = report.clone();
    for f in &mut out.findings {
        f.host = f.host.as_deref().map(|h| redactor.host(h));
        f.tunnel = f.tunnel.as_deref().map(|t| redactor.tunnel(t));
        f.summary = redactor.text(&f.summary);
        f.peer_summary = f.peer_summary.as_deref().map(|s| redactor.text(s));
        for step in &mut f.fix {
            *step = match step {
                // Catalogue text: it holds no input, only known values can
                // stand in it by coincidence.
                Cow::Borrowed(s) => match redactor.known_only(s) {
                    Some(changed) => Cow::Owned(changed),
                    None => Cow::Borrowed(*s),
                },
                Cow::Owned(s) => Cow::Owned(redactor.text(s)),
            };
        }
        redactor.evidence(&mut f.evidence);
    }
    for t in &mut out.tunnels {
        t.host = t.host.as_deref().map(|h| redactor.host(h));
        t.tunnel = t.tunnel.as_deref().map(|n| redactor.tunnel(n));
        t.local = t.local.as_deref().map(|a| redactor.address(a));
        t.remote = t.remote.as_deref().map(|a| redactor.address(a));
        if let Some((_, e)) = &mut t.ike_lifetime {
            e.text = redactor.text(&e.text);
        }
    }
    redactor.evidence(&mut out.reading.unread_samples);
    out
}

/// One replacement in a text: a value (by its kind and key) or a secret; or
/// a placeholder already there, kept as it is and from every pattern.
#[derive(Debug, Clone)]
enum Hit {
    Value(Kind, String),
    Secret,
    Keep,
}

/// The replacements found in one text, by start, never overlapping: the
/// first one found for a range wins.
#[derive(Default)]
struct Hits {
    by_start: BTreeMap<usize, (usize, Hit)>,
}

impl Hits {
    /// Adds the replacement of `start..end` unless it overlaps one already
    /// found.
    fn add(&mut self, start: usize, end: usize, hit: Hit) {
        if start >= end {
            return;
        }
        if let Some((_, (prev_end, _))) = self.by_start.range(..end).next_back() {
            if *prev_end > start {
                return;
            }
        }
        self.by_start.insert(start, (end, hit));
    }

    /// Where a search that found `start..end` taken should go on: after the
    /// first hit it overlaps; `None` when it overlaps none.
    fn taken_until(&self, start: usize, end: usize) -> Option<usize> {
        if let Some((_, (e, _))) = self.by_start.range(..=start).next_back() {
            if *e > start {
                return Some(*e);
            }
        }
        self.by_start
            .range(start..end)
            .next()
            .map(|(s, (e, _))| if *s < end { *e } else { end })
            .filter(|_| start < end)
    }

    /// Adds the value `text[start..end]` as what it is, or nothing when it is
    /// none of the redacted kinds (`%any`, a path, a placeholder). An address
    /// with a `/prefix` is replaced without its suffix.
    fn add_value(&mut self, text: &str, start: usize, end: usize, default: Kind) {
        let Some(value) = text.get(start..end) else {
            return;
        };
        let lead = value.len() - value.trim_start().len();
        let value = value.trim();
        let start = start + lead;
        if let Some((kind, key, len)) = classify(value, default) {
            self.add(start, start + len, Hit::Value(kind, key));
        }
    }
}

/// Placeholders handed out so far.
#[derive(Default)]
struct Placeholders {
    by_key: HashMap<String, String>,
    next: [u32; 5],
    /// The kind a known value takes wherever it is met first (a tunnel name
    /// in `for "gw-gw"` is still a tunnel's).
    hints: HashMap<String, Kind>,
}

impl Placeholders {
    fn get(&mut self, kind: Kind, key: &str) -> String {
        if let Some(p) = self.by_key.get(key) {
            return p.clone();
        }
        let kind = match kind {
            Kind::Ipv4 | Kind::Ipv6 => kind,
            _ => self.hints.get(key).copied().unwrap_or(kind),
        };
        let n = &mut self.next[kind.index()];
        *n += 1;
        let p = format!("{}-{}", kind.label(), n);
        self.by_key.insert(key.to_owned(), p.clone());
        p
    }
}

/// A host, tunnel or address name the report's fields hold, looked for in
/// every text.
struct Known {
    value: String,
    kind: Kind,
}

struct Redactor {
    placeholders: Placeholders,
    known: Vec<Known>,
    /// The known values that are one token ([`is_one_token`]), by value:
    /// found by splitting a text into its tokens, in time linear in the
    /// text whatever the number of names (tens of thousands of host names
    /// in a central syslog made the automaton's build most of the cost).
    tokens: HashMap<String, usize>,
    /// The other known values (with a blank, a colon, a slash...).
    matcher: Option<AhoCorasick>,
    /// For each of the automaton's patterns, its index in `known`.
    matched: Vec<usize>,
}

impl Redactor {
    fn new(report: &Report) -> Redactor {
        let mut r = Redactor {
            placeholders: Placeholders::default(),
            known: Vec::new(),
            tokens: HashMap::new(),
            matcher: None,
            matched: Vec::new(),
        };
        for f in &report.findings {
            r.learn_host(f.host.as_deref());
            r.learn_tunnel(f.tunnel.as_deref());
        }
        for t in &report.tunnels {
            r.learn_host(t.host.as_deref());
            r.learn_tunnel(t.tunnel.as_deref());
            r.learn_address(t.local.as_deref());
            r.learn_address(t.remote.as_deref());
        }
        // One entry per value (the kind it was first learned as). Of two
        // known values at one place the longer is taken (`find_known`).
        r.known.sort_by(|a, b| {
            b.value
                .len()
                .cmp(&a.value.len())
                .then(a.value.cmp(&b.value))
        });
        r.known.dedup_by(|a, b| a.value == b.value);
        for (i, k) in r.known.iter().enumerate() {
            if is_one_token(&k.value) {
                r.tokens.insert(k.value.clone(), i);
            } else {
                r.matched.push(i);
            }
        }
        if !r.matched.is_empty() {
            let known = &r.known;
            r.matcher = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(
                    r.matched
                        .iter()
                        .filter_map(|&i| known.get(i))
                        .map(|k| k.value.as_str()),
                )
                .ok();
        }
        r
    }

    fn learn(&mut self, value: &str, kind: Kind) {
        if is_placeholder(value) || value.trim().is_empty() {
            return;
        }
        let key = name_key(value);
        self.placeholders.hints.entry(key).or_insert(kind);
        // Too short or a bare number: as a token in log text it would be
        // some count or id, not the name.
        if value.chars().count() >= 2 && !value.chars().all(|c| c.is_ascii_digit()) {
            self.known.push(Known {
                value: value.to_owned(),
                kind,
            });
        }
    }

    fn learn_host(&mut self, host: Option<&str>) {
        if let Some(h) = host {
            if parse_ip(h).is_none() {
                self.learn(h, Kind::Host);
            }
        }
    }

    fn learn_tunnel(&mut self, tunnel: Option<&str>) {
        let Some(t) = tunnel else { return };
        if let Some(peer) = t.strip_prefix("peer ") {
            self.learn_address(Some(peer));
        } else if parse_ip(t).is_none() {
            self.learn(t, Kind::Tunnel);
        }
    }

    fn learn_address(&mut self, address: Option<&str>) {
        if let Some(a) = address {
            if classify(a.trim(), Kind::Id).is_some_and(|(kind, _, _)| kind == Kind::Id) {
                self.learn(a.trim(), Kind::Id);
            }
        }
    }

    /// A whole field of one value.
    fn field(&mut self, value: &str, kind: Kind) -> String {
        if is_placeholder(value) {
            return value.to_owned();
        }
        match classify(value.trim(), kind) {
            Some((kind, key, len)) => {
                let trimmed = value.trim();
                let p = self.placeholders.get(kind, &key);
                // An address keeps its `/prefix` or `%zone`.
                format!("{p}{}", trimmed.get(len..).unwrap_or(""))
            }
            None => value.to_owned(),
        }
    }

    fn host(&mut self, host: &str) -> String {
        self.field(host, Kind::Host)
    }

    fn tunnel(&mut self, tunnel: &str) -> String {
        match tunnel.strip_prefix("peer ") {
            Some(peer) => format!("peer {}", self.address(peer)),
            None => self.field(tunnel, Kind::Tunnel),
        }
    }

    fn address(&mut self, address: &str) -> String {
        self.field(address, Kind::Id)
    }

    fn evidence(&mut self, lines: &mut [Evidence]) {
        for e in lines {
            e.text = self.text(&e.text);
        }
    }

    /// Free text: every pattern.
    fn text(&mut self, text: &str) -> String {
        let mut hits = Hits::default();
        find_placeholders(text, &mut hits);
        find_secrets(text, &mut hits);
        find_contexts(text, &mut hits);
        // An e-mail address is one value, even where its domain is a known
        // host name.
        find_addressed_ids(text, &mut hits);
        self.find_known(text, &mut hits);
        find_patterns(text, &mut hits);
        self.apply(text, &hits)
    }

    /// Catalogue text: only the known values; `None` when none stands in it.
    fn known_only(&mut self, text: &str) -> Option<String> {
        let mut hits = Hits::default();
        self.find_known(text, &mut hits);
        if hits.by_start.is_empty() {
            None
        } else {
            Some(self.apply(text, &hits))
        }
    }

    fn find_known(&self, text: &str, hits: &mut Hits) {
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        if !self.tokens.is_empty() {
            for (start, end) in tokens(text) {
                if let Some(&i) = text.get(start..end).and_then(|t| self.tokens.get(t)) {
                    found.push((start, end, i));
                }
            }
        }
        match &self.matcher {
            Some(m) => {
                for mat in m.find_overlapping_iter(text) {
                    if let Some(&i) = self.matched.get(mat.pattern().as_usize()) {
                        found.push((mat.start(), mat.end(), i));
                    }
                }
            }
            None => {
                // The automaton could not be built (it never fails for a
                // report's few names, but a leak is worse than slowness).
                for &i in &self.matched {
                    let Some(k) = self.known.get(i) else { continue };
                    for (start, s) in text.match_indices(k.value.as_str()) {
                        found.push((start, start + s.len(), i));
                    }
                }
            }
        }
        found.retain(|&(start, end, _)| whole_token(text, start, end));
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        for (start, end, i) in found {
            if let Some(k) = self.known.get(i) {
                hits.add(start, end, Hit::Value(k.kind, name_key(&k.value)));
            }
        }
    }

    /// Writes `text` with every hit replaced, numbering new values in the
    /// order they appear.
    fn apply(&mut self, text: &str, hits: &Hits) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (&start, (end, hit)) in &hits.by_start {
            let (Some(before), true) = (text.get(at..start), text.is_char_boundary(*end)) else {
                continue;
            };
            out.push_str(before);
            match hit {
                Hit::Secret => out.push_str(SECRET),
                Hit::Keep => out.push_str(text.get(start..*end).unwrap_or("")),
                Hit::Value(kind, key) => out.push_str(&self.placeholders.get(*kind, key)),
            }
            at = *end;
        }
        out.push_str(text.get(at..).unwrap_or(""));
        out
    }
}

// ---------------------------------------------------------------------------
// Values

/// Whether `s` is one of the placeholders this module writes.
fn is_placeholder(s: &str) -> bool {
    static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:(?:IPv4|IPv6|HOST|TUNNEL|ID)-[0-9]+|<redacted secret>)$")
            .expect("constant regex")
    });
    PLACEHOLDER.is_match(s)
}

/// The placeholders a text already holds (it was redacted before): no
/// pattern may take them, or a part of them, for a value. An address's
/// placeholder may stand glued to a word (`x192.0.2.1` became `xIPv4-1`);
/// another's must stand apart, or `UUID-1234` would hide a tunnel's name.
fn find_placeholders(text: &str, hits: &mut Hits) {
    static IN_TEXT: LazyLock<Regex> =
        LazyLock::new(|| re(r"(?:IPv4|IPv6|HOST|TUNNEL|ID)-[0-9]+|<redacted secret>"));
    for m in IN_TEXT.find_iter(text) {
        let glued = text
            .get(..m.start())
            .and_then(|s| s.chars().next_back())
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if glued && !m.as_str().starts_with("IPv") {
            continue;
        }
        // Nor may a name that merely starts like one (`ID-42-site`,
        // `HOST-9.corp.example.com`) pass for it; an address's placeholder
        // may be glued on either side (no name starts with `IPv4-1`).
        let a_name = !m.as_str().starts_with("IPv") && !m.as_str().starts_with('<');
        if a_name && continues_a_name(text, m.end()) {
            continue;
        }
        hits.add(m.start(), m.end(), Hit::Keep);
    }
}

/// Whether the text at `at` goes on with the name that ends there: a
/// letter, digit, `_` or `-`, or a dot before one of them (a sentence's
/// full stop ends a name, a domain's dot does not).
fn continues_a_name(text: &str, at: usize) -> bool {
    let mut after = text.get(at..).unwrap_or("").chars();
    match after.next() {
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' => true,
        Some('.') => after.next().is_some_and(|c| c.is_alphanumeric()),
        _ => false,
    }
}

/// The key of a name in the placeholder table.
fn name_key(value: &str) -> String {
    match parse_ip(value) {
        Some((_, key, len)) if len == value.len() => key,
        _ => format!("n:{value}"),
    }
}

/// A dotted quad with octets up to 255 (leading zeros allowed), as its
/// canonical form.
fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = p.parse::<u8>().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(octets)
}

/// Addresses that name no host: the unspecified address and netmasks.
fn ipv4_kept(o: [u8; 4]) -> bool {
    let v = u32::from_be_bytes(o);
    v == 0 || (o[0] == 255 && (!v).wrapping_add(1) & !v == 0)
}

/// An address at the start of `s` (the whole of `s` but for a `/prefix`,
/// `%zone` or `:port` suffix): its kind, table key and length.
fn parse_ip(s: &str) -> Option<(Kind, String, usize)> {
    let end = s.find(['/', '%']).unwrap_or(s.len());
    let addr = &s[..end];
    if let Some(o) = parse_ipv4(addr) {
        return Some((
            Kind::Ipv4,
            format!("4:{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
            end,
        ));
    }
    if let Some((a, port)) = addr.rsplit_once(':') {
        if let (Some(o), true) = (parse_ipv4(a), port.bytes().all(|b| b.is_ascii_digit())) {
            return Some((
                Kind::Ipv4,
                format!("4:{}.{}.{}.{}", o[0], o[1], o[2], o[3]),
                a.len(),
            ));
        }
    }
    let v6 = addr.trim_start_matches('[');
    let v6 = v6.split_once(']').map_or(v6, |(a, _)| a);
    if v6.contains(':') {
        if let Ok(a) = v6.parse::<Ipv6Addr>() {
            let lead = addr.len() - addr.trim_start_matches('[').len();
            // Brackets are part of the placeholder's text only when whole.
            if lead == 0 {
                return Some((Kind::Ipv6, format!("6:{a}"), v6.len()));
            }
        }
    }
    None
}

/// What a value met in an identity's place is: `None` when it is nothing to
/// redact.
fn classify(value: &str, default: Kind) -> Option<(Kind, String, usize)> {
    if value.is_empty()
        || is_placeholder(value)
        || value.starts_with('%')
        || value.starts_with('/')
        || value.starts_with("~/")
        || value == "(null)"
        // The catalogue's and the summaries' stand-ins: `'<id>'`, `"..."`.
        || (value.starts_with('<') && value.ends_with('>') && !value[1..].contains('<'))
        || value.bytes().all(|b| b == b'.')
    {
        return None;
    }
    if let Some((kind, key, len)) = parse_ip(value) {
        if kind == Kind::Ipv4 {
            if let Some(o) = parse_ipv4(&value[..len]) {
                if ipv4_kept(o) {
                    return None;
                }
            }
        }
        if kind == Kind::Ipv6 && key == "6:::" {
            return None;
        }
        // A value with more after the address than a prefix or zone is a
        // name (an identity that contains an address).
        let rest = &value[len..];
        if rest.is_empty() || rest.starts_with('/') || rest.starts_with('%') {
            return Some((kind, key, len));
        }
    }
    Some((default, name_key(value), value.len()))
}

/// Whether a name is one token of [`tokens`]: it starts and ends with a
/// letter, digit, `_` or `-`, and has no other character but dots between
/// letters or digits (`fw-hq`, `site01.example.com`, not `peer 1.2.3.4`).
fn is_one_token(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    !chars.is_empty()
        && chars.first().is_some_and(|&c| word(c))
        && chars.last().is_some_and(|&c| word(c))
        && chars.iter().enumerate().all(|(i, &c)| {
            word(c)
                || (c == '.'
                    && i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric()))
        })
}

/// A text's tokens, as byte ranges: the longest runs of letters, digits,
/// `_` and `-`, joined by dots between letters or digits. A known value
/// that is one token stands whole in a text exactly where it is one of
/// them ([`whole_token`]'s rule, token by token).
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (n, &(at, c)) in chars.iter().enumerate() {
        let joins = word(c)
            || (c == '.'
                && start.is_some()
                && n > 0
                && chars[n - 1].1.is_alphanumeric()
                && chars.get(n + 1).is_some_and(|&(_, d)| d.is_alphanumeric()));
        match (joins, start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                out.push((s, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Whether `text[start..end]` stands as a whole token: not glued to a
/// letter, digit, `_` or `-`, nor to a dot that continues a dotted name.
fn whole_token(text: &str, start: usize, end: usize) -> bool {
    let (Some(before), Some(inner), Some(after)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return false;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let first_wordish = inner.chars().next().is_some_and(word);
    let last_wordish = inner.chars().next_back().is_some_and(word);
    let mut b = before.chars().rev();
    if first_wordish {
        match b.next() {
            Some(c) if word(c) => return false,
            Some('.') if b.next().is_some_and(|c| c.is_alphanumeric()) => return false,
            _ => {}
        }
    }
    let mut a = after.chars();
    if last_wordish {
        match a.next() {
            Some(c) if word(c) => return false,
            Some('.') if a.next().is_some_and(|c| c.is_alphanumeric()) => return false,
            _ => {}
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Patterns

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("constant regex")
}

/// The matches of `regex` in `text` that overlap no hit already found. A
/// match that does is searched for again after that hit, so that a value
/// next to one already taken is still found (`secret = x, CN=gw` still
/// finds `CN=gw`).
fn free_captures<'t>(regex: &Regex, text: &'t str, hits: &Hits) -> Vec<regex::Captures<'t>> {
    let mut found = Vec::new();
    let mut at = 0;
    while at <= text.len() {
        let Some(c) = regex.captures_at(text, at) else {
            break;
        };
        let Some(m) = c.get(0) else { break };
        let step = |from: usize| {
            from + text
                .get(from..)
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8)
        };
        if let Some(until) = hits.taken_until(m.start(), m.end()) {
            at = until.max(step(m.start()));
            continue;
        }
        at = if m.end() > m.start() {
            m.end()
        } else {
            step(m.end())
        };
        found.push(c);
    }
    found
}

/// A secret's value: a quoted string (to its end, or the line's), or a run
/// without blanks; an already redacted one is taken whole.
const SECRET_VALUE: &str = r#"(<redacted secret>|"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|[^\s,;}]+)"#;

/// The names of settings that hold a secret: swanctl.conf `secret`,
/// `eap_secret`, `xauth_password`, JSON `psk`.
const SECRET_KEY: &str = r#"(?i:(?:^|[^\w.\-])(?:(?:eap|xauth|ike|ntlm|left|right|user|shared|private)_?)?(?:secret|psk|pre[-_]?shared[-_]?key|pre_share_key|password|passwd|passphrase))["']?[ \t]*"#;

static SECRET_ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    // `secret = ...` (swanctl.conf, key=value dumps); after a colon only a
    // quoted value (`"psk": "..."`), so that pluto's `"l2tp-psk": added`
    // is none.
    re(&format!(
        r#"{SECRET_KEY}(?:=[ \t]*{SECRET_VALUE}|:[ \t]*(<redacted secret>|"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?))"#
    ))
});

static SECRETS_FILE: LazyLock<Regex> = LazyLock::new(|| {
    // ipsec.secrets (strongSwan, Libreswan, Openswan): `: PSK "..."`,
    // `: PSK 0sBASE64`, `: XAUTH "..."`, `: EAP "..."`.
    re(&format!(
        r#":[ \t]*(?:PSK|XAUTH|EAP|NTLM|PIN)[ \t]+{SECRET_VALUE}"#
    ))
});

static SECRETS_FILE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    // ipsec.secrets private keys with a passphrase: `: RSA key.pem "pass"`.
    re(&format!(
        r#":[ \t]*(?:RSA|ECDSA|BLISS|PKCS8|PKCS12|P12|PRIVATE|ED25519|ED448)[ \t]+(?:"[^"\n]*"|[^\s"]+)[ \t]+{SECRET_VALUE}"#
    ))
});

static SECRET_XML: LazyLock<Regex> = LazyLock::new(|| {
    // pfSense `<pre-shared-key>`, OPNsense `<PreSharedKey>`, user PSKs and
    // password hashes, private keys.
    re(
        r"(?i)<(?:pre-shared-key|pre_shared_key|presharedkey|psk|ipsecpsk|secret|password|passwd|xauth_password|eap_password|bcrypt-hash|sha512-hash|md5-hash|prv|private-key|privatekey)>([^<]*)(?:</|$)",
    )
});

static HEX_DUMP: LazyLock<Regex> = LazyLock::new(|| {
    // charon's chunk dumps (`%B`, debug level 4), which print keys and
    // nonces: `   0: 4B 3A 91 ...  K:.`, with an ASCII column after.
    re(r"(?:^|\s)[0-9]{1,5}: ((?:[0-9A-F]{2} ){3,15}[0-9A-F]{2}.*)$")
});

fn find_secrets(text: &str, hits: &mut Hits) {
    for regex in [
        &*SECRET_XML,
        &*SECRET_ASSIGNED,
        &*SECRETS_FILE,
        &*SECRETS_FILE_KEY,
        &*HEX_DUMP,
    ] {
        for c in free_captures(regex, text, hits) {
            if let Some(m) = (1..c.len()).rev().find_map(|i| c.get(i)) {
                // `secret = "..."` in an example is no secret.
                let bare = m.as_str().trim_matches(['"', '\'']);
                let stand_in = bare.bytes().all(|b| b == b'.')
                    || (bare.starts_with('<') && bare.ends_with('>') && bare != SECRET);
                if !bare.is_empty() && stand_in {
                    continue;
                }
                hits.add(m.start(), m.end(), Hit::Secret);
            }
        }
    }
}

/// RDN attribute types of distinguished names as charon, pluto (NSS) and
/// racoon (OpenSSL) print them.
const ATTR: &str = "(?:C|ST|L|O|OU|CN|E|DC|UID|SN|GN|emailAddress|serialNumber|street|postalCode|title|pseudonym|initials|dnQualifier|businessCategory)";

/// `(regex, kind)`: the last capture group that matched is a value of that
/// kind (or an address, where it is one).
static CONTEXTS: LazyLock<Vec<(Regex, Kind)>> = LazyLock::new(|| {
    let id_quoted = r"(?i:authentication\s+of|\bID(?:i|r|ir)?|does\s+not\s+match\s+to|\bfor:?|\bidentity|\bID_[A-Z0-9_]+:?|\bID\s+is|declares|\bwith\s+id|\buser(?:name)?|\bpeer|\bclaims|\bsubject|\bissuer(?:\s+is)?|\bmatching|\bexpected|\brequired?|\bas|\bexpects|\bto|\bthe|\bstart|\bof)";
    vec![
        // Distinguished names in quotes or brackets, whole.
        (re(&format!(r"'({ATTR}=[^'\n]*)'")), Kind::Id),
        (re(&format!(r#""({ATTR}=[^"\n]*)""#)), Kind::Id),
        (re(&format!(r"\[({ATTR}=[^\]\n]*)\]")), Kind::Id),
        // Connection and CHILD_SA names: charon's `<name|1>`,
        // `IKE_SA name[1]`, `CHILD_SA name{1}`, `name{1}`, `peer config
        // 'name'`, `no config named 'name'`; pluto's `"name"[1] ... #2:`,
        // `"name" #2:`, `"name":`, `connection "name"`.
        (re(r"<([^<>|\n]{1,200})\|[0-9]+>"), Kind::Tunnel),
        (re(r"\bIKE_SA ([^\s\[\]]{1,200})\[[0-9]+\]"), Kind::Tunnel),
        (re(r"\bCHILD_SA ([^\s{}]{1,200})\{[0-9]+\}"), Kind::Tunnel),
        (
            re(r"(?:^|[\s(>])([A-Za-z0-9_.\-]{1,200})\{[0-9]+\}"),
            Kind::Tunnel,
        ),
        (
            re(
                r#"(?i:config\s+named|peer\s+config|child\s+config|config|connection|\bconn):?\s+['"]([^'"\s][^'"\n]{0,199})['"](?:$|[^\w])"#,
            ),
            Kind::Tunnel,
        ),
        (
            re(r#""([^"\n=]{1,200})"(?:\[[0-9]+\]|\s+#[0-9]+)"#),
            Kind::Tunnel,
        ),
        (re(r#"(?:^|[\s\]])"([^"\s=]{1,200})":\s"#), Kind::Tunnel),
        // Identities in quotes after the words charon and pluto put before
        // them: `authentication of '...'`, `IDir '...' does not match to
        // '...'`, `shared key for '...' - '...'`, `identity '...'`,
        // `ID_FQDN '...'`, `peer ID is ID_FQDN: '...'`, `peer declares '...'`,
        // and the summaries': `identifies itself as '...'`, `expects '...'`.
        // The quote must stand apart from the words around it: `the peer's
        // identifier` is no quote.
        (
            re(&format!(r"{id_quoted}\s+'([^'\n]{{0,512}})'(?:$|[^\w])")),
            Kind::Id,
        ),
        (re(r"\bidentity'([^'\n]{0,512})'(?:$|[^\w])"), Kind::Id),
        (re(r"'\s+-\s+'([^'\n]{0,512})'(?:$|[^\w])"), Kind::Id),
        (
            re(
                r#"(?i:(?:peer|end\s+entity|ca|trusted|using|loaded|own|local|remote)\s+cert(?:ificate)?|cert(?:ificate)?\s+nickname|issuer(?:\s+is)?|issued\s+by(?:\s+CA)?|subject|\buser(?:name)?|\bidentity):?\s+"([^"\n]{0,512})""#,
            ),
            Kind::Id,
        ),
        // User names: pluto's `username=...`, `XAUTH: User name:`,
        // `user(name:conn)`.
        (
            re(r"(?i)\b(?:username|user|xauth[_-]?user|login)=([^\s},;]+)"),
            Kind::Id,
        ),
        (re(r"XAUTH: User ([^\s:]+):"), Kind::Id),
        // charon's `EAP method EAP_MD5 failed for peer carol`.
        (
            re(r#"\b(?:failed|succeeded)\s+for\s+peer\s+([^\s,;'"]+)"#),
            Kind::Id,
        ),
        (re(r"\buser\(([^:)\s]+)"), Kind::Id),
        // Configuration lines (a pasted ipsec.conf or swanctl.conf, or
        // charon's dump of a loaded connection): `id = alice`,
        // `rightid=@east`, `right=vpn.example.com`, `conn name`,
        // `child name:`.
        (
            re(
                r#"(?m)^\s*(?:id|eap_id|aaa_id|xauth_id|ca_id|leftid|rightid|leftca|rightca|left|right)\s*=\s*(?:"([^"\n]*)"|(\S+))"#,
            ),
            Kind::Id,
        ),
        (
            re(r"(?m)(?:^|\])\s*conn\s+([^\s%:][^\s:]*):?\s*$"),
            Kind::Tunnel,
        ),
        (re(r"(?m)(?:^|\])\s*child\s+([^\s:]+):\s*$"), Kind::Tunnel),
        // The journal's identifying fields (`journalctl -o json`).
        (
            re(
                r#""(?:_MACHINE_ID|_BOOT_ID|__CURSOR|_HOSTNAME|_SYSTEMD_INVOCATION_ID|INVOCATION_ID|_STREAM_ID|__SEQNUM_ID)"\s*:\s*"([^"\n]*)""#,
            ),
            Kind::Id,
        ),
    ]
});

/// `addr[identity]`: charon's `192.0.2.1[moon.example.com]`, pluto's
/// `192.0.2.1[@east,+S=C]`; the token before must look like an address.
static BRACKETED: LazyLock<Regex> =
    LazyLock::new(|| re(r"([0-9A-Za-z%*_:.\-]+)\[([^\]\n]{1,512})\]"));

fn find_contexts(text: &str, hits: &mut Hits) {
    for (regex, kind) in CONTEXTS.iter() {
        for c in free_captures(regex, text, hits) {
            if let Some(m) = (1..c.len()).rev().find_map(|i| c.get(i)) {
                hits.add_value(text, m.start(), m.end(), *kind);
            }
        }
    }
    for c in free_captures(&BRACKETED, text, hits) {
        let (Some(before), Some(inner)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let token = before.as_str();
        let addressy = token.contains(['.', ':'])
            || token.starts_with("%any")
            || is_placeholder(token.rsplit("...").next().unwrap_or(token));
        if !addressy || token.ends_with('=') {
            continue;
        }
        let content = inner.as_str();
        // pluto appends policy flags: `[@east,+S=C]`, `[MS+XS+S=C]`.
        let id = match content.find(",+") {
            Some(i) => &content[..i],
            None => content,
        };
        let flags_only = id.contains('+')
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '+' || c == '=');
        let port_or_proto = id.bytes().all(|b| b.is_ascii_digit())
            || id.starts_with("udp/")
            || id.starts_with("tcp/")
            || id.starts_with("icmp/");
        if id.is_empty() || id == "@" || flags_only || port_or_proto {
            continue;
        }
        hits.add_value(text, inner.start(), inner.start() + id.len(), Kind::Id);
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*",
    )
});
static AT_ID: LazyLock<Regex> =
    LazyLock::new(|| re(r"@(?:#[0-9A-Fa-f]+|[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?)"));
static KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(?:keyid|subjkey|authkey)[:=]\s*([0-9A-F]{2}(?::?[0-9A-F]{2})+)"));
static DN_COMMA: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"\b(?:{ATTR}=[^,\n"'\[\]]*,\s*)*{ATTR}=[^,\s"'\[\]]*"#
    ))
});
static DN_SLASH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?:/{ATTR}=[^/\n"'\[\]]*)+/{ATTR}=[^/\s"'\[\]]*"#
    ))
});
/// Where one RDN of a distinguished name starts.
static RDN_START: LazyLock<Regex> = LazyLock::new(|| re(&format!(r"(?:^|[,/]\s*){ATTR}=")));
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}|[0-9A-Fa-f]{0,4})",
    )
});
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| re(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}"));
static FQDN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"));

fn name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// E-mail addresses and `@fqdn` identities.
fn find_addressed_ids(text: &str, hits: &mut Hits) {
    let prev = |at: usize| text.get(..at).and_then(|s| s.chars().next_back());
    for c in free_captures(&EMAIL, text, hits) {
        let Some(m) = c.get(0) else { continue };
        let value = m.as_str();
        let (local, domain) = value.split_once('@').unwrap_or((value, ""));
        let domain_tld = domain.rsplit('.').next().unwrap_or("");
        // `esp.45650a04@192.0.2.74` is a pluto SA, `...@IPv4-1` one redacted.
        if local.is_empty()
            || local.starts_with('.')
            || !domain_tld.chars().any(|c| c.is_ascii_alphabetic())
            || is_placeholder(domain)
            || prev(m.start()).is_some_and(name_char)
            // `carol@fe80::1` is no address of `fe80`.
            || text.get(m.end()..).is_some_and(|rest| {
                rest.starts_with("::")
                    || (rest.starts_with(':') && rest[1..].starts_with(|c: char| c.is_ascii_hexdigit()))
            })
        {
            continue;
        }
        hits.add(m.start(), m.end(), Hit::Value(Kind::Id, name_key(value)));
    }
    for c in free_captures(&AT_ID, text, hits) {
        let Some(m) = c.get(0) else { continue };
        if prev(m.start()).is_some_and(|c| name_char(c) || c == '%' || c == '+')
            || continues_a_name(text, m.end())
        {
            continue;
        }
        hits.add(
            m.start(),
            m.end(),
            Hit::Value(Kind::Id, name_key(m.as_str())),
        );
    }
}

/// Key ids, distinguished names, addresses and FQDNs standing free.
fn find_patterns(text: &str, hits: &mut Hits) {
    let prev = |at: usize| text.get(..at).and_then(|s| s.chars().next_back());
    let next = |at: usize| text.get(at..).and_then(|s| s.chars().next());
    let next2 = |at: usize| text.get(at..).and_then(|s| s.chars().nth(1));
    for c in free_captures(&KEY_ID, text, hits) {
        if let Some(m) = c.get(1) {
            hits.add(
                m.start(),
                m.end(),
                Hit::Value(Kind::Id, name_key(m.as_str())),
            );
        }
    }
    for regex in [&*DN_SLASH, &*DN_COMMA] {
        for c in free_captures(regex, text, hits) {
            let Some(m) = c.get(0) else { continue };
            let v = m.as_str().trim_end_matches(['.', ')', ':']);
            let rdns = RDN_START.find_iter(v).count();
            if rdns >= 2 || v.starts_with("CN=") || v.starts_with("/CN=") {
                hits.add(
                    m.start(),
                    m.start() + v.len(),
                    Hit::Value(Kind::Id, name_key(v)),
                );
            }
        }
    }
    for c in free_captures(&IPV6, text, hits) {
        let Some(m) = c.get(0) else { continue };
        let (start, end) = (m.start(), m.end());
        if prev(start).is_some_and(|c| c.is_alphanumeric() || matches!(c, ':' | '.' | '_'))
            || next(end).is_some_and(|c| c.is_alphanumeric() || matches!(c, ':' | '_'))
            || (next(end) == Some('.') && next2(end).is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let Ok(addr) = m.as_str().parse::<Ipv6Addr>() else {
            continue;
        };
        if addr.is_unspecified() {
            continue;
        }
        hits.add(start, end, Hit::Value(Kind::Ipv6, format!("6:{addr}")));
    }
    for c in free_captures(&IPV4, text, hits) {
        let Some(m) = c.get(0) else { continue };
        let (start, end) = (m.start(), m.end());
        let dotted_before =
            prev(start) == Some('.') && prev(start - 1).is_some_and(|c| c.is_ascii_digit());
        if prev(start).is_some_and(|c| c.is_ascii_digit())
            || dotted_before
            || next(end).is_some_and(|c| c.is_ascii_digit())
            || (next(end) == Some('.') && next2(end).is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        let Some(o) = parse_ipv4(m.as_str()) else {
            continue;
        };
        if ipv4_kept(o) {
            continue;
        }
        let key = format!("4:{}.{}.{}.{}", o[0], o[1], o[2], o[3]);
        hits.add(start, end, Hit::Value(Kind::Ipv4, key));
    }
    for c in free_captures(&FQDN, text, hits) {
        let Some(m) = c.get(0) else { continue };
        let (start, end) = (m.start(), m.end());
        if prev(start).is_some_and(|c| name_char(c) || c == '@')
            || next(end).is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-'))
            || (next(end) == Some('.') && next2(end).is_some_and(|c| c.is_alphanumeric()))
            || !is_host_name(m.as_str())
        {
            continue;
        }
        hits.add(start, end, Hit::Value(Kind::Id, name_key(m.as_str())));
    }
}

/// Whether a dotted name is a host name rather than a file name, a
/// strongswan.conf or swanctl.conf setting, a syslog facility or a pluto SA.
fn is_host_name(name: &str) -> bool {
    // The last label of file names (a few are also rare country TLDs:
    // `.sh`, `.so`, `.py`, `.md`, `.rs`).
    const FILE_EXTENSIONS: &str = "conf secrets secret log xml php inc so pem der crt cer csr \
        crl key p12 pfx txt sh py md rs js json yaml yml cfg ini htm html service socket target \
        timer pid ctl lock sock gz bz2 xz zip tar tgz bak old tmp orig db sqlite out err exe dll \
        sys ko rules cnf ovpn pcap pcapng plist img iso bin dat csv tsv toml lua rb deb rpm apk \
        ipk patch diff bat asp aspx jsp cgi env cache tpl mobileconfig sig asc gpg";
    // The first label of strongswan.conf and swanctl.conf settings
    // (`charon.fragment_size`, `connections.gw.remote.id`), sysctl names
    // (`net.inet.ipsec.directdispatch`) and pluto's SAs (`esp.45650a04`).
    const SETTING_ROOTS: &str = "charon charon-systemd charon-nm charon-cmd charon-svc \
        libstrongswan libcharon libimcv libtnccs libtls libipsec swanctl starter pki attest \
        connections secrets authorities pools children net kern vm hw dev debug esp ah comp tun";
    // Two labels, the first of these: swanctl's `local.id`, `remote.auth`;
    // syslog's `daemon.info`, `local0.notice`.
    const PAIR_ROOTS: &str = "local remote kern user mail daemon auth authpriv syslog lpr news \
        uucp cron ftp local0 local1 local2 local3 local4 local5 local6 local7";
    let labels: Vec<&str> = name.split('.').collect();
    let (Some(first), Some(last)) = (labels.first(), labels.last()) else {
        return false;
    };
    let first = first.to_ascii_lowercase();
    let last = last.to_ascii_lowercase();
    let listed = |list: &str, word: &str| list.split_whitespace().any(|w| w == word);
    !(listed(FILE_EXTENSIONS, &last)
        || listed(SETTING_ROOTS, &first)
        || (labels.len() == 2 && listed(PAIR_ROOTS, &first)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redacts lines as one report would: one table for all of them.
    fn lines(texts: &[&str]) -> Vec<String> {
        let mut r = Redactor::new(&Report::default());
        texts.iter().map(|t| r.text(t)).collect()
    }

    fn one(text: &str) -> String {
        lines(&[text]).remove(0)
    }

    #[test]
    fn tokens_join_dotted_names_and_stop_at_a_full_stop() {
        let text = "fw-hq: site01.example.com, fw. x.fw _y";
        let got: Vec<&str> = tokens(text).into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(got, ["fw-hq", "site01.example.com", "fw", "x.fw", "_y"]);
        assert!(is_one_token("site01.example.com") && is_one_token("fw-hq"));
        assert!(!is_one_token("peer 192.0.2.1") && !is_one_token(".x") && !is_one_token("a/b"));
    }

    #[test]
    fn a_name_that_starts_like_a_placeholder_is_still_redacted() {
        let got = one("<ID-42-secretsite|1> from HOST-9.corp.example.com: ID-7 IPv4-2");
        assert!(
            !got.contains("secretsite") && !got.contains("corp.example"),
            "{got}"
        );
        // A placeholder standing apart is kept.
        assert!(got.ends_with(": ID-7 IPv4-2"), "{got}");
    }

    #[test]
    fn an_at_identity_before_a_full_stop_is_redacted() {
        let got = one("Set the Peer Identifier to IP address @east.");
        assert_eq!(got, "Set the Peer Identifier to IP address ID-1.");
    }

    #[test]
    fn ipv4_addresses_get_numbered_placeholders_with_their_prefix() {
        assert_eq!(
            one("Nov 27 02:36:59 07[IKE] initiating IKE_SA to 198.51.100.1, TS 10.1.2.0/24 === 10.9.0.0/16, again 198.51.100.1:4500"),
            "Nov 27 02:36:59 07[IKE] initiating IKE_SA to IPv4-1, TS IPv4-2/24 === IPv4-3/16, again IPv4-1:4500"
        );
    }

    #[test]
    fn the_same_value_gets_the_same_placeholder_across_texts() {
        let got = lines(&[
            "sending packet: from 192.0.2.1[500] to 198.51.100.7[500] (180 bytes)",
            "received packet: from 198.51.100.7[500] to 192.0.2.1[500] (36 bytes)",
            "peer 198.51.100.7 and peer 192.0.2.10",
        ]);
        assert_eq!(
            got,
            [
                "sending packet: from IPv4-1[500] to IPv4-2[500] (180 bytes)",
                "received packet: from IPv4-2[500] to IPv4-1[500] (36 bytes)",
                "peer IPv4-2 and peer IPv4-3",
            ]
        );
    }

    #[test]
    fn unspecified_addresses_netmasks_versions_and_oids_are_kept() {
        for kept in [
            "the peer proposed: 0.0.0.0/0:0/0 -> 0.0.0.0/0",
            "mask 255.255.255.0 and 255.255.255.255",
            "Starting IKE charon daemon (strongSwan 5.9.8, Linux 6.18.44-fc-v669, x86_64)",
            "OID 1.3.6.1.4.1.311.20.2 and version 1.2.3.4.5",
            "private-or-clear#::/0 and [::]:500",
        ] {
            assert_eq!(one(kept), kept);
        }
    }

    #[test]
    fn ipv6_addresses_in_every_form() {
        assert_eq!(
            one("from 2001:db8::1[500] to [2001:0db8:0:0:0:0:0:1]:4500 via fe80::1%eth0, mapped ::ffff:192.0.2.1, net 2001:db8:1::/48, full 2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff"),
            "from IPv6-1[500] to [IPv6-1]:4500 via IPv6-2%eth0, mapped IPv6-3, net IPv6-4/48, full IPv6-5"
        );
    }

    #[test]
    fn times_macs_algorithms_and_hex_strings_are_not_addresses() {
        for kept in [
            "Nov 27 02:36:59 fw-branch1 charon[101]: 01[IKE] queueing ISAKMP_VENDOR task",
            "2026-11-27T00:31:57.123456+00:00",
            "configured proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048",
            "selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ",
            "hw 00:1a:2b:3c:4d:5e and 5f:3a:91:0c:de:ad:be:ef:01:02:03:04:05:06:07:08:09:0a:0b:0c",
            "ENCR=AES_CBC_256;PRF=HMAC_SHA2_256;INTEG=HMAC_SHA2_256_128;DH=MODP2048[first-match]",
            "STATE_MAIN_R1: sent MR1, expecting MI2",
            "netlink response for Add SA esp.45650a04@",
        ] {
            assert_eq!(one(kept), kept);
        }
    }

    #[test]
    fn charon_identities_in_brackets() {
        assert_eq!(
            one("looking for peer configs matching 198.51.100.1[198.51.100.1]...192.0.2.13[vpn.example.com]"),
            "looking for peer configs matching IPv4-1[IPv4-1]...IPv4-2[ID-1]"
        );
        assert_eq!(
            one("IKE_SA home[1] established between 192.168.0.1[C=CH, O=Linux strongSwan, CN=moon.strongswan.org]...192.168.0.2[carol@strongswan.org]"),
            "IKE_SA TUNNEL-1[1] established between IPv4-1[ID-1]...IPv4-2[ID-2]"
        );
        assert_eq!(
            one("looking for peer configs matching 192.0.2.74[%any]...192.0.2.90[someid]"),
            "looking for peer configs matching IPv4-1[%any]...IPv4-2[ID-1]"
        );
    }

    #[test]
    fn charon_identities_in_quotes() {
        let got = lines(&[
            "<gw|1> authentication of 'moon.strongswan.org' (myself) with pre-shared key successful",
            "<gw|1> IDir 'carol@strongswan.org' does not match to 'moon.strongswan.org'",
            "<gw|1> tried 1 shared key for '198.51.100.1' - '192.0.2.12', but MAC mismatched",
            "<gw|1> XAuth authentication of 'alice' (myself) failed",
            "<gw|1> none of 1 found XAuth secrets for '192.0.2.74' - 'alice' matched",
            "<gw|1> constraint check failed: identity 'my.domain.com' required",
            "<gw|1> no trusted RSA public key found for 'moon'",
            "<gw|1> EAP method EAP_MSCHAPV2 failed for peer carol@strongswan.org, assigning virtual IP 10.3.0.1 to peer 'dave'",
        ]);
        assert_eq!(
            got,
            [
                "<TUNNEL-1|1> authentication of 'ID-1' (myself) with pre-shared key successful",
                "<TUNNEL-1|1> IDir 'ID-2' does not match to 'ID-1'",
                "<TUNNEL-1|1> tried 1 shared key for 'IPv4-1' - 'IPv4-2', but MAC mismatched",
                "<TUNNEL-1|1> XAuth authentication of 'ID-3' (myself) failed",
                "<TUNNEL-1|1> none of 1 found XAuth secrets for 'IPv4-3' - 'ID-3' matched",
                "<TUNNEL-1|1> constraint check failed: identity 'ID-4' required",
                "<TUNNEL-1|1> no trusted RSA public key found for 'ID-5'",
                "<TUNNEL-1|1> EAP method EAP_MSCHAPV2 failed for peer ID-2, assigning virtual IP IPv4-4 to peer 'ID-6'",
            ]
        );
    }

    #[test]
    fn quoted_algorithms_paths_and_any_are_kept() {
        for kept in [
            "IKE DH algorithm 'modp1024' is not supported",
            "expanding file expression '/etc/ipsec.secrets' failed",
            "loaded IKE shared key for: '%any'",
            "failed with error ERROR_AUTHENTICATION_FAILURE: '(null)'",
            "loading secrets from \"/etc/ipsec.secrets\"",
        ] {
            assert_eq!(one(kept), kept);
        }
    }

    #[test]
    fn certificate_subjects_are_one_value() {
        let got = lines(&[
            "received end entity cert \"C=CH, O=strongSwan Project, CN=moon.strongswan.org\"",
            "  using trusted ca certificate \"C=CH, O=strongSwan Project, CN=strongSwan Root CA\"",
            "certificate \"C=CH, O=strongSwan Project, CN=moon.strongswan.org\" and moon.strongswan.org",
            "certificate verified OK: O=Amir,CN=vpn.amir.example",
            "unable to get certificate CRL(3) at depth:0 SubjectName:/C=JP/O=Example/CN=gw.example.jp",
            "Peer ID is ID_DER_ASN1_DN: 'CN=right.lab.example,O=ipsec-doctor lab,C=CH'",
        ]);
        assert_eq!(
            got,
            [
                "received end entity cert \"ID-1\"",
                "  using trusted ca certificate \"ID-2\"",
                "certificate \"ID-1\" and ID-3",
                "certificate verified OK: ID-4",
                "unable to get certificate CRL(3) at depth:0 SubjectName:ID-5",
                "Peer ID is ID_DER_ASN1_DN: 'ID-6'",
            ]
        );
    }

    #[test]
    fn pluto_identities_and_connection_names() {
        let got = lines(&[
            "\"westnet-eastnet\" #1: Peer ID is ID_FQDN: '@west'",
            "\"westnet-eastnet\" #1: we require IKEv1 peer to have ID '@192.168.73.2', but peer declares '192.168.7.3'",
            "\"westnet-eastnet\"[3] 192.0.2.5 #2: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED",
            "\"westnet-eastnet\" #2: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN '@east'",
            "\"xauth-psk\"[2] 192.0.2.5 #6: IPsec SA established tunnel mode {ESP/NAT=>0x01ddb59a <0x20ddc8a7 xfrm=AES_CBC_256-HMAC_SHA1_96 DPD=active username=test.user}",
            "\"xauth-psk\"[1] 192.168.1.101 #1: XAUTH: User mac_xxx: Authentication Failed: Incorrect Username or Password",
            "added IKEv2 connection \"westnet-eastnet\"",
        ]);
        assert_eq!(
            got,
            [
                "\"TUNNEL-1\" #1: Peer ID is ID_FQDN: 'ID-1'",
                "\"TUNNEL-1\" #1: we require IKEv1 peer to have ID 'ID-2', but peer declares 'IPv4-1'",
                "\"TUNNEL-1\"[3] IPv4-2 #2: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED",
                "\"TUNNEL-1\" #2: initiator established IKE SA; authenticated peer using authby=secret and ID_FQDN 'ID-3'",
                "\"TUNNEL-2\"[2] IPv4-2 #6: IPsec SA established tunnel mode {ESP/NAT=>0x01ddb59a <0x20ddc8a7 xfrm=AES_CBC_256-HMAC_SHA1_96 DPD=active username=ID-4}",
                "\"TUNNEL-2\"[1] IPv4-3 #1: XAUTH: User ID-5: Authentication Failed: Incorrect Username or Password",
                "added IKEv2 connection \"TUNNEL-1\"",
            ]
        );
    }

    #[test]
    fn charon_connection_and_child_names() {
        assert_eq!(
            one("<gw-gw|1> CHILD_SA net-net{1} established with SPIs c258322f_i 0b088744_o and TS 10.0.0.0/24 === 10.1.0.0/24"),
            "<TUNNEL-1|1> CHILD_SA TUNNEL-2{1} established with SPIs c258322f_i 0b088744_o and TS IPv4-1/24 === IPv4-2/24"
        );
        assert_eq!(
            one("no config named 'con1' and selected peer config 'gw-gw'"),
            "no config named 'TUNNEL-1' and selected peer config 'TUNNEL-2'"
        );
    }

    #[test]
    fn fqdns_emails_and_at_ids_but_not_file_names_or_settings() {
        assert_eq!(
            one("peer vpn.example.com, user carol@strongswan.org, id @moon.strongswan.org and @east, key @#0a1b2c3d, mDNS fw.local"),
            "peer ID-1, user ID-2, id ID-3 and ID-4, key ID-5, mDNS ID-6"
        );
        for kept in [
            "check swanctl.conf, ipsec.secrets, strongswan.conf, charon.log, config.xml, status_ipsec.php, xmlreader.inc, libcharon.so.0",
            "set charon.fragment_size, charon.plugins.kernel-netlink.mtu, charon.syslog.daemon, local.id and remote.id, daemon.info",
            "charon-systemd 5.9.8 in /etc/ipsec.d/cacerts/ and /etc/swanctl/x509ca/caCert.pem, e.g. this, i.e. that.",
            "Add SA esp.45650a04@ (errno 93) in connections.gw.remote.id",
        ] {
            assert_eq!(one(kept), kept);
        }
    }

    #[test]
    fn secrets_are_never_shown_nor_numbered() {
        let got = lines(&[
            "secret = lab-psk-0123456789",
            "        secret = \"lab psk with spaces\"",
            "@west @east : PSK \"a shared secret\"",
            "192.0.2.1 %any : PSK 0sAbCdEf0123456789+/==",
            "alice : XAUTH \"pa ss\"",
            "carol : EAP \"carolpw\"",
            ": RSA moonKey.pem \"passphrase\"",
            "<pre-shared-key>s3cr3t</pre-shared-key> <pre_shared_key>x</pre_shared_key> <PreSharedKey>y</PreSharedKey>",
            "{\"psk\": \"json secret\", \"xauth_password\":\"pw\"}",
        ]);
        assert_eq!(
            got,
            [
                "secret = <redacted secret>",
                "        secret = <redacted secret>",
                "ID-1 ID-2 : PSK <redacted secret>",
                "IPv4-1 %any : PSK <redacted secret>",
                "alice : XAUTH <redacted secret>",
                "carol : EAP <redacted secret>",
                ": RSA moonKey.pem <redacted secret>",
                "<pre-shared-key><redacted secret></pre-shared-key> <pre_shared_key><redacted secret></pre_shared_key> <PreSharedKey><redacted secret></PreSharedKey>",
                "{\"psk\": <redacted secret>, \"xauth_password\":<redacted secret>}",
            ]
        );
        for kept in [
            "authenticated peer using authby=secret and",
            "pluto[8885]: \"l2tp-psk\": added IKEv1 connection",
            "\"xauth-psk\": terminating SAs using this connection",
            "charon.i_dont_care_about_security_and_use_aggressive_mode_psk = yes",
            "auth = psk",
            "loading secrets from",
            "PSK length of 8 bytes is too short",
        ] {
            assert!(!one(kept).contains(SECRET), "{kept}");
        }
    }

    #[test]
    fn an_email_address_is_one_value_even_at_a_known_host() {
        let mut report = report();
        report.findings[0].summary =
            "The peer carol@fw-hq and fw-hq, SA esp.45650a04@192.0.2.74.".to_owned();
        let once = redact(&report);
        assert_eq!(
            once.findings[0].summary,
            "The peer ID-1 and HOST-1, SA esp.45650a04@IPv4-1."
        );
        let twice = redact(&once);
        assert_eq!(twice.findings[0].summary, once.findings[0].summary);
    }

    #[test]
    fn configuration_lines_and_journal_fields() {
        let got = lines(&[
            "conn westnet-eastnet",
            "    rightid=@east",
            "    right=vpn.example.com",
            "            id = alice",
            "Nov 27 02:38:15 07[CFG]  conn gw-gw:",
            "Nov 27 02:38:15 07[CFG]   child net-net:",
            "{\"_HOSTNAME\":\"moon\",\"_MACHINE_ID\":\"0123456789abcdef0123456789abcdef\",\"MESSAGE\":\"13[IKE] <gw-gw|1> IKE_SA gw-gw[1] established\"}",
        ]);
        assert_eq!(
            got,
            [
                "conn TUNNEL-1",
                "    rightid=ID-1",
                "    right=ID-2",
                "            id = ID-3",
                "Nov 27 02:38:15 07[CFG]  conn TUNNEL-2:",
                "Nov 27 02:38:15 07[CFG]   child TUNNEL-3:",
                "{\"_HOSTNAME\":\"ID-4\",\"_MACHINE_ID\":\"ID-5\",\"MESSAGE\":\"13[IKE] <TUNNEL-2|1> IKE_SA TUNNEL-2[1] established\"}",
            ]
        );
    }

    #[test]
    fn charon_key_dumps_are_secrets() {
        assert_eq!(
            one("Nov 27 02:36:59 12[IKE]    0: 4B 3A 91 0C DE AD BE EF 01 02 03 04 05 06 07 08  K:.............."),
            "Nov 27 02:36:59 12[IKE]    0: <redacted secret>"
        );
    }

    fn report() -> Report {
        let mut d = ipsec_doctor_findings::Diagnoser::new();
        for (n, line) in [
            "Nov 27 02:36:59 fw-hq charon[101]: 01[IKE] <lan|1> initiating IKE_SA lan[1] to 198.51.100.1",
            "Nov 27 02:36:59 fw-hq charon[101]: 01[CFG] <lan|1> received proposals: IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
            "Nov 27 02:36:59 fw-hq charon[101]: 01[CFG] <lan|1> configured proposals: IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
            "Nov 27 02:36:59 fw-hq charon[101]: 01[IKE] <lan|1> no proposal found on vlan fw fw-hqx",
        ]
        .iter()
        .enumerate()
        {
            d.push_line("fw-hq.log", n as u64 + 1, line);
        }
        d.finish()
    }

    #[test]
    fn known_names_are_replaced_as_whole_tokens_only() {
        let mut report = report();
        report.findings[0].evidence.push(Evidence {
            path: std::sync::Arc::from("fw-hq.log"),
            line: 9,
            text: "Nov 27 02:36:59 fw-hq charon[101]: 01[IKE] <lan|1> no proposal found on vlan fw fw-hqx".to_owned(),
        });
        report.findings[0].fix.insert(
            0,
            Cow::Owned("Set lan's proposal on fw-hq, not on lan2.".to_owned()),
        );
        assert_eq!(report.findings[0].host.as_deref(), Some("fw-hq"));
        assert_eq!(report.findings[0].tunnel.as_deref(), Some("lan"));
        let r = redact(&report);
        let f = &r.findings[0];
        assert_eq!(f.host.as_deref(), Some("HOST-1"));
        assert_eq!(f.tunnel.as_deref(), Some("TUNNEL-1"));
        let texts: Vec<&str> = f.evidence.iter().map(|e| e.text.as_str()).collect();
        assert!(
            texts.contains(&"Nov 27 02:36:59 HOST-1 charon[101]: 01[IKE] <TUNNEL-1|1> no proposal found on vlan fw fw-hqx"),
            "{texts:#?}"
        );
        assert_eq!(f.fix[0], "Set TUNNEL-1's proposal on HOST-1, not on lan2.");
        assert!(matches!(f.fix[0], Cow::Owned(_)));
        assert!(f.fix[1..]
            .iter()
            .zip(&report.findings[0].fix[1..])
            .all(|(a, b)| a == b && matches!(a, Cow::Borrowed(_))));
        // The diagnosis is the same.
        assert_eq!(f.id, report.findings[0].id);
        assert_eq!(f.evidence.len(), report.findings[0].evidence.len());
        assert_eq!(f.evidence[0].path, report.findings[0].evidence[0].path);
        assert_eq!(f.evidence[0].line, report.findings[0].evidence[0].line);
        assert!(!f.summary.contains("198.51.100.1"), "{}", f.summary);
        assert_eq!(
            f.summary.matches("IPv4-1").count(),
            report.findings[0].summary.matches("198.51.100.1").count()
        );
    }

    #[test]
    fn tunnels_named_after_their_peer_keep_the_word_peer() {
        let mut report = report();
        report.findings[0].tunnel = Some("peer 192.0.2.11".to_owned());
        report.tunnels[0].tunnel = Some("peer 192.0.2.11".to_owned());
        report.tunnels[0].remote = Some("192.0.2.11".to_owned());
        report.tunnels[0].local = Some("198.51.100.1".to_owned());
        let r = redact(&report);
        assert_eq!(r.findings[0].tunnel.as_deref(), Some("peer IPv4-1"));
        assert_eq!(r.tunnels[0].tunnel.as_deref(), Some("peer IPv4-1"));
        assert_eq!(r.tunnels[0].remote.as_deref(), Some("IPv4-1"));
        assert_eq!(r.tunnels[0].local.as_deref(), Some("IPv4-2"));
    }

    #[test]
    fn redacting_twice_changes_nothing() {
        let once = redact(&report());
        let twice = redact(&once);
        let json = |r: &Report| {
            let mut out = Vec::new();
            crate::json(r, &mut out).expect("json");
            String::from_utf8(out).expect("utf-8")
        };
        assert_eq!(json(&once), json(&twice));
        let texts = [
            "IKE_SA TUNNEL-1[1] established between IPv4-1[ID-1]...IPv6-2[ID-2], secret = <redacted secret>",
            "<TUNNEL-1|1> authentication of 'ID-3' (myself), TS IPv4-3/24, : PSK <redacted secret>",
            "<pre-shared-key><redacted secret></pre-shared-key> \"TUNNEL-2\"[1] IPv4-4 #1: ID_FQDN 'ID-4'",
        ];
        for t in texts {
            assert_eq!(one(t), t);
        }
    }

    #[test]
    fn catalogue_text_is_not_taken_for_input() {
        let mut r = Redactor::new(&Report::default());
        let mut changed = Vec::new();
        for rule in ipsec_doctor_findings::CATALOG {
            for text in std::iter::once(rule.explanation)
                .chain(std::iter::once(rule.title))
                .chain(rule.fix.iter().copied())
            {
                // Example values that stand for real ones: redacted, as
                // they would be in a log.
                let text = text
                    .replace("'alice'", "'ID-9'")
                    .replace("peer alice", "peer ID-9")
                    .replace("192.168.1.0", "IPv4-9")
                    .replace("10.0.0.0", "IPv4-8")
                    .replace("redmine.pfsense.org", "ID-8")
                    .replace("bugs.freebsd.org", "ID-7");
                let got = r.text(&text);
                if got != text {
                    changed.push(format!("{}:\n  {text}\n  {got}", rule.id));
                }
            }
        }
        assert!(changed.is_empty(), "{}", changed.join("\n"));
    }

    #[test]
    fn token_soup_neither_panics_nor_loses_a_placeholder_on_a_second_pass() {
        // Log-like tokens glued at random: whatever the first pass found, a
        // second pass keeps every placeholder it wrote that stands apart (it
        // may find more in such soup, never less).
        const TOKENS: &str = "192.0.2.1|10.0.0.0/24|fe80::1|%eth0|::ffff:1.2.3.4|'|\"|[|]|<|>\
            |<x|1>|{1}|[1]| #2:|CN=|O=x, |/C=|secret = |: PSK |<psk>|</psk>|@|.|moon\
            |example.com|carol@|IDir |authentication of |ID_FQDN | - |...|é|ü|\u{1b}| |,|:\
            |=|x|1|IKE_SA |CHILD_SA |conn |peer |for |\\|0s==|IPv4-1|ID-2|<redacted secret>";
        let tokens: Vec<&str> = TOKENS.split('|').collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let written =
            Regex::new(r"(?:IPv4|IPv6|HOST|TUNNEL|ID)-[0-9]+|<redacted secret>").expect("regex");
        let mut lost = Vec::new();
        for _ in 0..20_000 {
            let n = (next() % 12) as usize + 1;
            let text: String = (0..n)
                .map(|_| tokens[(next() % tokens.len() as u64) as usize])
                .collect();
            let mut r = Redactor::new(&Report::default());
            let once = r.text(&text);
            let twice = r.text(&once);
            for m in written.find_iter(&once) {
                // A name's placeholder glued to a word is not told from a
                // name that ends so (`MYHOST-1`) or starts so (`ID-1_x`),
                // and may be taken again.
                let glued = once[..m.start()]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
                let a_name = !m.as_str().starts_with("IPv") && !m.as_str().starts_with('<');
                if (glued || continues_a_name(&once, m.end())) && a_name {
                    continue;
                }
                let p = m.as_str();
                if twice.matches(p).count() < once.matches(p).count() {
                    lost.push(format!("{text:?} -> {once:?} -> {twice:?}"));
                }
            }
        }
        assert!(lost.is_empty(), "{}", lost[..lost.len().min(20)].join("\n"));
    }

    #[test]
    fn no_panic_on_hostile_text() {
        let hostile = [
            "",
            "'",
            "\"",
            "[",
            "]",
            "<|1>",
            "secret =",
            ": PSK",
            "<psk>",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 'ñ' [é] \"ü\" ::ffff:1.2.3.4é 1.2.3.4ü é@ü.de ü.例え.jp",
            "\u{202e}192.0.2.1\u{0}[\u{7f}]...\u{1b}[31m",
            "::::::::::::::::::::::::::::::::::::::::",
            "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1",
            "IDir '' does not match to ''",
            "a@b@c@d@@@.@.",
        ];
        for h in hostile {
            let _ = one(h);
        }
        let long = "fe80::1%eth0 moon.example.com ".repeat(10_000);
        assert!(one(&long).starts_with("IPv6-1%eth0 ID-1 IPv6-1%eth0 ID-1"));
    }
}
