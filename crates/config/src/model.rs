//! The normalised tunnel model shared by all input formats.

use crate::error::ConfigError;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Which kind of file a [`ConfigSet`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    /// strongSwan `swanctl.conf`.
    Swanctl,
    /// strongSwan legacy `ipsec.conf` (stroke).
    IpsecConf,
    /// pfSense `config.xml`.
    PfSense,
    /// OPNsense `config.xml` (legacy `<ipsec>` layout).
    OpnSense,
}

/// Where an item was defined.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Origin {
    /// Display path of the file (as given by the caller, or as named by an
    /// include statement).
    pub path: String,
    /// 1-based line number of the item's start (0 when unknown).
    pub line: u32,
}

impl Origin {
    /// Build an origin.
    pub fn new(path: impl Into<String>, line: u32) -> Self {
        Origin {
            path: path.into(),
            line,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path)
        } else {
            write!(f, "{}:{}", self.path, self.line)
        }
    }
}

/// IKE version(s) a tunnel uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IkeVersion {
    /// IKEv1 only.
    V1,
    /// IKEv2 only.
    V2,
    /// Either (swanctl `version = 0`, ipsec.conf `keyexchange=ike`, pfSense
    /// `auto`): charon initiates with IKEv2 and accepts both.
    Any,
}

/// The kind of an IKE identity, following strongSwan's
/// `identification_create_from_string()` rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IdentityKind {
    /// An IP address (`ID_IPV4_ADDR`/`ID_IPV6_ADDR`).
    Address(IpAddr),
    /// A fully qualified domain name (`ID_FQDN`).
    Fqdn,
    /// An e-mail style identity (`ID_RFC822_ADDR`).
    UserFqdn,
    /// An ASN.1 distinguished name (`ID_DER_ASN1_DN`).
    Asn1Dn,
    /// An opaque key ID (`ID_KEY_ID`).
    KeyId,
    /// Matches any identity (`%any`).
    Any,
}

/// An IKE identity with its classification and the raw configured text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// Classification.
    pub kind: IdentityKind,
    /// The identity as configured (quotes removed, type prefix kept).
    pub raw: String,
    /// The identity value without a `type:` prefix.
    pub value: String,
}

impl Identity {
    /// Classify an identity string the way strongSwan does: explicit
    /// prefixes (`fqdn:`, `email:`/`userfqdn:`/`rfc822:`, `asn1dn:`,
    /// `keyid:`, `ipv4:`/`ipv6:`, `%any`), otherwise: an IP address, a DN
    /// when it contains `=`, an e-mail when it contains `@` (a leading `@`
    /// means FQDN, `@#` a key ID), else an FQDN.
    pub fn parse(raw: &str) -> Identity {
        let raw = raw.trim();
        let raw_owned = raw.to_string();
        let mk = |kind, value: &str| Identity {
            kind,
            raw: raw_owned.clone(),
            value: value.to_string(),
        };
        if raw.is_empty() || raw == "%any" || raw == "%any6" || raw == "*" {
            return mk(IdentityKind::Any, raw);
        }
        if let Some((prefix, rest)) = raw.split_once(':') {
            match prefix.to_ascii_lowercase().as_str() {
                "fqdn" | "dns" => return mk(IdentityKind::Fqdn, rest),
                "email" | "userfqdn" | "rfc822" | "user_fqdn" => {
                    return mk(IdentityKind::UserFqdn, rest)
                }
                "asn1dn" | "dn" => return mk(IdentityKind::Asn1Dn, rest),
                "keyid" => return mk(IdentityKind::KeyId, rest),
                "ipv4" | "ipv6" | "addr" => {
                    if let Ok(ip) = rest.parse::<IpAddr>() {
                        return mk(IdentityKind::Address(ip), rest);
                    }
                }
                _ => {}
            }
        }
        if let Ok(ip) = raw.parse::<IpAddr>() {
            return mk(IdentityKind::Address(ip), raw);
        }
        if let Some(rest) = raw.strip_prefix("@#") {
            return mk(IdentityKind::KeyId, rest);
        }
        if let Some(rest) = raw.strip_prefix("@@") {
            return mk(IdentityKind::UserFqdn, rest);
        }
        if let Some(rest) = raw.strip_prefix('@') {
            return mk(IdentityKind::Fqdn, rest);
        }
        if raw.contains('=') {
            return mk(IdentityKind::Asn1Dn, raw);
        }
        if raw.contains('@') {
            return mk(IdentityKind::UserFqdn, raw);
        }
        mk(IdentityKind::Fqdn, raw)
    }
}

