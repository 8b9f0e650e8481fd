//! strongSwan legacy `ipsec.conf` (stroke/starter) parser, plus
//! `ipsec.secrets` PSK lines.
//!
//! Syntax: sections start in column 0 (`config setup`, `conn <name>`,
//! `ca <name>`), parameters are indented `key=value` lines, `#` starts a
//! comment, values may be double-quoted, and `include <glob>` lines at
//! column 0 pull in other files. `conn %default` supplies defaults for all
//! connections; `also=<name>` merges other conn sections (recursively).
//! Settings in the conn itself win over `also=` which win over `%default`.
//!
//! Interpreted keys: `left`, `right`, `leftid`, `rightid`, `leftsubnet`,
//! `rightsubnet`, `authby`, `leftauth`, `rightauth`, `keyexchange`,
//! `aggressive`, `ike`, `esp`, `ah`, `ikelifetime`, `lifetime`/`keylife`,
//! `margintime`/`rekeymargin`, `dpddelay`, `dpdtimeout`, `dpdaction`,
//! `forceencaps`, `auto`, `type`, `reauth`. Proposals without a trailing
//! `!` get charon's default proposals appended, exactly like the stroke
//! plugin does. Not interpreted: `leftprotoport`, certificates, `ca`
//! sections, `config setup` options, `%defaultroute` resolution.

use crate::common::{decode_secret, parse_bool, resolve_psk, IncludeBudget, PskSecret};
use crate::error::{check_size, ConfigError};
use crate::model::{
    parse_duration, parse_subnet, AuthMethod, Child, ChildMode, ConfigSet, Format, Identity,
    IkeVersion, Origin, Tunnel,
};
use crate::proposal::{default_proposals_ipsec_conf, keyword_proposal_to_canonical, Protocol};
use crate::Includes;
use std::collections::BTreeMap;

const MAX_INCLUDE_DEPTH: u32 = 16;
const MAX_ALSO_DEPTH: u32 = 32;

#[derive(Debug, Clone)]
struct Value {
    value: String,
    origin: Origin,
}

#[derive(Debug, Clone)]
struct Section {
    kind: String,
    name: String,
    origin: Origin,
    /// key → value, in order of appearance (later wins)
    settings: Vec<(String, Value)>,
}

fn dir_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "",
    }
}

/// Parse a value: strip comments outside quotes, remove surrounding quotes.
fn parse_value(raw: &str, path: &str, line: u32) -> Result<String, ConfigError> {
    let mut out = String::new();
    let mut in_quote = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => in_quote = !in_quote,
            '\\' if in_quote => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '#' if !in_quote => break,
            c => out.push(c),
        }
    }
    if in_quote {
        return Err(ConfigError::Syntax {
            path: path.to_string(),
            line,
            message: "unterminated quoted string".into(),
        });
    }
    Ok(out.trim().to_string())
}

