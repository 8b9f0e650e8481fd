//! strongSwan `swanctl.conf` parser.
//!
//! The grammar follows strongSwan's settings syntax:
//!
//! ```text
//! body     := { item }
//! item     := section | setting | include
//! section  := NAME '{' body '}'
//! setting  := NAME '=' value            (value runs to end of line)
//! include  := 'include' PATTERN
//! value    := { TEXT | '"' quoted '"' }  ('#' starts a comment outside quotes)
//! ```
//!
//! Sections with the same name are merged (later settings win), as charon
//! does. Lists are comma separated values. Quoted strings may span lines and
//! support `\"`, `\\`, `\n`, `\t` escapes.
//!
//! Supported: `connections` (version, local_addrs, remote_addrs, proposals,
//! aggressive, encap, dpd_delay, dpd_timeout, rekey_time, reauth_time,
//! over_time, `local*`/`remote*` auth rounds with auth/id, `children` with
//! local_ts, remote_ts, esp_proposals, ah_proposals, rekey_time, life_time,
//! start_action, dpd_action, mode) and `secrets` (`ike*` sections with `id*`
//! and `secret`). Not interpreted: pools, authorities, certificate/key
//! sections, EAP/XAuth secrets, per-child updown and marks.

use crate::common::IncludeBudget;
use crate::common::{decode_secret, parse_bool, resolve_psk, split_list, PskSecret};
use crate::error::{check_size, ConfigError};
use crate::model::{
    parse_duration, parse_subnet, AuthMethod, Child, ChildMode, ConfigSet, Format, Identity,
    IkeVersion, Origin, Tunnel,
};
use crate::proposal::{expand_proposals, Protocol};
use crate::Includes;

/// Maximum section nesting depth.
const MAX_DEPTH: usize = 64;
/// Maximum include nesting depth.
const MAX_INCLUDE_DEPTH: u32 = 16;

/// A node of the generic settings tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// `name { ... }`
    Section {
        /// Section name.
        name: String,
        /// Where it starts.
        origin: Origin,
        /// Contents.
        children: Vec<Node>,
    },
    /// `key = value`
    Setting {
        /// Key.
        key: String,
        /// Value with quotes removed.
        value: String,
        /// Where it is.
        origin: Origin,
    },
}

impl Node {
    fn name(&self) -> &str {
        match self {
            Node::Section { name, .. } => name,
            Node::Setting { key, .. } => key,
        }
    }
}

struct Lexer<'a> {
    path: &'a str,
    chars: Vec<char>,
    pos: usize,
    line: u32,
}