/// Authentication method of one side.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuthMethod {
    /// Pre-shared key.
    Psk,
    /// Public key signatures (certificates or raw keys; RSA/ECDSA/EdDSA).
    PubKey,
    /// EAP, with the method if configured (`eap-mschapv2` → `mschapv2`).
    Eap(Option<String>),
    /// IKEv1 XAuth, with the backend/method if configured.
    Xauth(Option<String>),
    /// Anything else, as configured.
    Other(String),
}

impl AuthMethod {
    /// Interpret a swanctl `auth` value / ipsec.conf `leftauth` value.
    pub fn parse(s: &str) -> AuthMethod {
        let l = s.trim().to_ascii_lowercase();
        match l.as_str() {
            "psk" | "secret" => AuthMethod::Psk,
            "pubkey" | "rsasig" | "ecdsasig" | "rsa" | "ecdsa" | "ed25519" | "ed448" | "bliss" => {
                AuthMethod::PubKey
            }
            "eap" => AuthMethod::Eap(None),
            "xauth" => AuthMethod::Xauth(None),
            _ => {
                if let Some(m) = l.strip_prefix("eap-") {
                    AuthMethod::Eap(Some(m.to_string()))
                } else if let Some(m) = l.strip_prefix("xauth-") {
                    AuthMethod::Xauth(Some(m.to_string()))
                } else if l.starts_with("rsa-")
                    || l.starts_with("ecdsa-")
                    || l.starts_with("pubkey-")
                {
                    AuthMethod::PubKey
                } else {
                    AuthMethod::Other(s.trim().to_string())
                }
            }
        }
    }
}

/// Mode of a CHILD_SA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChildMode {
    /// Tunnel mode (policy based).
    Tunnel,
    /// Transport mode.
    Transport,
    /// Route based / VTI (tunnel mode without policies).
    Vti,
    /// BEET mode.
    Beet,
    /// Bypass policy.
    Pass,
    /// Drop policy.
    Drop,
}

/// One CHILD_SA / phase 2 definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// Name (swanctl child name, ipsec.conf conn name, pfSense
    /// `descr` or `reqid`/`uniqid`).
    pub name: String,
    /// Where it is defined.
    pub origin: Origin,
    /// Local traffic selectors. Empty means dynamic (the tunnel's own
    /// address).
    pub local_ts: Vec<IpNet>,
    /// Remote traffic selectors. Empty means dynamic (the peer's address).
    pub remote_ts: Vec<IpNet>,
    /// Traffic selector entries that are not plain subnets (`dynamic`,
    /// ranges, protocol/port restrictions), kept verbatim.
    pub ts_other: Vec<String>,
    /// ESP (or AH, see `ah`) proposals in canonical charon notation.
    pub esp_proposals: Vec<String>,
    /// The proposals as configured (keyword notation), before expansion.
    pub esp_proposals_configured: Vec<String>,
    /// True if charon uses exactly `esp_proposals` (always for swanctl and
    /// pfSense; for ipsec.conf only with a trailing `!`). When false, the
    /// daemon's defaults are appended (already included in `esp_proposals`).
    pub esp_strict: bool,
    /// True if the proposals are AH rather than ESP.
    pub ah: bool,
    /// Key exchange methods (PFS groups) found in the proposals, canonical
    /// names such as `MODP_2048`, deduplicated, in order.
    pub pfs_groups: Vec<String>,
    /// Hard lifetime of the CHILD_SA in seconds, if configured.
    pub lifetime: Option<u32>,
    /// Rekey time of the CHILD_SA in seconds, if configured.
    pub rekey_time: Option<u32>,
    /// Mode.
    pub mode: ChildMode,
    /// Start action (`none`, `trap`, `start`, ...), if configured.
    pub start_action: Option<String>,
    /// DPD action (`clear`, `trap`, `restart`, ...), if configured.
    pub dpd_action: Option<String>,
    /// pfSense phase 2 "automatically ping host".
    pub ping_host: Option<IpAddr>,
    /// Disabled in the configuration (pfSense `<disabled/>`).
    pub disabled: bool,
}

impl Child {
    /// An empty child with defaults.
    pub fn new(name: impl Into<String>, origin: Origin) -> Self {
        Child {
            name: name.into(),
            origin,
            local_ts: Vec::new(),
            remote_ts: Vec::new(),
            ts_other: Vec::new(),
            esp_proposals: Vec::new(),
            esp_proposals_configured: Vec::new(),
            esp_strict: true,
            ah: false,
            pfs_groups: Vec::new(),
            lifetime: None,
            rekey_time: None,
            mode: ChildMode::Tunnel,
            start_action: None,
            dpd_action: None,
            ping_host: None,
            disabled: false,
        }
    }