fn parse_sections(
    path: &str,
    contents: &str,
    includes: &dyn Includes,
    depth: u32,
    budget: &mut IncludeBudget,
    out: &mut Vec<Section>,
    diags: &mut Vec<ConfigError>,
) -> Result<(), ConfigError> {
    check_size(path, contents)?;
    let mut current: Option<Section> = None;
    for (idx, raw_line) in contents.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indented = raw_line.starts_with([' ', '\t']);
        if !indented {
            // new section or include
            if let Some(s) = current.take() {
                out.push(s);
            }
            let no_comment = parse_value(trimmed, path, line)?;
            let mut words = no_comment.split_whitespace();
            let kw = words.next().unwrap_or("");
            let arg = words.next().unwrap_or("").to_string();
            if words.next().is_some() {
                return Err(ConfigError::Syntax {
                    path: path.to_string(),
                    line,
                    message: format!("unexpected text after '{kw} {arg}'"),
                });
            }
            match kw {
                "include" => {
                    if depth + 1 > MAX_INCLUDE_DEPTH {
                        return Err(ConfigError::IncludeDepth {
                            path: path.to_string(),
                            line,
                            depth: MAX_INCLUDE_DEPTH,
                        });
                    }
                    let resolved = if arg.starts_with('/') {
                        arg.clone()
                    } else {
                        format!("{}{}", dir_of(path), arg)
                    };
                    let files = includes.resolve(&resolved);
                    if files.is_empty() && !resolved.contains(['*', '?', '[']) {
                        diags.push(ConfigError::IncludeNotFound {
                            path: path.to_string(),
                            line,
                            pattern: arg.clone(),
                        });
                    }
                    for (p, c) in files {
                        budget.take(path, line, &p, c.len())?;
                        parse_sections(&p, &c, includes, depth + 1, budget, out, diags)?;
                    }
                }
                "conn" | "ca" | "config" => {
                    if arg.is_empty() {
                        return Err(ConfigError::Syntax {
                            path: path.to_string(),
                            line,
                            message: format!("'{kw}' needs a name"),
                        });
                    }
                    current = Some(Section {
                        kind: kw.to_string(),
                        name: arg,
                        origin: Origin::new(path, line),
                        settings: Vec::new(),
                    });
                }
                "version" => {} // "version 2" header of old files
                other => {
                    return Err(ConfigError::Syntax {
                        path: path.to_string(),
                        line,
                        message: format!(
                            "expected 'conn', 'config', 'ca' or 'include' at the start of a line, found '{other}' (parameters must be indented)"
                        ),
                    })
                }
            }
            continue;
        }
        let Some((k, v)) = trimmed.split_once('=') else {
            return Err(ConfigError::Syntax {
                path: path.to_string(),
                line,
                message: format!("expected 'key=value', found '{trimmed}'"),
            });
        };
        let key = k.trim().to_string();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(ConfigError::Syntax {
                path: path.to_string(),
                line,
                message: format!("invalid parameter name '{}'", k.trim()),
            });
        }
        let value = parse_value(v, path, line)?;
        match current.as_mut() {
            Some(s) => s.settings.push((
                key,
                Value {
                    value,
                    origin: Origin::new(path, line),
                },
            )),
            None => {
                return Err(ConfigError::Syntax {
                    path: path.to_string(),
                    line,
                    message: "parameter outside of a section".into(),
                })
            }
        }
    }
    if let Some(s) = current.take() {
        out.push(s);
    }
    Ok(())
}

/// Most `also=` sections merged into one conn, in all: a conn naming the
/// same section twice, whose sections do the same, a few levels deep, would
/// otherwise be expanded 2^32 times.
const MAX_ALSO_EXPANSIONS: u32 = 1024;

/// Resolve `also=` and `%default` into a flat key → value map.
fn effective(
    conn: &Section,
    conns: &BTreeMap<String, &Section>,
    depth: u32,
    diags: &mut Vec<ConfigError>,
    map: &mut BTreeMap<String, Value>,
) {
    let mut expansion = Expansion::default();
    effective_within(conn, conns, depth, &mut expansion, diags, map);
}

/// How far one conn's `also=` expansion went, and whether it was reported.
#[derive(Default)]
struct Expansion {
    sections: u32,
    reported: bool,
}

fn effective_within(
    conn: &Section,
    conns: &BTreeMap<String, &Section>,
    depth: u32,
    expansion: &mut Expansion,
    diags: &mut Vec<ConfigError>,
    map: &mut BTreeMap<String, Value>,
) {
    expansion.sections += 1;
    let problem = if expansion.sections > MAX_ALSO_EXPANSIONS {
        format!(
            "also= of conn '{}' expand to more than {MAX_ALSO_EXPANSIONS} sections (loop?)",
            conn.name
        )
    } else if depth > MAX_ALSO_DEPTH {
        format!("also= chain of conn '{}' is too deep (loop?)", conn.name)
    } else {
        String::new()
    };
    if !problem.is_empty() {
        if !expansion.reported {
            expansion.reported = true;
            diags.push(ConfigError::UnresolvedReference {
                path: conn.origin.path.clone(),
                line: conn.origin.line,
                message: problem,
            });
        }
        return;
    }
    for (k, v) in &conn.settings {
        if k == "also" {
            match conns.get(&v.value) {
                Some(other) => effective_within(other, conns, depth + 1, expansion, diags, map),
                None => diags.push(ConfigError::UnresolvedReference {
                    path: v.origin.path.clone(),
                    line: v.origin.line,
                    message: format!("also={} names an unknown conn", v.value),
                }),
            }
        }
    }
    for (k, v) in &conn.settings {
        if k != "also" {
            map.insert(k.clone(), v.clone());
        }
    }
}