impl<'a> Lexer<'a> {
    fn new(path: &'a str, contents: &str) -> Self {
        Lexer {
            path,
            chars: contents.chars().collect(),
            pos: 0,
            line: 1,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn err(&self, line: u32, message: impl Into<String>) -> ConfigError {
        ConfigError::Syntax {
            path: self.path.to_string(),
            line,
            message: message.into(),
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Skip whitespace (including newlines) and comments.
    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c == '#' {
                self.skip_comment();
            } else if c.is_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    /// Skip spaces and tabs only.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\r' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn read_name(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_whitespace() || matches!(c, '{' | '}' | '=' | '#' | '"' | ',') {
                break;
            }
            s.push(c);
            self.pos += 1;
        }
        s
    }

    fn read_quoted(&mut self, out: &mut String) -> Result<(), ConfigError> {
        let start = self.line;
        self.bump(); // opening quote
        loop {
            match self.bump() {
                None => return Err(self.err(start, "unterminated quoted string")),
                Some('"') => return Ok(()),
                Some('\\') => match self.bump() {
                    None => return Err(self.err(start, "unterminated quoted string")),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('\n') => {}
                    Some(c) => out.push(c),
                },
                Some(c) => out.push(c),
            }
        }
    }

    /// Read a value up to the end of the line, a comment, or a `}`.
    fn read_value(&mut self) -> Result<String, ConfigError> {
        self.skip_blank();
        let mut out = String::new();
        let mut pending_ws = String::new();
        while let Some(c) = self.peek() {
            match c {
                '\n' | '#' | '}' => break,
                '"' => {
                    out.push_str(&pending_ws);
                    pending_ws.clear();
                    self.read_quoted(&mut out)?;
                }
                c if c.is_whitespace() => {
                    pending_ws.push(c);
                    self.pos += 1;
                }
                c => {
                    out.push_str(&pending_ws);
                    pending_ws.clear();
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        Ok(out)
    }

    fn read_include_pattern(&mut self) -> Result<String, ConfigError> {
        let v = self.read_value()?;
        Ok(v.trim().to_string())
    }
}

struct Ctx<'i> {
    includes: &'i dyn Includes,
    diagnostics: Vec<ConfigError>,
    /// Files included so far and their bytes, against fan-out.
    included: IncludeBudget,
}

fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    }
}

/// A list of nodes with a name index, so that merging stays linear for
/// large files.
#[derive(Default)]
struct Body {
    nodes: Vec<Node>,
    index: std::collections::HashMap<(bool, String), usize>,
}

impl Body {
    fn merge(&mut self, node: Node) {
        let key = (
            matches!(node, Node::Section { .. }),
            node.name().to_string(),
        );
        match self.index.get(&key) {
            Some(&i) => match (&mut self.nodes[i], node) {
                (
                    Node::Section {
                        children: existing, ..
                    },
                    Node::Section { children, .. },
                ) => {
                    for c in children {
                        merge_node(existing, c);
                    }
                }
                (slot, node) => *slot = node,
            },
            None => {
                self.index.insert(key, self.nodes.len());
                self.nodes.push(node);
            }
        }
    }
}

fn parse_body(
    lx: &mut Lexer<'_>,
    ctx: &mut Ctx<'_>,
    depth: usize,
    open: Option<(u32, &str)>,
    include_depth: u32,
) -> Result<Vec<Node>, ConfigError> {
    let mut body = Body::default();
    loop {
        lx.skip_space();
        let Some(c) = lx.peek() else {
            if let Some((line, name)) = open {
                return Err(lx.err(
                    line,
                    format!("unterminated section '{name}': missing '}}' for '{{' opened here"),
                ));
            }
            return Ok(body.nodes);
        };
        if c == '}' {
            if open.is_some() {
                lx.bump();
                return Ok(body.nodes);
            }
            return Err(lx.err(lx.line, "unexpected '}' without matching '{'"));
        }
        let line = lx.line;
        let name = lx.read_name();
        if name.is_empty() {
            return Err(lx.err(line, format!("unexpected character '{c}'")));
        }
        if name == "include" {
            lx.skip_blank();
            if lx.peek() != Some('=') && lx.peek() != Some('{') {
                let pattern = lx.read_include_pattern()?;
                let items = include(lx, ctx, &pattern, line, depth, include_depth)?;
                for n in items {
                    body.merge(n);
                }
                continue;
            }
        }
        lx.skip_space();
        match lx.peek() {
            Some('=') => {
                lx.bump();
                let value = lx.read_value()?;
                body.merge(Node::Setting {
                    key: name,
                    value: value.trim().to_string(),
                    origin: Origin::new(lx.path, line),
                });
            }
            Some('{') => {
                lx.bump();
                if depth + 1 > MAX_DEPTH {
                    return Err(lx.err(line, "sections nested too deeply"));
                }
                let children = parse_body(lx, ctx, depth + 1, Some((line, &name)), include_depth)?;
                body.merge(Node::Section {
                    name,
                    origin: Origin::new(lx.path, line),
                    children,
                });
            }
            Some(other) => {
                return Err(lx.err(
                    lx.line,
                    format!("expected '=' or '{{' after '{name}', found '{other}'"),
                ))
            }
            None => return Err(lx.err(line, format!("unexpected end of file after '{name}'"))),
        }
    }
}

fn include(
    lx: &Lexer<'_>,
    ctx: &mut Ctx<'_>,
    pattern: &str,
    line: u32,
    depth: usize,
    include_depth: u32,
) -> Result<Vec<Node>, ConfigError> {
    if include_depth + 1 > MAX_INCLUDE_DEPTH {
        return Err(ConfigError::IncludeDepth {
            path: lx.path.to_string(),
            line,
            depth: MAX_INCLUDE_DEPTH,
        });
    }
    let resolved = if pattern.starts_with('/') {
        pattern.to_string()
    } else {
        format!("{}{}", dir_of(lx.path), pattern)
    };
    let files = ctx.includes.resolve(&resolved);
    if files.is_empty() && !resolved.contains(['*', '?', '[']) {
        ctx.diagnostics.push(ConfigError::IncludeNotFound {
            path: lx.path.to_string(),
            line,
            pattern: pattern.to_string(),
        });
    }
    let mut out = Body::default();
    for (ipath, contents) in files {
        check_size(&ipath, &contents)?;
        ctx.included.take(lx.path, line, &ipath, contents.len())?;
        let mut sub = Lexer::new(&ipath, &contents);
        let nodes = parse_body(&mut sub, ctx, depth, None, include_depth + 1)?;
        for n in nodes {
            out.merge(n);
        }
    }
    Ok(out.nodes)
}

/// Merge a node into a list: same-named sections merge recursively, a
/// setting replaces an earlier one with the same key.
fn merge_node(nodes: &mut Vec<Node>, node: Node) {
    match node {
        Node::Setting { .. } => {
            if let Some(i) = nodes
                .iter()
                .position(|n| matches!(n, Node::Setting { .. }) && n.name() == node.name())
            {
                nodes[i] = node;
            } else {
                nodes.push(node);
            }
        }
        Node::Section {
            name,
            origin,
            children,
        } => {
            let existing = nodes
                .iter_mut()
                .find(|n| matches!(n, Node::Section { .. }) && n.name() == name);
            if let Some(Node::Section {
                children: existing, ..
            }) = existing
            {
                for c in children {
                    merge_node(existing, c);
                }
            } else {
                nodes.push(Node::Section {
                    name,
                    origin,
                    children,
                });
            }
        }
    }
}

/// Parse `swanctl.conf` text into the generic settings tree (includes
/// resolved through `includes`). Returns the tree and recoverable
/// diagnostics.
pub fn parse_tree(
    path: &str,
    contents: &str,
    includes: &dyn Includes,
) -> Result<(Vec<Node>, Vec<ConfigError>), ConfigError> {
    check_size(path, contents)?;
    let mut ctx = Ctx {
        includes,
        diagnostics: Vec::new(),
        included: IncludeBudget::new(contents.len()),
    };
    let mut lx = Lexer::new(path, contents);
    let nodes = parse_body(&mut lx, &mut ctx, 0, None, 0)?;
    Ok((nodes, ctx.diagnostics))
}

fn get<'n>(nodes: &'n [Node], key: &str) -> Option<(&'n str, &'n Origin)> {
    nodes.iter().find_map(|n| match n {
        Node::Setting {
            key: k,
            value,
            origin,
        } if k == key => Some((value.as_str(), origin)),
        _ => None,
    })
}