    /// Recompute [`Child::pfs_groups`] from the canonical proposals.
    pub fn derive_pfs_groups(&mut self) {
        let mut groups: Vec<String> = Vec::new();
        for p in &self.esp_proposals {
            for g in crate::proposal::key_exchange_methods(p) {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        self.pfs_groups = groups;
    }
}

/// One IKE SA / phase 1 definition with its children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tunnel {
    /// Name (swanctl connection, ipsec.conf conn, pfSense `descr` or
    /// `ikeid`).
    pub name: String,
    /// Where it is defined.
    pub origin: Origin,
    /// IKE version.
    pub ike_version: IkeVersion,
    /// IKEv1 aggressive mode.
    pub aggressive: bool,
    /// Local addresses (`local_addrs`, `left`, pfSense interface address);
    /// may contain `%any`, hostnames, interface names (pfSense `wan`,
    /// `_vip…`). Empty means any.
    pub local_addrs: Vec<String>,
    /// Remote addresses (`remote_addrs`, `right`, `remote-gateway`).
    pub remote_addrs: Vec<String>,
    /// Local identity, if configured.
    pub local_id: Option<Identity>,
    /// Remote identity, if configured.
    pub remote_id: Option<Identity>,
    /// Local authentication.
    pub local_auth: Option<AuthMethod>,
    /// Remote authentication.
    pub remote_auth: Option<AuthMethod>,
    /// Pre-shared key, resolved from secrets when possible.
    pub psk: Option<String>,
    /// IKE proposals in canonical charon notation (defaults included where
    /// charon would add them).
    pub ike_proposals: Vec<String>,
    /// The IKE proposals as configured (keyword notation).
    pub ike_proposals_configured: Vec<String>,
    /// True if charon uses exactly `ike_proposals` without appending its
    /// defaults (swanctl, pfSense, ipsec.conf with `!`).
    pub ike_proposals_strict: bool,
    /// DPD interval in seconds (0/None = disabled).
    pub dpd_delay: Option<u32>,
    /// DPD timeout in seconds (IKEv1), if configured.
    pub dpd_timeout: Option<u32>,
    /// Force UDP encapsulation (`encap = yes`, `forceencaps`, pfSense
    /// `nat_traversal = force`).
    pub encap_forced: bool,
    /// NAT traversal allowed (false only when explicitly disabled, e.g.
    /// OPNsense `nat_traversal = off`).
    pub nat_traversal: bool,
    /// IKE SA rekey time in seconds, if configured.
    pub ike_rekey_time: Option<u32>,
    /// IKE SA reauthentication time in seconds, if configured.
    pub ike_reauth_time: Option<u32>,
    /// IKE SA lifetime in seconds (ipsec.conf `ikelifetime`, pfSense
    /// `lifetime`), if configured.
    pub ike_lifetime: Option<u32>,
    /// Mobile/road-warrior configuration (pfSense mobile clients).
    pub mobile: bool,
    /// pfSense/OPNsense phase 1 interface (`wan`, `opt1`, `_vip…`).
    pub interface: Option<String>,
    /// pfSense/OPNsense `ikeid`.
    pub ikeid: Option<String>,
    /// Description, if any.
    pub description: Option<String>,
    /// Disabled in the configuration (pfSense `<disabled/>`, ipsec.conf
    /// `auto=ignore`).
    pub disabled: bool,
    /// The CHILD_SAs.
    pub children: Vec<Child>,
}

impl Tunnel {
    /// An empty tunnel with defaults.
    pub fn new(name: impl Into<String>, origin: Origin) -> Self {
        Tunnel {
            name: name.into(),
            origin,
            ike_version: IkeVersion::Any,
            aggressive: false,
            local_addrs: Vec::new(),
            remote_addrs: Vec::new(),
            local_id: None,
            remote_id: None,
            local_auth: None,
            remote_auth: None,
            psk: None,
            ike_proposals: Vec::new(),
            ike_proposals_configured: Vec::new(),
            ike_proposals_strict: true,
            dpd_delay: None,
            dpd_timeout: None,
            encap_forced: false,
            nat_traversal: true,
            ike_rekey_time: None,
            ike_reauth_time: None,
            ike_lifetime: None,
            mobile: false,
            interface: None,
            ikeid: None,
            description: None,
            disabled: false,
            children: Vec::new(),
        }
    }
}

/// A pfSense/OPNsense interface (`<interfaces><wan>` …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Logical name (`wan`, `lan`, `opt1`).
    pub name: String,
    /// Operating system device (`<if>`, e.g. `igb0`).
    pub device: Option<String>,
    /// Description (`<descr>`), if any.
    pub description: Option<String>,
    /// `<ipaddr>` verbatim (an address, `dhcp`, `pppoe`, ...).
    pub ipaddr: Option<String>,
    /// `<subnet>` prefix length.
    pub subnet_bits: Option<u8>,
    /// The IPv4 network (address + prefix) when both are static.
    pub network: Option<IpNet>,
    /// `<ipaddrv6>` verbatim.
    pub ipaddrv6: Option<String>,
    /// `<subnetv6>` prefix length.
    pub subnetv6_bits: Option<u8>,
    /// `<mtu>`, if set.
    pub mtu: Option<u32>,
    /// `<enable>` present.
    pub enabled: bool,
}