fn ipsec_proposals(
    v: Option<&Value>,
    protocol: Protocol,
    diags: &mut Vec<ConfigError>,
) -> (Vec<String>, Vec<String>, bool) {
    let Some(v) = v else {
        return (
            default_proposals_ipsec_conf(protocol),
            vec!["default".into()],
            false,
        );
    };
    let mut text = v.value.trim().to_string();
    let strict = text.ends_with('!');
    if strict {
        text.pop();
    }
    let configured: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut out = Vec::new();
    for p in &configured {
        match keyword_proposal_to_canonical(protocol, p) {
            Ok(c) => out.push(c),
            Err(e) => diags.push(ConfigError::proposal(&v.origin.path, v.origin.line, e)),
        }
    }
    if !strict {
        out.extend(default_proposals_ipsec_conf(protocol));
    }
    (out, configured, strict)
}

fn dur(map: &BTreeMap<String, Value>, keys: &[&str], diags: &mut Vec<ConfigError>) -> Option<u32> {
    for k in keys {
        if let Some(v) = map.get(*k) {
            return match parse_duration(&v.value) {
                Some(d) => Some(d),
                None => {
                    diags.push(ConfigError::InvalidValue {
                        path: v.origin.path.clone(),
                        line: v.origin.line,
                        key: (*k).to_string(),
                        message: format!("'{}' is not a duration", v.value),
                    });
                    None
                }
            };
        }
    }
    None
}

fn flag(map: &BTreeMap<String, Value>, key: &str) -> bool {
    map.get(key)
        .and_then(|v| parse_bool(&v.value))
        .unwrap_or(false)
}