fn sections(nodes: &[Node]) -> impl Iterator<Item = (&str, &Origin, &[Node])> {
    nodes.iter().filter_map(|n| match n {
        Node::Section {
            name,
            origin,
            children,
        } => Some((name.as_str(), origin, children.as_slice())),
        _ => None,
    })
}

fn section<'n>(nodes: &'n [Node], name: &str) -> Option<&'n [Node]> {
    sections(nodes)
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, c)| c)
}

fn duration(nodes: &[Node], key: &str, diags: &mut Vec<ConfigError>) -> Option<u32> {
    typed(nodes, key, diags, parse_duration, "a duration")
}

fn boolean(nodes: &[Node], key: &str, diags: &mut Vec<ConfigError>) -> Option<bool> {
    typed(nodes, key, diags, parse_bool, "a boolean")
}

/// The value of `key` read by `parse`; a value it refuses is reported as
/// not being `what` and read as absent.
fn typed<T>(
    nodes: &[Node],
    key: &str,
    diags: &mut Vec<ConfigError>,
    parse: impl Fn(&str) -> Option<T>,
    what: &str,
) -> Option<T> {
    let (v, o) = get(nodes, key)?;
    let value = parse(v);
    if value.is_none() {
        diags.push(ConfigError::InvalidValue {
            path: o.path.clone(),
            line: o.line,
            key: key.to_string(),
            message: format!("'{v}' is not {what}"),
        });
    }
    value
}

fn proposals(
    nodes: &[Node],
    key: &str,
    protocol: Protocol,
    diags: &mut Vec<ConfigError>,
) -> Option<(Vec<String>, Vec<String>)> {
    let (v, o) = get(nodes, key)?;
    let configured = split_list(v);
    let (canon, errs) = expand_proposals(protocol, v);
    for e in errs {
        diags.push(ConfigError::proposal(&o.path, o.line, e));
    }
    Some((canon, configured))
}

fn traffic_selectors(
    nodes: &[Node],
    key: &str,
    nets: &mut Vec<ipnet::IpNet>,
    other: &mut Vec<String>,
    diags: &mut Vec<ConfigError>,
) {
    let Some((v, o)) = get(nodes, key) else {
        return;
    };
    for ts in split_list(v) {
        if ts == "dynamic" {
            continue;
        }
        match parse_subnet(&ts) {
            Some(n) => nets.push(n),
            None => {
                let is_range = ts.split_once('-').is_some_and(|(a, b)| {
                    a.trim().parse::<std::net::IpAddr>().is_ok()
                        && b.trim().parse::<std::net::IpAddr>().is_ok()
                });
                if ts.contains('[') || is_range || ts.starts_with('%') {
                    other.push(ts);
                } else {
                    diags.push(ConfigError::InvalidValue {
                        path: o.path.clone(),
                        line: o.line,
                        key: key.to_string(),
                        message: format!("'{ts}' is not a subnet or address"),
                    });
                }
            }
        }
    }
}

