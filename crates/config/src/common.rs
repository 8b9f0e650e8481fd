//! Helpers shared by the parsers (private).

use crate::error::{ConfigError, MAX_INCLUDED_FILES, MAX_INPUT_BYTES};
use crate::model::{IdentityKind, Origin, Tunnel};

/// A pre-shared key with the identities it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PskSecret {
    pub ids: Vec<String>,
    pub secret: String,
    #[allow(dead_code)]
    pub origin: Origin,
}

/// strongSwan boolean values.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "enabled" | "1" | "on" => Some(true),
        "no" | "false" | "disabled" | "0" | "off" => Some(false),
        _ => None,
    }
}

/// Split a comma (and for ipsec.conf, whitespace) separated list.
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|p| p.trim().trim_matches('"').trim())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// Decode strongSwan secret encodings: `0x…` hex, `0s…` base64, otherwise
/// the text itself. Undecodable or non-UTF-8 secrets are returned raw.
pub(crate) fn decode_secret(s: &str) -> String {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if let Some(bytes) = decode_hex(hex) {
            if let Ok(t) = String::from_utf8(bytes) {
                return t;
            }
        }
    }
    if let Some(b64) = s.strip_prefix("0s").or_else(|| s.strip_prefix("0S")) {
        if let Some(bytes) = decode_base64(b64) {
            if let Ok(t) = String::from_utf8(bytes) {
                return t;
            }
        }
    }
    s.to_string()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks(2)
        .map(|c| {
            let hi = (c[0] as char).to_digit(16)?;
            let lo = (c[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b if b.is_ascii_whitespace() => continue,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn norm_id(s: &str) -> String {
    let s = s.trim().trim_matches('"');
    let l = s.to_ascii_lowercase();
    for p in [
        "fqdn:",
        "dns:",
        "email:",
        "userfqdn:",
        "rfc822:",
        "ipv4:",
        "ipv6:",
        "keyid:",
        "asn1dn:",
    ] {
        if let Some(r) = l.strip_prefix(p) {
            return r.to_string();
        }
    }
    l.trim_start_matches('@').to_string()
}

/// Candidate identities of one side: the configured ID, else the addresses
/// (charon uses the IP address as identity when none is configured).
fn side_ids(id: Option<&crate::model::Identity>, addrs: &[String]) -> Vec<String> {
    match id {
        Some(i) if i.kind != IdentityKind::Any => vec![norm_id(&i.raw), norm_id(&i.value)],
        _ => addrs.iter().map(|a| norm_id(a)).collect(),
    }
}

/// Pick the PSK strongSwan would use for this tunnel: a secret naming both
/// identities beats one naming one of them, which beats a secret without
/// identities (matches any). Returns `None` when nothing matches.
pub(crate) fn resolve_psk<'a>(t: &Tunnel, secrets: &'a [PskSecret]) -> Option<&'a PskSecret> {
    let local = side_ids(t.local_id.as_ref(), &t.local_addrs);
    let remote = side_ids(t.remote_id.as_ref(), &t.remote_addrs);
    let mut best: Option<(u32, &PskSecret)> = None;
    for s in secrets {
        let score = if s.ids.is_empty() {
            1
        } else {
            let ids: Vec<String> = s.ids.iter().map(|i| norm_id(i)).collect();
            let any = ids.iter().any(|i| i == "%any" || i == "%any6");
            let ml = ids.iter().any(|i| local.contains(i));
            let mr = ids.iter().any(|i| remote.contains(i));
            match (ml, mr) {
                (true, true) => 4,
                (false, true) => 3,
                (true, false) => 2,
                (false, false) if any => 1,
                _ => 0,
            }
        };
        if score > 0 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, s));
        }
    }
    best.map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_decode() {
        assert_eq!(decode_secret("0sc2VjcmV0"), "secret");
        assert_eq!(decode_secret("0x736563726574"), "secret");
        assert_eq!(decode_secret("plain"), "plain");
        assert_eq!(decode_secret("0s!!!"), "0s!!!");
    }

    #[test]
    fn bools() {
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("No"), Some(false));
        assert_eq!(parse_bool("maybe"), None);
    }
}

/// What one configuration may include in all: [`MAX_INCLUDED_FILES`] files
/// and [`MAX_INPUT_BYTES`] bytes with the main file. Without it, files that
/// each include several others, a few levels deep, multiply without end.
#[derive(Debug)]
pub(crate) struct IncludeBudget {
    files: usize,
    bytes: usize,
}

impl IncludeBudget {
    /// A budget for a main file of `main_bytes`.
    pub(crate) fn new(main_bytes: usize) -> IncludeBudget {
        IncludeBudget {
            files: 0,
            bytes: main_bytes,
        }
    }

    /// Counts one included file of `bytes`, named `included`, included from
    /// `path` at `line`.
    pub(crate) fn take(
        &mut self,
        path: &str,
        line: u32,
        included: &str,
        bytes: usize,
    ) -> Result<(), ConfigError> {
        self.files += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        if self.files > MAX_INCLUDED_FILES {
            return Err(ConfigError::TooManyIncludes {
                path: path.to_string(),
                line,
                limit: MAX_INCLUDED_FILES,
            });
        }
        if self.bytes > MAX_INPUT_BYTES {
            return Err(ConfigError::TooLarge {
                path: included.to_string(),
                size: self.bytes,
                limit: MAX_INPUT_BYTES,
            });
        }
        Ok(())
    }
}