fn addr_list(v: Option<&Value>) -> Vec<String> {
    v.map(|v| {
        v.value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn subnets(
    v: Option<&Value>,
    key: &str,
    child: &mut Child,
    local: bool,
    diags: &mut Vec<ConfigError>,
) {
    let Some(v) = v else { return };
    for s in v.value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match parse_subnet(s) {
            Some(n) => {
                if local {
                    child.local_ts.push(n)
                } else {
                    child.remote_ts.push(n)
                }
            }
            None => {
                if s.starts_with('%') || s.contains('[') {
                    child.ts_other.push(s.to_string());
                } else {
                    diags.push(ConfigError::InvalidValue {
                        path: v.origin.path.clone(),
                        line: v.origin.line,
                        key: key.to_string(),
                        message: format!("'{s}' is not a subnet"),
                    });
                }
            }
        }
    }
}

fn build_tunnel(
    conn: &Section,
    map: &BTreeMap<String, Value>,
    diags: &mut Vec<ConfigError>,
) -> Tunnel {
    let mut t = Tunnel::new(&conn.name, conn.origin.clone());
    t.ike_version = match map.get("keyexchange").map(|v| v.value.as_str()) {
        Some("ikev1") => IkeVersion::V1,
        Some("ikev2") => IkeVersion::V2,
        Some("ike") | None => IkeVersion::Any,
        Some(other) => {
            if let Some(v) = map.get("keyexchange") {
                diags.push(ConfigError::InvalidValue {
                    path: v.origin.path.clone(),
                    line: v.origin.line,
                    key: "keyexchange".into(),
                    message: format!("'{other}' is not ikev1, ikev2 or ike"),
                });
            }
            IkeVersion::Any
        }
    };
    t.aggressive = flag(map, "aggressive");
    t.local_addrs = addr_list(map.get("left"));
    t.remote_addrs = addr_list(map.get("right"));
    t.local_id = map.get("leftid").map(|v| Identity::parse(&v.value));
    t.remote_id = map.get("rightid").map(|v| Identity::parse(&v.value));
    let (auth_l, auth_r) = match map.get("authby").map(|v| v.value.to_ascii_lowercase()) {
        Some(a) => match a.as_str() {
            "secret" | "psk" => (Some(AuthMethod::Psk), Some(AuthMethod::Psk)),
            "pubkey" | "rsasig" | "ecdsasig" => {
                (Some(AuthMethod::PubKey), Some(AuthMethod::PubKey))
            }
            "xauthpsk" => (Some(AuthMethod::Psk), Some(AuthMethod::Psk)),
            "xauthrsasig" => (Some(AuthMethod::PubKey), Some(AuthMethod::PubKey)),
            "never" => (None, None),
            other => (
                Some(AuthMethod::Other(other.to_string())),
                Some(AuthMethod::Other(other.to_string())),
            ),
        },
        None => (Some(AuthMethod::PubKey), Some(AuthMethod::PubKey)),
    };
    t.local_auth = map
        .get("leftauth")
        .map(|v| AuthMethod::parse(&v.value))
        .or(auth_l);
    t.remote_auth = map
        .get("rightauth")
        .map(|v| AuthMethod::parse(&v.value))
        .or(auth_r);
    let (ike, ike_conf, ike_strict) = ipsec_proposals(map.get("ike"), Protocol::Ike, diags);
    t.ike_proposals = ike;
    t.ike_proposals_configured = ike_conf;
    t.ike_proposals_strict = ike_strict;
    t.dpd_delay = dur(map, &["dpddelay"], diags);
    t.dpd_timeout = dur(map, &["dpdtimeout"], diags);
    t.encap_forced = flag(map, "forceencaps");
    let margin = dur(map, &["margintime", "rekeymargin"], diags).unwrap_or(540);
    let ikelife = dur(map, &["ikelifetime"], diags);
    t.ike_lifetime = ikelife;
    let reauth = map
        .get("reauth")
        .and_then(|v| parse_bool(&v.value))
        .unwrap_or(true);
    if let Some(l) = ikelife {
        let r = l.saturating_sub(margin);
        if reauth {
            t.ike_reauth_time = Some(r);
        } else {
            t.ike_rekey_time = Some(r);
        }
    }
    if let Some(a) = map.get("auto") {
        t.disabled = a.value == "ignore";
    }

    let mut c = Child::new(&conn.name, conn.origin.clone());
    subnets(map.get("leftsubnet"), "leftsubnet", &mut c, true, diags);
    subnets(map.get("rightsubnet"), "rightsubnet", &mut c, false, diags);
    let (esp, esp_conf, esp_strict, ah) = if map.contains_key("ah") && !map.contains_key("esp") {
        let (p, c2, s) = ipsec_proposals(map.get("ah"), Protocol::Ah, diags);
        (p, c2, s, true)
    } else {
        let (p, c2, s) = ipsec_proposals(map.get("esp"), Protocol::Esp, diags);
        (p, c2, s, false)
    };
    c.esp_proposals = esp;
    c.esp_proposals_configured = esp_conf;
    c.esp_strict = esp_strict;
    c.ah = ah;
    c.derive_pfs_groups();
    c.lifetime = dur(map, &["lifetime", "keylife"], diags);
    c.rekey_time = c.lifetime.map(|l| l.saturating_sub(margin));
    c.dpd_action = map.get("dpdaction").map(|v| v.value.clone());
    c.start_action = map.get("auto").map(|v| v.value.clone());
    c.mode = match map.get("type").map(|v| v.value.as_str()) {
        Some("transport") | Some("transport_proxy") => ChildMode::Transport,
        Some("passthrough") | Some("pass") => ChildMode::Pass,
        Some("drop") | Some("reject") => ChildMode::Drop,
        Some("beet") => ChildMode::Beet,
        _ => ChildMode::Tunnel,
    };
    t.children.push(c);
    t
}

/// Parse `ipsec.secrets` PSK entries (`[ids] : PSK "secret"`). Other secret
/// types (RSA, ECDSA, EAP, XAUTH, PIN) are skipped; `include` lines are
/// resolved through `includes`.
fn parse_secrets(
    path: &str,
    contents: &str,
    includes: &dyn Includes,
    depth: u32,
    budget: &mut IncludeBudget,
    out: &mut Vec<PskSecret>,
    diags: &mut Vec<ConfigError>,
) -> Result<(), ConfigError> {
    check_size(path, contents)?;
    for (idx, raw) in contents.lines().enumerate() {
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(rest) = t.strip_prefix("include ") {
            if depth + 1 > MAX_INCLUDE_DEPTH {
                return Err(ConfigError::IncludeDepth {
                    path: path.to_string(),
                    line,
                    depth: MAX_INCLUDE_DEPTH,
                });
            }
            let pat = rest.trim();
            let resolved = if pat.starts_with('/') {
                pat.to_string()
            } else {
                format!("{}{}", dir_of(path), pat)
            };
            let files = includes.resolve(&resolved);
            if files.is_empty() && !resolved.contains(['*', '?', '[']) {
                diags.push(ConfigError::IncludeNotFound {
                    path: path.to_string(),
                    line,
                    pattern: pat.to_string(),
                });
            }
            for (p, c) in files {
                budget.take(path, line, &p, c.len())?;
                parse_secrets(&p, &c, includes, depth + 1, budget, out, diags)?;
            }
            continue;
        }
        let Some((ids, rest)) = split_secret_line(t) else {
            return Err(ConfigError::Syntax {
                path: path.to_string(),
                line,
                message: "expected '[ids] : TYPE secret'".into(),
            });
        };
        let rest = rest.trim();
        let (kind, secret) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if !kind.eq_ignore_ascii_case("PSK") {
            continue;
        }
        let secret = parse_value(secret, path, line)?;
        let secret = secret
            .strip_prefix('\'')
            .and_then(|s| s.strip_suffix('\''))
            .unwrap_or(&secret)
            .to_string();
        out.push(PskSecret {
            ids: ids
                .split_whitespace()
                .map(|s| s.trim_matches('"').to_string())
                .collect(),
            secret: decode_secret(&secret),
            origin: Origin::new(path, line),
        });
    }
    Ok(())
}

/// Split at the first ':' that is followed by whitespace and not inside
/// quotes (IPv6 addresses contain ':' too).
fn split_secret_line(t: &str) -> Option<(&str, &str)> {
    let bytes = t.as_bytes();
    let mut in_quote = false;
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'"' => in_quote = !in_quote,
            b':' if !in_quote => {
                let next = bytes.get(i + 1).copied();
                if next.is_none() || next.is_some_and(|n| n == b' ' || n == b'\t') {
                    return Some((&t[..i], &t[i + 1..]));
                }
            }
            _ => {}
        }
    }
    None
}