/// A virtual IP (`<virtualip><vip>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualIp {
    /// `carp`, `ipalias`, `proxyarp`, `other`.
    pub mode: String,
    /// Parent interface (`wan`, ...).
    pub interface: String,
    /// The address (`<subnet>`).
    pub address: Option<IpAddr>,
    /// Prefix length (`<subnet_bits>`).
    pub subnet_bits: Option<u8>,
    /// CARP VHID.
    pub vhid: Option<u32>,
    /// `<uniqid>`: a phase 1 bound to this VIP has interface `_vip<uniqid>`.
    pub uniqid: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// An OpenVPN instance's tunnel network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenVpnNetwork {
    /// `server` or `client`.
    pub role: String,
    /// `<vpnid>`, if any.
    pub vpnid: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// IPv4 `tunnel_network`.
    pub tunnel_network: Option<IpNet>,
    /// IPv6 `tunnel_networkv6`.
    pub tunnel_network_v6: Option<IpNet>,
    /// `<disable>` present.
    pub disabled: bool,
}

/// One outbound NAT rule (`<nat><outbound><rule>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundNatRule {
    /// Interface the rule applies to.
    pub interface: Option<String>,
    /// Source network (`any` when `<source><any/>` or network `any`).
    pub source: Option<String>,
    /// Destination network (`any` when unset/any).
    pub destination: Option<String>,
    /// Destination inverted (`<destination><not/>`).
    pub destination_not: bool,
    /// Translation target (empty = interface address).
    pub target: Option<String>,
    /// Static port (`<staticnatport/>`).
    pub static_port: bool,
    /// Do not NAT (`<nonat/>`).
    pub no_nat: bool,
    /// Disabled.
    pub disabled: bool,
    /// Description.
    pub description: Option<String>,
    /// Where it is defined.
    pub origin: Origin,
}

/// Outbound NAT configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundNat {
    /// `automatic`, `hybrid`, `advanced` or `disabled` (None when absent,
    /// which pfSense treats as automatic).
    pub mode: Option<String>,
    /// Manual rules (used in hybrid/advanced mode).
    pub rules: Vec<OutboundNatRule>,
}

/// A system tunable (`<sysctl><item>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tunable {
    /// sysctl name.
    pub name: String,
    /// Value (`default` means the system default).
    pub value: String,
}

/// MSS clamping for VPN traffic (pfSense System > Advanced > Firewall &
/// NAT "Enable Maximum MSS": `<system><maxmss_enable>` and
/// `<system><maxmss>`, default 1400 when enabled).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MssClamping {
    /// Clamping enabled.
    pub enabled: bool,
    /// Configured value, if any (pfSense uses 1400 when enabled but empty).
    pub value: Option<u32>,
}

/// Host-wide settings of a firewall that affect IPsec (pfSense/OPNsense
/// only; empty for strongSwan inputs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSettings {
    /// Hostname, if set.
    pub hostname: Option<String>,
    /// Interfaces.
    pub interfaces: Vec<Interface>,
    /// Virtual IPs.
    pub virtual_ips: Vec<VirtualIp>,
    /// OpenVPN tunnel networks.
    pub openvpn: Vec<OpenVpnNetwork>,
    /// Outbound NAT.
    pub outbound_nat: OutboundNat,
    /// System tunables.
    pub tunables: Vec<Tunable>,
    /// MSS clamping.
    pub mss_clamping: MssClamping,
    /// Crypto hardware modules (`<system><crypto_hardware>` split on `_`,
    /// e.g. `["aesni", "cryptodev"]`, or the legacy `["glxsb"]`).
    pub crypto_hardware: Vec<String>,
}