fn auth_round(nodes: &[Node], prefix: &str) -> (Option<AuthMethod>, Option<Identity>) {
    // rounds: `local`, `local-1`, `local-foo`, ... in order of appearance;
    // the first round decides the primary method, later XAuth rounds are
    // folded in as Xauth when the first round is PSK/pubkey.
    let mut auth: Option<AuthMethod> = None;
    let mut id: Option<Identity> = None;
    for (name, _, body) in sections(nodes) {
        if name != prefix && !name.starts_with(&format!("{prefix}-")) {
            continue;
        }
        let a = get(body, "auth").map(|(v, _)| AuthMethod::parse(v));
        if auth.is_none() {
            auth = Some(a.unwrap_or(AuthMethod::PubKey));
            id = get(body, "id").map(|(v, _)| Identity::parse(v));
        }
    }
    (auth, id)
}

fn parse_secrets(nodes: &[Node]) -> Vec<PskSecret> {
    let mut out = Vec::new();
    let Some(secrets) = section(nodes, "secrets") else {
        return out;
    };
    for (name, origin, body) in sections(secrets) {
        if !name.starts_with("ike") {
            continue;
        }
        let Some((secret, _)) = get(body, "secret") else {
            continue;
        };
        let ids = body
            .iter()
            .filter_map(|n| match n {
                Node::Setting { key, value, .. } if key == "id" || key.starts_with("id-") => {
                    Some(split_list(value))
                }
                _ => None,
            })
            .flatten()
            .collect();
        out.push(PskSecret {
            ids,
            secret: decode_secret(secret),
            origin: origin.clone(),
        });
    }
    out
}

/// Parse a `swanctl.conf` into the normalised model.
///
/// `path` is used for display only; `includes` resolves `include`
/// statements (relative patterns are joined to the directory of the
/// including file before being passed to the resolver).
pub fn parse_swanctl(
    path: &str,
    contents: &str,
    includes: &dyn Includes,
) -> Result<ConfigSet, ConfigError> {
    let (tree, mut diags) = parse_tree(path, contents, includes)?;
    let mut set = ConfigSet::new(Format::Swanctl);
    let secrets = parse_secrets(&tree);
    if let Some(conns) = section(&tree, "connections") {
        for (name, origin, body) in sections(conns) {
            let mut t = Tunnel::new(name, origin.clone());
            if let Some((v, o)) = get(body, "version") {
                t.ike_version = match v.trim() {
                    "1" => IkeVersion::V1,
                    "2" => IkeVersion::V2,
                    "0" | "" => IkeVersion::Any,
                    other => {
                        diags.push(ConfigError::InvalidValue {
                            path: o.path.clone(),
                            line: o.line,
                            key: "version".into(),
                            message: format!("'{other}' is not 0, 1 or 2"),
                        });
                        IkeVersion::Any
                    }
                };
            }
            t.local_addrs = get(body, "local_addrs")
                .map(|(v, _)| split_list(v))
                .unwrap_or_default();
            t.remote_addrs = get(body, "remote_addrs")
                .map(|(v, _)| split_list(v))
                .unwrap_or_default();
            match proposals(body, "proposals", Protocol::Ike, &mut diags) {
                Some((canon, configured)) => {
                    t.ike_proposals = canon;
                    t.ike_proposals_configured = configured;
                }
                None => {
                    t.ike_proposals = crate::proposal::default_proposals(Protocol::Ike);
                    t.ike_proposals_configured = vec!["default".into()];
                }
            }
            t.ike_proposals_strict = true;
            t.aggressive = boolean(body, "aggressive", &mut diags).unwrap_or(false);
            t.encap_forced = boolean(body, "encap", &mut diags).unwrap_or(false);
            t.dpd_delay = duration(body, "dpd_delay", &mut diags);
            t.dpd_timeout = duration(body, "dpd_timeout", &mut diags);
            t.ike_rekey_time = duration(body, "rekey_time", &mut diags);
            t.ike_reauth_time = duration(body, "reauth_time", &mut diags);
            if let Some(over) = duration(body, "over_time", &mut diags) {
                let base = t.ike_rekey_time.max(t.ike_reauth_time).unwrap_or(0);
                t.ike_lifetime = Some(base.saturating_add(over));
            }
            let (la, lid) = auth_round(body, "local");
            let (ra, rid) = auth_round(body, "remote");
            t.local_auth = la;
            t.remote_auth = ra;
            t.local_id = lid;
            t.remote_id = rid;
            if let Some(children) = section(body, "children") {
                for (cname, corigin, cbody) in sections(children) {
                    t.children
                        .push(parse_child(cname, corigin, cbody, &mut diags));
                }
            }
            if t.local_auth == Some(AuthMethod::Psk) || t.remote_auth == Some(AuthMethod::Psk) {
                t.psk = resolve_psk(&t, &secrets).map(|s| s.secret.clone());
            }
            set.tunnels.push(t);
        }
    }
    set.diagnostics = diags;
    Ok(set)
}