/// Parse an `ipsec.conf` into the normalised model: one [`Tunnel`] with one
/// [`Child`] (both named like the conn) for every conn except `%default`.
/// Conns that only serve as `also=` targets are emitted too, as starter
/// would load them.
pub fn parse_ipsec_conf(
    path: &str,
    contents: &str,
    includes: &dyn Includes,
) -> Result<ConfigSet, ConfigError> {
    parse_ipsec_conf_with_secrets(path, contents, None, includes)
}

/// Like [`parse_ipsec_conf`], additionally reading PSKs from an
/// `ipsec.secrets` given as `(display path, contents)`.
pub fn parse_ipsec_conf_with_secrets(
    path: &str,
    contents: &str,
    secrets: Option<(&str, &str)>,
    includes: &dyn Includes,
) -> Result<ConfigSet, ConfigError> {
    check_size(path, contents)?;
    let mut diags = Vec::new();
    let mut sections = Vec::new();
    let mut budget = IncludeBudget::new(contents.len());
    parse_sections(
        path,
        contents,
        includes,
        0,
        &mut budget,
        &mut sections,
        &mut diags,
    )?;
    let mut psks = Vec::new();
    if let Some((spath, scontents)) = secrets {
        parse_secrets(
            spath,
            scontents,
            includes,
            0,
            &mut budget,
            &mut psks,
            &mut diags,
        )?;
    }
    let conns: Vec<&Section> = sections.iter().filter(|s| s.kind == "conn").collect();
    let by_name: BTreeMap<String, &Section> = conns.iter().map(|s| (s.name.clone(), *s)).collect();
    let default = by_name.get("%default").copied();
    let mut set = ConfigSet::new(Format::IpsecConf);
    for conn in conns.iter().filter(|c| c.name != "%default") {
        let mut map = BTreeMap::new();
        if let Some(d) = default {
            effective(d, &by_name, 0, &mut diags, &mut map);
        }
        effective(conn, &by_name, 0, &mut diags, &mut map);
        let mut t = build_tunnel(conn, &map, &mut diags);
        if t.local_auth == Some(AuthMethod::Psk) || t.remote_auth == Some(AuthMethod::Psk) {
            t.psk = resolve_psk(&t, &psks).map(|s| s.secret.clone());
        }
        set.tunnels.push(t);
    }
    set.diagnostics = diags;
    set.libreswan_setting = libreswan_setting(&sections);
    Ok(set)
}

