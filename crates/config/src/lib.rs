//! # ipsec-doctor-config
//!
//! Reads IPsec gateway configurations and turns them into **one normalised
//! tunnel model** ([`ConfigSet`] → [`Tunnel`] → [`Child`]) that later
//! diagnostics can use to predict why a tunnel fails to negotiate, following
//! strongSwan's rules.
//!
//! Supported inputs:
//!
//! * strongSwan `swanctl.conf` ([`swanctl`]), including `include` statements
//!   and `secrets`;
//! * strongSwan's legacy `ipsec.conf` ([`ipsec_conf`]) with `%default`,
//!   `also=`, strict `!` proposals and, optionally, `ipsec.secrets`;
//! * pfSense and OPNsense `config.xml` ([`pfsense`]): the `<ipsec>` phase 1
//!   and phase 2 entries plus host settings that affect IPsec (interfaces,
//!   virtual IPs, OpenVPN tunnel networks, outbound NAT, tunables, MSS
//!   clamping, crypto hardware).
//!
//! All proposals are converted to the exact notation charon prints in its
//! `configured proposals:` log lines (see [`proposal`]), so a model can be
//! compared directly with a peer's log.
//!
//! The crate performs no I/O: callers pass file contents and a display path.
//! `include` statements are resolved through the [`Includes`] trait.
//! Inputs larger than [`MAX_INPUT_BYTES`] are refused, and no input makes
//! the parsers panic.
//!
//! ## Example
//!
//! ```
//! use ipsec_doctor_config::{parse, Format, IkeVersion, NoIncludes};
//!
//! let conf = r#"
//! connections {
//!     site-b {
//!         version = 2
//!         remote_addrs = 198.51.100.7
//!         proposals = aes256-sha256-modp2048
//!         local {
//!             auth = psk
//!             id = gw-a.example.net
//!         }
//!         remote {
//!             auth = psk
//!             id = gw-b.example.net
//!         }
//!         children {
//!             lan {
//!                 local_ts = 10.1.0.0/16
//!                 remote_ts = 10.2.0.0/16
//!                 esp_proposals = aes128-sha1
//!             }
//!         }
//!     }
//! }
//! secrets {
//!     ike-b {
//!         id = gw-b.example.net
//!         secret = "s3cret"
//!     }
//! }
//! "#;
//! let set = parse("/etc/swanctl/swanctl.conf", conf, &NoIncludes).unwrap();
//! assert_eq!(set.source, Format::Swanctl);
//! let t = &set.tunnels[0];
//! assert_eq!(t.ike_version, IkeVersion::V2);
//! assert_eq!(t.ike_proposals, ["IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"]);
//! assert_eq!(t.children[0].esp_proposals, ["ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ"]);
//! assert_eq!(t.psk.as_deref(), Some("s3cret"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod common;
pub mod error;
pub mod ipsec_conf;
pub mod model;
pub mod pfsense;
pub mod proposal;
pub mod swanctl;

pub use error::{ConfigError, MAX_INCLUDED_FILES, MAX_INPUT_BYTES};
pub use model::{
    AuthMethod, Child, ChildMode, ConfigSet, Format, HostSettings, Identity, IdentityKind,
    IkeVersion, Interface, MssClamping, OpenVpnNetwork, Origin, OutboundNat, OutboundNatRule,
    Tunable, Tunnel, VirtualIp,
};
pub use proposal::{keyword_proposal_to_canonical, ProposalError, Protocol};

use std::collections::BTreeMap;
use std::collections::HashMap;

/// Resolves `include` statements without the crate doing any I/O.
///
/// `pattern` is the include argument; relative patterns have already been
/// joined to the directory of the including file. It may contain glob
/// characters (`*`, `?`). Return every matching file as
/// `(display path, contents)`, in the order they should be read (strongSwan
/// reads glob matches sorted by name). Return an empty vector when nothing
/// matches.
pub trait Includes {
    /// Find the files matching `pattern`.
    fn resolve(&self, pattern: &str) -> Vec<(String, String)>;
}

/// An [`Includes`] that resolves nothing (every include is reported as a
/// diagnostic, except glob patterns, which may legitimately match nothing).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoIncludes;