fn parse_child(name: &str, origin: &Origin, body: &[Node], diags: &mut Vec<ConfigError>) -> Child {
    let mut c = Child::new(name, origin.clone());
    traffic_selectors(body, "local_ts", &mut c.local_ts, &mut c.ts_other, diags);
    traffic_selectors(body, "remote_ts", &mut c.remote_ts, &mut c.ts_other, diags);
    if let Some((canon, configured)) = proposals(body, "esp_proposals", Protocol::Esp, diags) {
        c.esp_proposals = canon;
        c.esp_proposals_configured = configured;
    } else if let Some((canon, configured)) = proposals(body, "ah_proposals", Protocol::Ah, diags) {
        c.esp_proposals = canon;
        c.esp_proposals_configured = configured;
        c.ah = true;
    } else {
        c.esp_proposals = crate::proposal::default_proposals(Protocol::Esp);
        c.esp_proposals_configured = vec!["default".into()];
    }
    c.esp_strict = true;
    c.derive_pfs_groups();
    c.rekey_time = duration(body, "rekey_time", diags);
    c.lifetime = duration(body, "life_time", diags);
    c.start_action = get(body, "start_action").map(|(v, _)| v.to_string());
    c.dpd_action = get(body, "dpd_action").map(|(v, _)| v.to_string());
    if let Some((m, o)) = get(body, "mode") {
        c.mode = match m.to_ascii_lowercase().as_str() {
            "tunnel" => ChildMode::Tunnel,
            "transport" | "transport_proxy" => ChildMode::Transport,
            "beet" => ChildMode::Beet,
            "pass" => ChildMode::Pass,
            "drop" => ChildMode::Drop,
            other => {
                diags.push(ConfigError::InvalidValue {
                    path: o.path.clone(),
                    line: o.line,
                    key: "mode".into(),
                    message: format!("unknown mode '{other}'"),
                });
                ChildMode::Tunnel
            }
        };
    }
    if let Some(false) = get(body, "policies").and_then(|(v, _)| parse_bool(v)) {
        if c.mode == ChildMode::Tunnel {
            c.mode = ChildMode::Vti;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoIncludes;

    #[test]
    fn tree_basics() {
        let (t, d) = parse_tree(
            "x.conf",
            "a {\n  b = 1 # c\n  s = \"q # not comment\"\n}\n",
            &NoIncludes,
        )
        .unwrap();
        assert!(d.is_empty());
        let a = section(&t, "a").unwrap();
        assert_eq!(get(a, "b").unwrap().0, "1");
        assert_eq!(get(a, "s").unwrap().0, "q # not comment");
    }

    #[test]
    fn unterminated_brace_reports_opening_line() {
        let e = parse_tree("x.conf", "\n\nconnections {\n  a {\n  }\n", &NoIncludes).unwrap_err();
        assert_eq!(
            e,
            ConfigError::Syntax {
                path: "x.conf".into(),
                line: 3,
                message: "unterminated section 'connections': missing '}' for '{' opened here"
                    .into()
            }
        );
    }

    #[test]
    fn unterminated_quote_reports_line() {
        let e = parse_tree("x.conf", "a {\n b = 1\n c = \"abc\n}\n", &NoIncludes).unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("unterminated quoted string"));
    }

    #[test]
    fn deep_nesting_rejected() {
        let s = "a{".repeat(10_000);
        assert!(parse_tree("x", &s, &NoIncludes).is_err());
    }

    #[test]
    fn inline_sections() {
        let (t, _) = parse_tree("x", "a { b { c = 1 } d = 2 }", &NoIncludes).unwrap();
        let a = section(&t, "a").unwrap();
        assert_eq!(get(section(a, "b").unwrap(), "c").unwrap().0, "1");
        assert_eq!(get(a, "d").unwrap().0, "2");
    }
}