/// Settings only Libreswan's and Openswan's ipsec.conf have (Libreswan's
/// `ipsec.conf(5)`, 3.x to 5.x; strongSwan's stroke parser, `keywords.txt`,
/// knows none of them): `ikev2=` (`keyexchange=` is both's), the
/// `phase2*=` and `*-interval`/`*-timeout` forms, `salifetime=`, the plural
/// `leftsubnets=`, and in `config setup` `protostack=`, `ikev1-policy=`,
/// `virtual-private=` (strongSwan's is `virtual_private=`) and `logfile=`.
/// `leftrsasigkey=` is both's.
const LIBRESWAN_ONLY: &[&str] = &[
    "ikev2",
    "phase2",
    "phase2alg",
    "salifetime",
    "leftsubnets",
    "rightsubnets",
    "narrowing",
    "encapsulation",
    "retransmit-interval",
    "retransmit-timeout",
    "dpdaction-restart",
    "sha2-truncbug",
    "nic-offload",
    "ikepad",
    "protostack",
    "ikev1-policy",
    "virtual-private",
    "logfile",
];

/// The first setting that marks Libreswan's dialect: a key of
/// [`LIBRESWAN_ONLY`], or a proposal written `ike=aes256-sha2;modp2048`
/// (Libreswan separates the DH group with `;`, strongSwan with `-`).
fn libreswan_setting(sections: &[Section]) -> Option<(Origin, String)> {
    sections
        .iter()
        .flat_map(|s| s.settings.iter())
        .filter(|(key, value)| {
            LIBRESWAN_ONLY.contains(&key.as_str())
                || (matches!(key.as_str(), "ike" | "esp") && value.value.contains(';'))
        })
        .map(|(key, value)| (value.origin.clone(), format!("{key}={}", value.value)))
        .min_by_key(|(origin, _)| (origin.path.clone(), origin.line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoIncludes;

    #[test]
    fn libreswan_dialect_is_told_by_its_own_settings() {
        let libreswan = "conn a\n  left=192.0.2.1\n  right=192.0.2.2\n  ikev2=insist\n  ike=aes256-sha2;modp2048\n";
        let set = parse_ipsec_conf("l.conf", libreswan, &NoIncludes).unwrap();
        let (origin, setting) = set.libreswan_setting.unwrap();
        assert_eq!((origin.line, setting.as_str()), (4, "ikev2=insist"));
        let strongswan = "conn a\n  left=192.0.2.1\n  right=192.0.2.2\n  keyexchange=ikev2\n  ike=aes256-sha256-modp2048\n";
        let set = parse_ipsec_conf("s.conf", strongswan, &NoIncludes).unwrap();
        assert_eq!(set.libreswan_setting, None);
    }

    #[test]
    fn parameter_outside_section() {
        let e = parse_ipsec_conf("i", "  left=1.2.3.4\n", &NoIncludes).unwrap_err();
        assert_eq!(e.line(), Some(1));
    }

    #[test]
    fn also_fanning_out_is_bounded() {
        // Each conn names the next twice: 2^32 expansions unbounded.
        let mut conf = String::from("config setup\n");
        for i in 0..40 {
            conf.push_str(&format!(
                "conn c{i}\n  also=c{n}\n  also=c{n}\n  left=192.0.2.1\n",
                n = i + 1
            ));
        }
        conf.push_str("conn c40\n  right=192.0.2.2\n  also=c0\n  also=c0\n");
        let start = std::time::Instant::now();
        let set = parse_ipsec_conf("i", &conf, &NoIncludes).unwrap();
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(set
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("(loop?)")));
        assert!(set.diagnostics.len() <= 41, "{}", set.diagnostics.len());
    }

    #[test]
    fn unterminated_quote() {
        let e = parse_ipsec_conf("i", "conn a\n  left=1.2.3.4\n  leftid=\"abc\n", &NoIncludes)
            .unwrap_err();
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn secrets_lines() {
        let mut out = Vec::new();
        let mut d = Vec::new();
        parse_secrets(
            "s",
            "# c\n192.0.2.1 198.51.100.1 : PSK \"abc\"\n: PSK 'x'\n2001:db8::1 : PSK \"v6\"\n: RSA key.pem\n",
            &NoIncludes,
            0,
            &mut IncludeBudget::new(0),
            &mut out,
            &mut d,
        )
        .unwrap();
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].ids, vec!["192.0.2.1", "198.51.100.1"]);
        assert_eq!(out[0].secret, "abc");
        assert!(out[1].ids.is_empty());
        assert_eq!(out[1].secret, "x");
        assert_eq!(out[2].ids, vec!["2001:db8::1"]);
    }
}