impl Includes for NoIncludes {
    fn resolve(&self, _pattern: &str) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// Any `Fn(&str) -> Option<String>` resolves a single path to its contents
/// (no glob support).
impl<F> Includes for F
where
    F: Fn(&str) -> Option<String>,
{
    fn resolve(&self, pattern: &str) -> Vec<(String, String)> {
        self(pattern)
            .map(|c| vec![(pattern.to_string(), c)])
            .unwrap_or_default()
    }
}

/// An in-memory file system: path → contents, with `*`/`?` glob matching
/// (matches are returned sorted by path).
impl Includes for BTreeMap<String, String> {
    fn resolve(&self, pattern: &str) -> Vec<(String, String)> {
        self.iter()
            .filter(|(p, _)| glob_match(pattern, p))
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect()
    }
}

/// Same as the `BTreeMap` implementation.
impl Includes for HashMap<String, String> {
    fn resolve(&self, pattern: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .iter()
            .filter(|(p, _)| glob_match(pattern, p))
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        v.sort();
        v
    }
}

/// Simple glob matching: `*` matches any run of characters except `/`,
/// `?` one character except `/`; everything else literally.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = path.chars().collect();
    // iterative matcher with single-star backtracking
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == s[si] || (p[pi] == '?' && s[si] != '/')) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            if s[ss] == '/' {
                return false;
            }
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// Guess the format of a configuration from its contents.
///
/// XML with a `<pfsense>` root → [`Format::PfSense`], `<opnsense>` →
/// [`Format::OpnSense`]; a `connections {` (or `secrets {`) section →
/// [`Format::Swanctl`]; a line starting with `conn ` or `config setup` →
/// [`Format::IpsecConf`]. Returns `None` otherwise.
pub fn detect_format(contents: &str) -> Option<Format> {
    let trimmed = contents.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        // look at the first element name that is not a declaration/comment
        let mut rest = trimmed;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            if rest.starts_with('?') || rest.starts_with('!') {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                .collect::<String>()
                .to_ascii_lowercase();
            return match name.as_str() {
                "pfsense" => Some(Format::PfSense),
                "opnsense" => Some(Format::OpnSense),
                _ => None,
            };
        }
        return None;
    }
    let mut saw_conn = false;
    for line in contents.lines() {
        let l = line.split('#').next().unwrap_or("");
        let t = l.trim();
        if (t.starts_with("connections") || t.starts_with("secrets"))
            && t.trim_start_matches("connections")
                .trim_start_matches("secrets")
                .trim_start()
                .starts_with('{')
        {
            return Some(Format::Swanctl);
        }
        if (l.starts_with("conn ") || l.starts_with("conn\t") || l.starts_with("config setup"))
            && !t.contains('{')
        {
            saw_conn = true;
        }
    }
    if saw_conn {
        return Some(Format::IpsecConf);
    }
    // a swanctl file whose "connections" brace is on the next line
    if contents.contains("connections") && contents.contains('{') {
        return Some(Format::Swanctl);
    }
    None
}

/// Parse a configuration, detecting its format from the content.
///
/// `path_for_display` only labels origins and errors. `includes` resolves
/// `include` statements (swanctl.conf and ipsec.conf). For ipsec.conf
/// with a separate `ipsec.secrets`, use
/// [`ipsec_conf::parse_ipsec_conf_with_secrets`].
pub fn parse(
    path_for_display: &str,
    contents: &str,
    includes: &dyn Includes,
) -> Result<ConfigSet, ConfigError> {
    error::check_size(path_for_display, contents)?;
    match detect_format(contents) {
        Some(Format::PfSense) | Some(Format::OpnSense) => {
            pfsense::parse_config_xml(path_for_display, contents)
        }
        Some(Format::Swanctl) => swanctl::parse_swanctl(path_for_display, contents, includes),
        Some(Format::IpsecConf) => {
            ipsec_conf::parse_ipsec_conf(path_for_display, contents, includes)
        }
        None => {
            if contents.trim_start().starts_with('<') {
                // let the XML parser explain what is wrong with it
                pfsense::parse_config_xml(path_for_display, contents)
            } else {
                Err(ConfigError::UnknownFormat {
                    path: path_for_display.to_string(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob_match(
            "/etc/swanctl/conf.d/*.conf",
            "/etc/swanctl/conf.d/a.conf"
        ));
        assert!(!glob_match(
            "/etc/swanctl/conf.d/*.conf",
            "/etc/swanctl/conf.d/x/a.conf"
        ));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*", "abc"));
        assert!(glob_match("a*b*c", "axxbyyc"));
    }

    #[test]
    fn detection() {
        assert_eq!(detect_format("connections {\n}"), Some(Format::Swanctl));
        assert_eq!(detect_format("# c\nconnections{}"), Some(Format::Swanctl));
        assert_eq!(
            detect_format("config setup\nconn a\n\tleft=1.2.3.4\n"),
            Some(Format::IpsecConf)
        );
        assert_eq!(
            detect_format("<?xml version=\"1.0\"?>\n<pfsense></pfsense>"),
            Some(Format::PfSense)
        );
        assert_eq!(detect_format("<opnsense/>"), Some(Format::OpnSense));
        assert_eq!(detect_format("hello"), None);
    }

    #[test]
    fn closure_includes() {
        let f = |p: &str| (p == "/a/b.conf").then(|| "x = 1".to_string());
        assert_eq!(f.resolve("/a/b.conf").len(), 1);
        assert!(f.resolve("/a/c.conf").is_empty());
    }
}