impl HostSettings {
    /// Find an interface by logical name (`wan`, `lan`, `opt1`).
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

/// Everything read from one configuration (including its includes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigSet {
    /// The tunnels (IKE SAs with their children).
    pub tunnels: Vec<Tunnel>,
    /// Host settings (pfSense/OPNsense only).
    pub host: HostSettings,
    /// Input format.
    pub source: Format,
    /// Recoverable problems found while parsing; the affected items were
    /// skipped or left partially filled.
    #[serde(skip)]
    pub diagnostics: Vec<ConfigError>,
    /// For an `ipsec.conf` in Libreswan's (or Openswan's) dialect: the first
    /// setting that strongSwan's ipsec.conf has not, where it stands
    /// (`None`: strongSwan's, or another format).
    #[serde(skip)]
    pub libreswan_setting: Option<(Origin, String)>,
}

impl ConfigSet {
    /// An empty set for the given format.
    pub fn new(source: Format) -> Self {
        ConfigSet {
            tunnels: Vec::new(),
            host: HostSettings::default(),
            source,
            diagnostics: Vec::new(),
            libreswan_setting: None,
        }
    }

    /// Find a tunnel by name.
    pub fn tunnel(&self, name: &str) -> Option<&Tunnel> {
        self.tunnels.iter().find(|t| t.name == name)
    }
}

/// Parse a duration as strongSwan does: a number with optional `s`, `m`,
/// `h` or `d` suffix (seconds by default). Fractions are not supported.
pub fn parse_duration(s: &str) -> Option<u32> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1u64),
        Some((i, 'm')) => (&s[..i], 60),
        Some((i, 'h')) => (&s[..i], 3600),
        Some((i, 'd')) => (&s[..i], 86400),
        _ => (s, 1),
    };
    let n: u64 = num.trim().parse().ok()?;
    u32::try_from(n.checked_mul(mult)?).ok()
}

/// Parse a traffic selector / subnet string into an [`IpNet`]. A bare
/// address becomes a host prefix (/32 or /128). Protocol/port suffixes
/// (`10.0.0.0/8[tcp/80]`) are not subnets and yield `None`.
pub fn parse_subnet(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if let Ok(n) = s.parse::<IpNet>() {
        return Some(n.trunc());
    }
    if let Ok(a) = s.parse::<IpAddr>() {
        return Some(IpNet::from(a));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities() {
        assert!(matches!(
            Identity::parse("192.0.2.1").kind,
            IdentityKind::Address(_)
        ));
        assert_eq!(Identity::parse("@vpn.example.com").kind, IdentityKind::Fqdn);
        assert_eq!(Identity::parse("@vpn.example.com").value, "vpn.example.com");
        assert_eq!(Identity::parse("vpn.example.com").kind, IdentityKind::Fqdn);
        assert_eq!(Identity::parse("fqdn:gw").kind, IdentityKind::Fqdn);
        assert_eq!(Identity::parse("a@b.c").kind, IdentityKind::UserFqdn);
        assert_eq!(Identity::parse("userfqdn:a@b.c").value, "a@b.c");
        assert_eq!(
            Identity::parse("C=CH, O=strongSwan, CN=moon").kind,
            IdentityKind::Asn1Dn
        );
        assert_eq!(Identity::parse("@#0123").kind, IdentityKind::KeyId);
        assert_eq!(Identity::parse("keyid:abc").kind, IdentityKind::KeyId);
        assert_eq!(Identity::parse("%any").kind, IdentityKind::Any);
        assert!(matches!(
            Identity::parse("2001:db8::1").kind,
            IdentityKind::Address(_)
        ));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Some(3600));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("4h"), Some(14400));
        assert_eq!(parse_duration("30s"), Some(30));
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("1d"), Some(86400));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("99999999999d"), None);
    }

    #[test]
    fn subnets() {
        assert_eq!(
            parse_subnet("10.1.2.3/24").unwrap().to_string(),
            "10.1.2.0/24"
        );
        assert_eq!(parse_subnet("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert!(parse_subnet("dynamic").is_none());
    }

    #[test]
    fn auth_methods() {
        assert_eq!(AuthMethod::parse("psk"), AuthMethod::Psk);
        assert_eq!(AuthMethod::parse("pubkey"), AuthMethod::PubKey);
        assert_eq!(
            AuthMethod::parse("eap-mschapv2"),
            AuthMethod::Eap(Some("mschapv2".into()))
        );
        assert_eq!(AuthMethod::parse("xauth"), AuthMethod::Xauth(None));
        assert_eq!(AuthMethod::parse("rsa-4096"), AuthMethod::PubKey);
    }
}
